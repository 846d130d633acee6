"""Task references ("Task 2", "T002", "#2", "TASK-3") and the phrases that introduce them
("depends on", "after", "blocked by", ...), and their resolution to task ids once all are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A task reference. "#2" is a task number here: only a whole task line that is "#123" names an
# existing issue, and that case never reaches this module.
_REF = (
    r"(?:(?:task|tarea|tarefa|t[âa]che|aufgabe|任务|任務|タスク|작업)\s*#?\s*(?P<label>\d{1,9})(?!\d)"
    r"|(?<![\w/])#(?P<hash>\d{1,9})\b"
    r"|\[?\b(?P<id>T-?\d{1,9}|TASK-\d{1,9})\b\]?)"
)
REF = re.compile(_REF, re.IGNORECASE)
_ANY = re.sub(r"\?P<\w+>", "?:", _REF)
_SEP = r"\s*(?:,|;|&|/|\+|\band\b|\bor\b|\by\b|\be\b|\bet\b|\bund\b|和|、)?\s*"
PHRASE = re.compile(
    r"(?P<phrase>\b(?:depends\s+on|depending\s+on|dependencies|dependency|deps|blocked\s+by"
    r"|after|requires|needs|waits\s+for|depende\s+de|después\s+de|depois\s+de|dépend\s+de"
    r"|après|hängt\s+ab\s+von|nach)\b\s*[:\uff1a]?|依赖于?|依存)"
    r"\s*(?P<refs>" + _ANY + r"(?:" + _SEP + _ANY + r")*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Ref:
    """A reference as written, normalised ("Task 2" and "#2" → "T2", "t009" → "T009")."""

    text: str
    number: int | None  # the task number it names, if any
    by_number: bool  # "Task N" / "#N": a number in this plan, not an id


def ref_of(match: re.Match[str]) -> Ref:
    label = match.group("label") or match.group("hash")
    if label is not None:
        return Ref(f"T{int(label)}", int(label), by_number=True)
    text = match.group("id").upper()
    if text.startswith("T-"):
        text = "T" + text[2:]
    digits = re.search(r"\d{1,9}$", text)
    return Ref(text, int(digits.group()) if digits else None, by_number=False)


def refs_in(text: str) -> list[Ref]:
    """Every task reference in a dependency field's value ("Task 1 and T003, auth service")."""
    return _unique(ref_of(m) for m in REF.finditer(text))


def parse_ref(text: str) -> Ref:
    """A reference given as data (front matter, storyplan block): anything not a known form is
    kept as the id it names."""
    match = REF.fullmatch(text.strip())
    if match:
        return ref_of(match)
    if text.strip().isdigit():
        return Ref(f"T{int(text)}", int(text), by_number=True)
    return Ref(text.strip(), None, by_number=False)


def phrases_in(text: str) -> tuple[list[Ref], str]:
    """References introduced by a dependency phrase, and the text with trailing or bracketed
    phrases removed (so "Build UI (after Task 2)" keeps "Build UI" as its title)."""
    found: list[Ref] = []
    rest = text
    for match in reversed(list(PHRASE.finditer(text))):
        found[:0] = [ref_of(m) for m in REF.finditer(match.group("refs"))]
        start, end = match.span()
        before, after = rest[:start], rest[end:]
        if before.rstrip().endswith(("(", "[")) and after.lstrip().startswith((")", "]")):
            rest = before.rstrip()[:-1].rstrip() + after.lstrip()[1:]
        elif not after.strip(" .;,)"):
            rest = before.rstrip(" \t,;:.—\u2013-(")
    return _unique(found), rest.strip()


def _unique(refs: Iterable[Ref]) -> list[Ref]:
    return list(dict.fromkeys(refs))  # in order, each once, in linear time


class Resolver:
    """Finds the task a reference means: an exact id first, then "Task N"/"#N" by the number the
    story gave the task, then by position, then T-ids with the same number ("T002" = "T2")."""

    def __init__(self, ids: Sequence[str], labels: Sequence[int | None]) -> None:
        # Indexes built once (the first task wins), so a long dependency list stays linear.
        self.count = 0
        self.by_id: dict[str, int] = {}
        self.by_label: dict[int | None, int] = {}
        self.by_digits: dict[int, int] = {}
        for task_id, label in zip(ids, labels, strict=True):
            self.add(task_id, label)

    def add(self, task_id: str, label: int | None) -> int:
        """Index one more task (the next position); its position."""
        i, self.count = self.count, self.count + 1
        self.by_id.setdefault(task_id.upper(), i)
        self.by_label.setdefault(label, i)
        digits = re.fullmatch(r"T-?0*(\d{1,9})", task_id.upper())
        if digits:
            self.by_digits.setdefault(int(digits.group(1)), i)
        return i

    def find(self, ref: Ref) -> int | None:
        exact = self.by_id.get(ref.text.upper())
        if exact is not None and not ref.by_number:
            return exact
        if ref.number is None:
            return None
        if ref.by_number:
            if ref.number in self.by_label:
                return self.by_label[ref.number]
            if exact is not None:
                return exact
            if 1 <= ref.number <= self.count:
                return ref.number - 1
            return None
        if re.fullmatch(r"T-?\d+", ref.text):
            return self.by_digits.get(ref.number)
        return None
