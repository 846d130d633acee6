"""Task references ("Task 2", "T002", "#2", "TASK-3") and the phrases that introduce them
("depends on", "after", "blocked by", ...), and their resolution to task ids once all are known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A task reference. "#2" is a task number here: only a whole task line that is "#123" names an
# existing issue, and that case never reaches this module. Every quantifier is bounded or
# separated by a required character, so no input makes these patterns backtrack.
_REF = (
    r"(?:(?:task|tarea|tarefa|t[âa]che|aufgabe|任务|任務|タスク|작업)\s*(?:#\s*)?(?P<label>\d{1,9})"
    r"(?!\d)|(?:(?P<repo>(?:[\w.-]{1,100}/){1,5}[\w.-]{1,100})|(?<![\w/]))#(?P<hash>\d{1,9})\b"
    r"|\[?\b(?P<id>T-?\d{1,9}|TASK-\d{1,9})\b\]?)"
)
REF = re.compile(_REF, re.IGNORECASE)
_ANY = re.sub(r"\?P<\w+>", "?:", _REF)
_SEP = (
    r"\s*(?:(?:,|;|&|/|\+|\band\b|\bor\b|\by\b|\be\b|\bet\b|\bund\b|和|、|\uff0c|及|と|및"
    r"|[-\u2013~〜]|\.\.|\bto\b|\bthrough\b)\s*)?"
)
# Words that say the task waits for the references after them.
_WAITS = (
    r"depends\s+(?:on|upon)|depending\s+on|dependencies|dependency|deps|blocked\s+(?:by|on)"
    r"|after|requires|needs|waits\s+(?:for|on)|depende\s+de|después\s+de|depois\s+de"
    r"|dépend\s+de|après|hängt\s+ab\s+von|nach"
)
PHRASE = re.compile(
    r"(?P<phrase>\b(?:" + _WAITS + r")\b|依赖于?|依存|의존|前置|先行)\s*(?:[:\uff1a]\s*)?"
    r"(?P<refs>" + _ANY + r"(?:" + _SEP + _ANY + r")*)",
    re.IGNORECASE,
)
# "blocks T6": the references after it wait for this task.
BLOCKS = re.compile(
    r"\b(?:blocks|blocking|unblocks)\b\s*(?:[:\uff1a]\s*)?(?P<refs>"
    + _ANY
    + r"(?:"
    + _SEP
    + _ANY
    + r")*)",
    re.IGNORECASE,
)
_RANGE = re.compile(r"[-\u2013~〜]|\.\.|\bto\b|\bthrough\b", re.IGNORECASE)
_OPEN = ("(", "[", "\uff08")
_CLOSE = (")", "]", "\uff09")
_MAX_RANGE = 500  # "T001-T999" in a story is a range of tasks; more than this is a typo


@dataclass(frozen=True)
class Ref:
    """A reference as written, normalised ("Task 2" and "#2" → "T2", "t009" → "T009")."""

    text: str
    number: int | None  # the task number it names, if any
    by_number: bool  # "Task N" / "#N": a number in this plan, not an id
    issue: str = ""  # "#12", "owner/repo#7": may name a task that is that issue


def ref_of(match: re.Match[str]) -> Ref:
    if match.group("hash") is not None:
        number = int(match.group("hash"))
        issue = f"{match.group('repo') or ''}#{match.group('hash')}"
        if match.group("repo"):
            return Ref(issue, None, by_number=False, issue=issue)
        return Ref(f"T{number}", number, by_number=True, issue=issue)
    label = match.group("label")
    if label is not None:
        return Ref(f"T{int(label)}", int(label), by_number=True)
    text = match.group("id").upper()
    if text.startswith("T-"):
        text = "T" + text[2:]
    digits = re.search(r"\d{1,9}$", text)
    return Ref(text, int(digits.group()) if digits else None, by_number=False)


def refs_in(text: str) -> list[Ref]:
    """Every task reference in a dependency field's value ("Task 1 and T003, auth service"),
    ranges ("T001-T004") spelled out."""
    found: list[Ref] = []
    previous: re.Match[str] | None = None
    for match in REF.finditer(text):
        ref = ref_of(match)
        if previous is not None and _RANGE.fullmatch(text[previous.end() : match.start()].strip()):
            found.extend(_between(ref_of(previous), ref))
        found.append(ref)
        previous = match
    return _unique(found)


def _between(low: Ref, high: Ref) -> list[Ref]:
    """The references strictly between two ends of a range written in the same form."""
    if low.number is None or high.number is None or low.by_number != high.by_number:
        return []
    if not 0 < high.number - low.number <= _MAX_RANGE:
        return []
    if low.by_number:
        return [Ref(f"T{n}", n, by_number=True) for n in range(low.number + 1, high.number)]
    digits = len(low.text) - len(low.text.rstrip("0123456789"))
    prefix = low.text[:-digits]
    if not high.text.startswith(prefix):
        return []
    width = digits if low.text[len(prefix)] == "0" else 0
    return [
        Ref(f"{prefix}{n:0{width}d}", n, by_number=False)
        for n in range(low.number + 1, high.number)
    ]


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
        found[:0] = refs_in(match.group("refs"))
        start, end = match.span()
        before, after = rest[:start], rest[end:]
        if before.rstrip().endswith(_OPEN) and after.lstrip().startswith(_CLOSE):
            rest = before.rstrip()[:-1].rstrip() + after.lstrip()[1:]
        elif not after.strip(" .;,)\uff09\u3002"):
            rest = before.rstrip(" \t,;:.—\u2013-(\uff08")
    return _unique(found), rest.strip()


def _unique(refs: Iterable[Ref]) -> list[Ref]:
    return list(dict.fromkeys(refs))  # in order, each once, in linear time


class Resolver:
    """Finds the task a reference means: an exact id first, then "Task N"/"#N" by the number the
    story gave the task, then by position, then T-ids with the same number ("T002" = "T2")."""

    def __init__(
        self,
        ids: Sequence[str],
        labels: Sequence[int | None],
        existing: Sequence[str | None] = (),
    ) -> None:
        # Indexes built once (the first task wins), so a long dependency list stays linear.
        self.count = 0
        self.by_id: dict[str, int] = {}
        self.by_label: dict[int | None, int] = {}
        self.by_digits: dict[int, int] = {}
        for task_id, label in zip(ids, labels, strict=True):
            self.add(task_id, label)
        # Tasks that are existing issues, by how a dependency names them ("#12",
        # "owner/repo#7"), and by their "#N" alone, with every position that ends so.
        self.by_issue: dict[str, int] = {}
        self.by_hash: dict[str, list[int]] = {}
        for i, issue in enumerate(_issue_of(e) for e in existing):
            if issue:
                self.by_issue.setdefault(issue, i)
                if "#" in issue:
                    self.by_hash.setdefault("#" + issue.rpartition("#")[2], []).append(i)

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
        if ref.issue in self.by_issue:  # "blocked by #12" where #12 is a task
            return self.by_issue[ref.issue]
        if ref.issue.startswith("#") and "#" not in ref.issue[1:]:
            # "#14" for the task ".../issues/14" of some repository, when only one is
            same = self.by_hash.get(ref.issue, [])
            if len(same) == 1:
                return same[0]
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


def _issue_of(existing: str | None) -> str:
    """An existing issue as a dependency names it: "#12", "owner/repo#7" (URLs too)."""
    if not existing:
        return ""
    url = re.search(r"github\.com/([\w.-]{1,100}/[\w.-]{1,100})/issues/(\d{1,9})", existing)
    if url:
        return f"{url.group(1)}#{url.group(2)}"
    return existing
