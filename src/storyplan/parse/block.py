"""Data a story states explicitly, which wins over what the parser infers: YAML front matter at
the top of a Markdown story and ```storyplan blocks in YAML or TOML.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from types import UnionType
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from storyplan.model import Level, Overview, Plan, Task
from storyplan.parse.depends import Resolver, parse_ref
from storyplan.parse.fields import level_of, split_list
from storyplan.parse.heads import normalise_id
from storyplan.parse.state import Draft, State
from storyplan.parse.tree import Block

_FRONT = re.compile(r"\A---[ \t]*\n(?P<body>.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_TOML_LINE = re.compile(r"^\s*(?:\[[^\]]+\]|[\w.\"'-]+\s*=(?!=))")
_KEY_LINE = re.compile(r"^\s*[\w-]+\s*:")
_ALIASES = {"title": "story_title", "target": "target_completion", "due": "target_completion"}
_SECTIONS = frozenset(Plan.model_fields) - {"story", "tasks", "overview"}


def split_front_matter(text: str) -> tuple[str | None, str]:
    """(front matter text or None, the story with those lines blanked so line numbers hold)."""
    match = _FRONT.match(text)
    if match is None:
        return None, text
    body = match.group("body") or ""
    first = next((line for line in body.split("\n") if line.strip()), "")
    if first and not _KEY_LINE.match(first):
        return None, text  # a rule and a setext heading, not front matter
    return body, "\n" * match.group(0).count("\n") + text[match.end() :]


def apply_front_matter(body: str, state: State) -> None:
    """Front matter other tools write too (CCPM's `progress: 0%`, `prd`, `github`): what
    storyplan models is read, anything else or any value it cannot take is kept as written."""
    data = _flat_values(body) if _colon_in_value(body) else None
    if data is None:
        data = _load_yaml(body, 2, "front matter", state)
    if data is None:
        return
    kept = _apply(data, state, 1, "front matter", strict=False)
    if kept:
        raw = _raw_values(body)
        lines = [f"- **{key}**: {raw.get(key, str(data[key]))}".rstrip() for key in kept]
        state.keep("Front matter", "\n".join(lines), 1)


def _colon_in_value(body: str) -> bool:
    """Whether YAML refuses the front matter only because a plain value holds ": "
    (`title: Story 2.4 — Phase E: Errors`), which other tools write and read as text."""
    try:
        yaml.safe_load(body)
    except yaml.YAMLError as exc:
        return getattr(exc, "problem", "") == "mapping values are not allowed here"
    except (RecursionError, ValueError, TypeError):
        return False
    return False


def _flat_values(body: str) -> dict[str, Any] | None:
    """Such front matter read line by line as `key: text`, when every line is one."""
    lines = [line for line in body.split("\n") if line.strip() and not line.startswith("#")]
    if not all(_KEY_LINE.match(line) and not line[:1].isspace() for line in lines):
        return None
    return {key: value.strip("\"'") for key, value in _raw_values(body).items()}


def _raw_values(body: str) -> dict[str, str]:
    """Each top-level key's value as written (`001` stays `001`, not the number 1)."""
    values: dict[str, str] = {}
    key = ""
    for line in body.split("\n"):
        if _KEY_LINE.match(line) and not line[:1].isspace():
            key, _, value = line.partition(":")
            key = key.strip()
            values[key] = _no_comment(value.strip())
        elif key and line.strip():
            values[key] = f"{values[key]} {_no_comment(line.strip())}".strip()
    return values


def _no_comment(text: str) -> str:
    """`[]  # issue numbers` → `[]`; a `#` inside a word or a quoted value stays."""
    cut = text.find(" #")
    quoted = text[:1] in "\"'"
    return text if cut < 0 or quoted else text[:cut].rstrip()


def apply_block(block: Block, state: State) -> None:
    content = "\n".join(block.text.split("\n")[1:-1])
    words = block.info.lower().split()
    first = next(
        (
            line
            for line in content.split("\n")
            if line.strip() and not line.lstrip().startswith("#")
        ),
        "",
    )
    toml = "toml" in words[1:] or ("yaml" not in words[1:] and bool(_TOML_LINE.match(first)))
    what = "storyplan block"
    if toml:
        data = _load_toml(content, block.line + 1, state)
    else:
        data = _load_yaml(content, block.line + 1, what, state)
    if data is not None:
        _apply(data, state, block.line, what, strict=True)


def _load_yaml(text: str, first_line: int, what: str, state: State) -> dict[Any, Any] | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        line = first_line + mark.line if mark is not None else first_line - 1
        state.problem(f"the {what} is not valid YAML: {reason}", line)
        return None
    except RecursionError:
        state.problem(f"the {what} is nested too deeply to read", first_line - 1)
        return None
    except (ValueError, TypeError) as exc:  # PyYAML's constructors raise these for bad dates
        state.problem(f"the {what} is not valid YAML: {exc}", first_line - 1)
        return None
    return _mapping(data, first_line - 1, what, state)


def _load_toml(text: str, first_line: int, state: State) -> dict[Any, Any] | None:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        last = first_line + max(len(text.rstrip("\n").split("\n")), 1) - 1  # "at end of document"
        line = first_line + int(found.group(1)) - 1 if found else last
        reason = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", str(exc))
        state.problem(f"the storyplan block is not valid TOML: {reason}", line)
        return None
    return _mapping(data, first_line - 1, "storyplan block", state)


def _mapping(data: object, line: int, what: str, state: State) -> dict[Any, Any] | None:
    if data is None:
        return {}
    if not isinstance(data, dict):
        state.problem(f"the {what} must be a mapping of fields (like `tech_lead: Ana`)", line)
        return None
    return data


def _apply(data: dict[Any, Any], state: State, line: int, what: str, *, strict: bool) -> list[str]:
    """Apply the fields; return the keys not applied (unknown, or a value that does not fit),
    which are errors in a storyplan block and kept text in front matter."""
    left: list[str] = []
    for raw_key, value in data.items():
        key = _ALIASES.get(str(raw_key), str(raw_key))
        if key in Overview.model_fields:
            done = _update(state, "overview", {key: value}, line, what, strict=strict)
        elif key == "overview" and isinstance(value, dict):
            done = _update(state, "overview", value, line, what, strict=strict)
        elif key == "tasks" and (strict or _task_shaped(value)):
            _tasks(value, state, line, what)
            done = True
        elif key in _SECTIONS and key != "tasks":
            done = _update(state, key, value, line, what, strict=strict)
        elif strict:
            state.problem(f'the {what} has an unknown field "{raw_key}"', line)
            done = True
        else:
            done = False
        if not done:
            left.append(str(raw_key))
    return left


def _task_shaped(value: Any) -> bool:
    if isinstance(value, dict):
        return True
    return isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value)


def _update(
    state: State, name: str, value: Any, line: int, what: str, *, strict: bool = True
) -> bool:
    """Set a plan field; False (nothing set) when the value does not fit and `strict` is off."""
    plan = state.plan
    current = getattr(plan, name)
    annotation = type(plan).model_fields[name].annotation
    try:
        if isinstance(current, BaseModel) and isinstance(value, dict):
            merged = {**current.model_dump(), **_shape(type(current), value)}
            setattr(plan, name, type(current).model_validate(merged))
        else:
            setattr(plan, name, _shape_value(annotation, value))
    except ValidationError as exc:
        if not strict:
            return False
        _report(exc, name, line, what, state)
    return True


def _tasks(value: Any, state: State, line: int, what: str) -> None:
    if isinstance(value, dict):
        entries = [(str(k), v) for k, v in value.items()]
    elif isinstance(value, list) and all(isinstance(v, dict) and "id" in v for v in value):
        entries = [(str(v["id"]), v) for v in value]
    else:
        state.problem(f"the {what} must list tasks by id (like `T1: {{title: …}}`)", line)
        return
    resolver = Resolver([d.task.id for d in state.drafts], [d.label for d in state.drafts])
    for key, raw in entries:
        fields = dict(raw) if isinstance(raw, dict) else {"title": raw} if raw else {}
        ref = parse_ref(key)
        index = resolver.find(ref)
        if index is None:
            task_id = ref.text if re.fullmatch(r"T\d+", ref.text) else normalise_id(key)
            task = Task(id=task_id, number=resolver.count + 1, title="", line=line)
            state.drafts.append(Draft(task=task))
            index = resolver.add(task_id, None)
        draft = state.drafts[index]
        depends = fields.pop("depends_on", None)
        for fixed in ("id", "number", "line"):
            fields.pop(fixed, None)
        try:
            merged = {**draft.task.model_dump(), **_shape(Task, fields)}
            draft.task = Task.model_validate(merged)
        except ValidationError as exc:
            _report(exc, f"tasks.{key}", line, what, state)
        if depends is not None:
            listed = depends if isinstance(depends, list) else split_list(str(depends))
            draft.refs = [parse_ref(str(d)) for d in listed]
        if not draft.task.title:
            state.problem(f"the {what} adds task {draft.task.id} without a title", line)


def _report(exc: ValidationError, name: str, line: int, what: str, state: State) -> None:
    for error in exc.errors():
        loc = [str(p) for p in error["loc"]]
        where = ".".join([name, *(loc[1:] if loc[:1] == [name] else loc)])
        state.problem(f"the {what} sets {where} to an invalid value: {error['msg']}", line)


def _shape(model: type[BaseModel], data: dict[Any, Any]) -> dict[str, Any]:
    """Bring hand-written values into the model's shape: numbers and dates as text where text is
    expected, "high" as Level.HIGH, a comma list as a list, a bare string as a checklist item."""
    shaped: dict[str, Any] = {}
    for key, value in data.items():
        info = model.model_fields.get(str(key))
        shaped[str(key)] = _shape_value(info.annotation, value) if info else value
    return shaped


def _shape_value(annotation: Any, value: Any) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, UnionType):
        if Level in get_args(annotation) and isinstance(value, str):
            return level_of(value) or value
        return value
    if origin is list:
        inner = get_args(annotation)[0]
        if isinstance(value, str) and inner is str:
            return split_list(value)
        return [_shape_value(inner, v) for v in value] if isinstance(value, list) else value
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, str):
            required = [n for n, f in annotation.model_fields.items() if f.is_required()]
            return {required[0]: value} if required else value
        return _shape(annotation, value) if isinstance(value, dict) else value
    if annotation is str and isinstance(value, int | float | date) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, date) else str(value)
    return value
