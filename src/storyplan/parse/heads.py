"""The first line of a task (a heading or a checklist item) split into id, number, title and
markers: explicit ids, "Task N", spec-kit's `[P]`, `(AC: 1, 3)` and dependency phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storyplan.parse.depends import BLOCKS, Ref, phrases_in, refs_in
from storyplan.parse.existing import existing_of
from storyplan.parse.fields import strip_emphasis

_ID = re.compile(
    r"^\[?(?P<id>T-?\d{1,9}|TASK-\d{1,9})\]?(?=$|[\s:\uff1a.)\-\u2013—\]])[\s:\uff1a.)\-\u2013—]*",
    re.IGNORECASE,
)
_BRACKET_ID = re.compile(r"^\[(?P<id>[A-Za-z][\w-]*\d[\w-]*)\][\s:\uff1a.)\-\u2013—]*")
_LABEL = re.compile(
    r"^(?:task|tarea|tarefa|t[âa]che|aufgabe|任务|任務|タスク|작업)\s*(?:#\s*)?(?P<n>\d{1,9})"
    r"(?=$|[\s:\uff1a.)\-\u2013—])[\s:\uff1a.)\-\u2013—]*",
    re.IGNORECASE,
)
# CCPM's "Tasks Created" list: "001.md - Title (parallel: true, conflicts with 002)".
_TASK_FILE = re.compile(r"^(?P<id>\d{1,9})\.md\b[\s:\-\u2013—]*", re.IGNORECASE)
_CCPM_META = re.compile(
    r"\(\s*parallel\s*:\s*(?P<value>true|false|yes|no)\s*(?:[,;]\s*(?P<rest>[^()]{0,200}))?\)",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(r"^T[X?]{2,4}\b[\s:.)\-\u2013—]*", re.IGNORECASE)
# A status and a priority written before the task as markers: "[DONE][P1] T-01 Add the flag".
_STATUS = re.compile(
    r"^\[(?P<status>todo|to\s?do|doing|wip|in[ _-]progress|done|blocked)\][ \t]*"
    r"(?:\[(?P<priority>P\d)\][ \t]*)?",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^(?:step\s+)?\d+(?:[.)]\s+|\s*[:\-\u2013—]\s*)", re.IGNORECASE)
_PARALLEL = re.compile(r"(?:^|\s)\[P\](?=\s|$)")
# spec-kit's user-story label: `[US1]`, `[US-2]`, `[Story 3]`.
_USER_STORY = re.compile(r"(?:^|\s)\[(?P<label>US-?\d{1,9}|Story\s?\d{1,9})\](?=\s|$)", re.I)
_AC = re.compile(
    r"[(\[]\s*(?:ACs?|acceptance\s+criteri(?:a|on))\s*(?:[:#]\s*)?"
    r"(?:(?P<nums>#?\d{1,9}(?:\s*(?:,|;|&|and|-|\u2013)\s*(?:AC\s*)?#?\d{1,9})*)|#)?\s*[)\]]",
    re.IGNORECASE,
)


@dataclass
class Head:
    title: str
    id: str | None = None
    label: int | None = None
    parallel: bool = False
    existing: str | None = None
    ac_refs: list[str] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    user_story: str = ""
    blocks: list[Ref] = field(default_factory=list)  # "(blocks T6)": tasks waiting for this one
    notes: str = ""  # what else its line says about it ("conflicts with 002")
    done: bool = False  # marked "[DONE]"


def normalise_id(text: str) -> str:
    text = text.strip().strip("[]").strip()
    if re.fullmatch(r"(?i)t-?\d+|task-\d+", text):
        text = text.upper().replace("T-", "T", 1) if text[:2].upper() == "T-" else text.upper()
    return text


def ac_refs_in(text: str) -> tuple[list[str], str]:
    """`(AC: 1, 3)` / `(AC1-AC3)` → ["1", "3"] / ["1", "2", "3"], and the text without them."""
    refs: list[str] = []
    for match in _AC.finditer(text):
        numbers = re.findall(r"\d+|[-\u2013]", match.group("nums") or "")
        for i, part in enumerate(numbers):
            if part in "-\u2013" and 0 < i < len(numbers) - 1 and refs:
                low, high = int(numbers[i - 1]), int(numbers[i + 1])
                refs.extend(str(n) for n in range(low + 1, min(high, low + 50)))
            elif part not in "-\u2013":
                refs.append(str(int(part)))
    unique = list(dict.fromkeys(refs))
    return unique, _without(text, _AC)


def _without(text: str, pattern: re.Pattern[str]) -> str:
    """`text` without the matches of `pattern`; the spaces before each go with it
    ("Log in (AC: 1)." → "Log in.")."""
    kept: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        kept.append(text[last : match.start()].rstrip())
        last = match.end()
    kept.append(text[last:])
    return "".join(kept).strip()


def head_of(text: str) -> Head:
    """Read a task's first line; the title keeps whatever is not an id or a marker."""
    line = strip_emphasis(text.split("\n", 1)[0]).strip()
    head = Head(title=line)
    if status := _STATUS.match(line):
        head.done = status["status"].lower() == "done"
        head.notes = f"Priority {status['priority'].upper()}" if status["priority"] else ""
        line = line[status.end() :]
    found = existing_of(line)
    if found:
        head.existing, line = found
    elif match := _ID.match(line):
        head.id, line = normalise_id(match.group("id")), line[match.end() :]
    elif match := _BRACKET_ID.match(line):
        head.id, line = match.group("id"), line[match.end() :]
    elif match := _LABEL.match(line):
        head.label, line = int(match.group("n")), line[match.end() :]
    elif match := _TASK_FILE.match(line):
        head.id, line = match.group("id"), line[match.end() :]
    elif match := _PLACEHOLDER.match(line):
        line = line[match.end() :]  # the template's "TXXX": an id still to be given
    elif match := _NUMBER.match(line):
        line = line[match.end() :]
    if _PARALLEL.search(line):
        head.parallel = True
        line = _PARALLEL.sub(" ", line)
    if meta := _CCPM_META.search(line):
        head.parallel = meta.group("value").lower() in ("true", "yes")
        head.notes = "; ".join(p for p in (head.notes, (meta.group("rest") or "").strip()) if p)
        line = line[: meta.start()].rstrip() + line[meta.end() :]
    if story := _USER_STORY.search(line):
        head.user_story = re.sub(r"[\s-]", "", story.group("label")).upper()
        head.user_story = head.user_story.replace("STORY", "US")
        line = _USER_STORY.sub(" ", line)
    head.ac_refs, line = ac_refs_in(line)
    head.refs, line = phrases_in(line)
    if blocks := BLOCKS.search(line):
        head.blocks = refs_in(blocks.group("refs"))
        line = _cut_phrase(line, blocks)
    title = " ".join(line.split()).strip(" \t:—\u2013-")
    head.title = title or (f"Task {head.label}" if head.label is not None else head.title)
    return head


def _cut_phrase(line: str, match: re.Match[str]) -> str:
    """The title without a trailing or bracketed phrase ("Build it (blocks T6)" → "Build it")."""
    before, after = line[: match.start()].rstrip(), line[match.end() :].lstrip()
    if before.endswith(("(", "[")) and after.startswith((")", "]")):
        return before[:-1] + after[1:]
    if not after.strip(" .;,"):
        return before.rstrip(" \t,;:.—\u2013-")
    return line
