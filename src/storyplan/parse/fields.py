"""`**Key**: value` and `Key: value` lines, recognised only for the keys a context knows, so that
ordinary sentences with a colon ("Note: ...", "Given the user: ...") stay text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from storyplan.model import Level
from storyplan.parse.synonyms import normalise

_EMPHASIS = ("**", "__")
_NOT_IN_KEY = frozenset(":\uff1a*_\n")


def field_table(spec: str) -> dict[str, str]:
    """ "canonical: Synonym|Synonym; ..." → normalised synonym → canonical key."""
    table: dict[str, str] = {}
    for part in spec.split(";"):
        key, _, texts = part.partition(":")
        for text in [key.replace("_", " "), *texts.split("|")]:
            if text.strip():
                table[normalise(text)] = key.strip()
    return table


TASK_FIELDS = field_table(
    "id: ID|Task ID|Key;"
    "description: Description|Details|What|Summary|Descripción|Descrição|Beschreibung"
    "|描述|説明|설명;"
    "files: Primary Files|Files|File|Files to Create or Modify|Files to change|Archivos|Arquivos"
    "|Fichiers|Dateien|文件|ファイル|파일;"
    "depends_on: Dependencies|Dependency|Depends on|Depends|Blocked by|After|Requires"
    "|Prerequisite Tasks|Dependencias|Depende de|Dependências|Dépendances|Dépend de"
    "|Abhängigkeiten|Hängt ab von|依赖|依存|依存関係|의존성|선행 작업;"
    "technologies: Technology|Technologies|Technology/Libraries|Libraries|Tech|Tech Stack"
    "|Stack|Tecnología|Tecnologia|Technologie|技术|技術|기술;"
    "patterns: Design Patterns|Patterns|Pattern;"
    "steps: Steps|Implementation Steps|Sub-steps|Subtasks|Pasos|Passos|Étapes|Schritte"
    "|步骤|手順|단계;"
    "ac_refs: Story Acceptance Criteria|Serves|AC Refs|Acceptance Criteria Served;"
    "acceptance_criteria: Acceptance Criteria|AC|ACs|Done when|Criterios de aceptación"
    "|Critérios de aceitação|Critères d'acceptation|Akzeptanzkriterien|验收标准|受け入れ基準"
    "|인수 조건;"
    "unit: Unit Tests|Unit Test|Unit Testing|Pruebas unitarias|Testes unitários|Tests unitaires"
    "|Unit-Tests|单元测试|単体テスト|단위 테스트;"
    "integration: Integration Tests|Integration Test|Integration Testing;"
    "manual: Manual Testing|Manual Tests|Manual Test|Manual QA;"
    "estimate: Time Estimate|Estimate|Estimated Effort|Effort|Story Points|Points|Size"
    "|Estimación|Estimativa|Estimation|Schätzung|Aufwand|估算|工数|見積もり|추정;"
    "complexity: Complexity|Complejidad|Complexidade|Complexité|Komplexität|复杂度|複雑さ|복잡도;"
    "risk: Risk|Risk Level|Riesgo|Risco|Risque|Risiko|风险|リスク|위험;"
    "notes: Notes|Note|Implementation Notes|Dev Notes|Gotchas|Tips|Notas|Hinweise|备注|メモ|메모"
)

# Task sub-headings that only group fields ("#### Technical Details"): their content is read
# like the task's own body.
TASK_GROUPS = frozenset(
    normalise(text)
    for text in (
        "Technical Details",
        "Details",
        "Testing Requirements",
        "Testing",
        "Tests",
        "Estimated Effort",
        "Effort",
        "Estimation",
        "Metadata",
    )
)


def field_of(line: str, keys: Mapping[str, str]) -> tuple[str, str] | None:
    """(canonical key, value) when `line` is a field line whose key `keys` knows."""
    found = split_key(line)
    if found is None:
        return None
    key = keys.get(normalise(found[0]))
    if key is None:
        return None
    return key, found[1]


def split_key(line: str) -> tuple[str, str] | None:
    """`**Key**: value`, `**Key:** value` or `Key: value` as (key, value), by plain scanning so
    that no line, however long or odd, costs more than one pass."""
    colon = min((i for i in (line.find(":"), line.find("\uff1a")) if i >= 0), default=-1)
    if colon < 0:
        return None
    key = _unwrap(line[:colon].strip()).strip()
    value = line[colon + 1 :].strip()
    if value.startswith(_EMPHASIS):
        value = value[2:].strip()
    if not 1 <= len(key) <= 48 or any(ch in _NOT_IN_KEY for ch in key):
        return None
    if key.count("(") != key.count(")") or key.count("[") != key.count("]"):
        return None  # "(AC: 1) Add the flag": a bracket opened before the colon, not a key
    return key, value


def _unwrap(key: str) -> str:
    if key.startswith(_EMPHASIS):
        key = key[2:].lstrip()
    if key.endswith(_EMPHASIS):
        key = key[:-2].rstrip()
    return key


def split_fields(
    lines: list[str], keys: Mapping[str, str], wraps: frozenset[str] | None = None
) -> list[tuple[str | None, str, int]]:
    """A paragraph's lines as (key, value, index) fields and (None, text, index) runs. A line
    right after a field continues its value (hard-wrapped Markdown) unless the key is one of
    the single-word fields outside `wraps`."""
    found: list[tuple[str | None, str, int]] = []
    for index, line in enumerate(lines):
        field = field_of(line, keys)
        last = found[-1] if found else None
        if field:
            found.append((field[0], field[1], index))
        elif last and last[0] is not None and (wraps is None or last[0] in wraps) and line.strip():
            found[-1] = (last[0], f"{last[1]} {line.strip()}".strip(), last[2])
        elif last and last[0] is None:
            found[-1] = (None, f"{last[1]}\n{line}", last[2])
        else:
            found.append((None, line, index))
    return found


def inline_fields(
    text: str, keys: Mapping[str, str], lead: str | None = None
) -> list[tuple[str, str]]:
    """Several fields on one line ("**Risk**: x **Mitigation**: y"), split at each known key.
    Words before the first key belong to `lead`; without one they make the line a sentence."""
    labels = sorted({re.escape(k) for k in keys if k}, key=len, reverse=True)
    if not labels:
        return []
    pattern = re.compile(
        r"(?:^|(?<=[\s.;,|(]))(?:\*\*|__)?("
        + "|".join(labels)
        + r")(?:\*\*|__)?\s*[:\uff1a]\s*(?:\*\*|__)?",
        re.IGNORECASE,
    )
    marks = [m for m in pattern.finditer(text) if normalise(m.group(1)) in keys]
    found: list[tuple[str, str]] = []
    before = text[: marks[0].start()].strip(" \t-*+.;,") if marks else text.strip()
    if before:
        if lead is None:
            return []
        found.append((lead, before))
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        found.append((keys[normalise(mark.group(1))], text[mark.end() : end].strip(" \t.;,|")))
    return found


def strip_emphasis(text: str) -> str:
    """`**bold**` and `__bold__` reduced to their words, in one pass over each line (a mark
    with no closing mark on its line stays as written)."""
    return "\n".join(_strip_line(line) for line in text.split("\n")).strip()


def _strip_line(line: str) -> str:
    if "**" not in line and "__" not in line:
        return line
    out: list[str] = []
    spent: set[str] = set()  # marks with no closing mark after the current position
    i = 0
    while i < len(line):
        mark = line[i : i + 2]
        if mark in _EMPHASIS and mark not in spent:
            end = line.find(mark, i + 3)
            if end >= 0:
                out.append(line[i + 2 : end])
                i = end + 2
                continue
            spent.add(mark)
        out.append(line[i])
        i += 1
    return "".join(out)


_SEPARATORS = frozenset(",;\uff0c\uff1b、")


def split_list(value: str, *, keep_code: bool = False) -> list[str]:
    """A comma- or semicolon-separated field value as its parts; a separator inside a code
    span or a link does not split. Code quotes are removed unless `keep_code`."""
    parts: list[str] = []
    start, depth, code = 0, 0, False
    for i, ch in enumerate(value):
        if ch == "`":
            code = not code
        elif code:
            continue
        elif ch in "[(":
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
        elif ch in _SEPARATORS and depth == 0:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    cleaned = [p.strip() if keep_code else p.strip().strip("`").strip() for p in parts]
    return [p for p in cleaned if p.strip("`").strip()]


_LEVELS = {
    Level.HIGH: ("high", "h", "alta", "alto", "élevé", "élevée", "haute", "hoch", "高", "높음"),
    Level.MEDIUM: (
        "medium",
        "med",
        "m",
        "moderate",
        "media",
        "medio",
        "média",
        "médio",
        "moyen",
        "moyenne",
        "mittel",
        "中",
        "中等",
        "보통",
        "중간",
    ),
    Level.LOW: (
        "low",
        "l",
        "baja",
        "bajo",
        "baixa",
        "baixo",
        "faible",
        "bas",
        "niedrig",
        "低",
        "낮음",
    ),
}


def level_of(value: str) -> Level | None:
    """High/Medium/Low from the words teams use; None for placeholders like "HIGH/MEDIUM/LOW"."""
    words = normalise(value).split()
    found = {level for level, names in _LEVELS.items() for word in words if word in names}
    if len(found) == 1 and words[0] in _LEVELS[next(iter(found))]:
        return found.pop()
    return None
