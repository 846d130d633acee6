"""Plans and task bodies rendered from storyplan's models with Jinja2 templates.

Bundled templates render in a strict environment; a user's template folder renders in a
sandbox, file by file in front of the bundled ones. Whatever goes wrong surfaces as one
`TemplateError` sentence naming the template and line.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import jinja2

from storyplan import graph, jiramarkup
from storyplan.errors import TemplateError
from storyplan.model import Plan, Task
from storyplan.sandbox import FolderLoader, LimitError, render_limited, sandbox

Flavour = Literal["markdown", "jira"]

_SUFFIX = {"markdown": "md", "jira": "jira"}
# The caller wraps rendered text in markers; any marker-like text inside came from a story.
_FORGED = {
    "markdown": (re.compile(r"<!--(?=\s*storyplan)", re.IGNORECASE), "&lt;!--"),
    "jira": (re.compile(r"(?<!\\)\{(?=\s*anchor\s*:\s*storyplan)", re.IGNORECASE), "\\{"),
}
_CODE_TOGGLE = {
    "markdown": re.compile(r"^\s{0,3}(```|~~~)"),
    "jira": re.compile(r"^\s*\{(code|noformat)\b"),
}


@dataclass(frozen=True)
class ChildLink:
    """The sub-issue that serves a task: `#43`, `SHOP-124` or `login.tasks/T2.md`."""

    key: str
    url: str | None = None


class Linked(Protocol):
    """Anything with a key and a URL, so `ports.Child` can be passed as it is."""

    @property
    def key(self) -> str: ...

    @property
    def url(self) -> str | None: ...


def safe_text(value: object) -> str:
    """Markdown story text with HTML comments defused, so it can never open a marker."""
    text = "" if value is None else str(value)
    return text.replace("<!--", "&lt;!--").replace("-->", "--&gt;").replace("--!>", "--!&gt;")


def _jira_block(value: object) -> str:
    return jiramarkup.block("" if value is None else str(value))


def _jira_inline(value: object) -> str:
    return jiramarkup.one_line("" if value is None else str(value))


def _jira_cell(value: object) -> str:
    return jiramarkup.one_line("" if value is None else str(value), cell=True) or " "


def _code(value: object) -> str:
    return f"`{value}`"


def criteria(refs: list[str]) -> str:
    """The story's acceptance criteria an item serves: the parser's `["1", "3"]` as `AC1, AC3`."""
    return ", ".join(f"AC{ref}" if ref.isdigit() else ref for ref in refs)


_MILESTONE = re.compile(
    r"^\s*((?:week|sprint|day|milestone|phase)\s*\d+)\s*[:\-\u2013\u2014]\s*(.+)$", re.I
)


def milestones(values: list[str]) -> list[tuple[str, str]]:
    """`Week N` labels for weekly milestones, unless the story already labelled them."""
    pairs = []
    for number, value in enumerate(values, start=1):
        match = _MILESTONE.match(value)
        pairs.append((match[1], match[2]) if match else (f"Week {number}", value))
    return pairs


FILTERS: dict[str, Callable[..., Any]] = {
    "safe_text": safe_text,
    "jira_text": _jira_block,
    "jira_inline": _jira_inline,
    "jira_cell": _jira_cell,
    "code": _code,
    "milestones": milestones,
    "criteria": criteria,
}


def tidy(text: str, flavour: Flavour) -> str:
    """Same bytes for the same plan: no trailing spaces, single blank lines, one final newline.

    Templates stay readable with generous blank lines; this is where they are collapsed.
    Inside code blocks a story's own blank lines are kept, at most two in a row.
    """
    forged, defused = _FORGED[flavour]
    toggle = _CODE_TOGGLE[flavour]
    out: list[str] = []
    in_code = False
    blanks = 0
    for raw in forged.sub(defused, text).splitlines():
        line = raw.rstrip()
        if toggle.match(line):
            in_code = not in_code if flavour == "markdown" else _jira_toggle(line, in_code)
        if line:
            blanks = 0
        else:
            blanks += 1
            if blanks > (2 if in_code else 1):
                continue
        out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def _jira_toggle(line: str, in_code: bool) -> bool:
    # `{code:python}` opens; a bare `{code}` closes an open block or opens a new one.
    if in_code:
        return line.strip() not in ("{code}", "{noformat}")
    return True


class Renderer:
    """Renders a plan and its task bodies in one markup flavour."""

    def __init__(self, flavour: Flavour = "markdown", template_dir: Path | None = None) -> None:
        if flavour not in _SUFFIX:
            raise TemplateError(f"There are no templates for the markup flavour '{flavour}'.")
        self.flavour: Flavour = flavour
        self.template_dir = Path(template_dir) if template_dir is not None else None
        self._env = _environment(self.template_dir)

    def plan(
        self, plan: Plan, children: Mapping[str, Linked] | None = None, *, compact: bool = False
    ) -> str:
        """The plan comment; `compact` keeps every section and checklist but shows each task
        as one line and its acceptance criteria, for trackers whose comments are too short.
        """
        context = _context(plan, children)
        context["compact"] = compact
        return self._render(f"plan.{_SUFFIX[self.flavour]}.j2", context)

    def task(self, plan: Plan, task: Task, children: Mapping[str, Linked] | None = None) -> str:
        """The body of the sub-issue that serves `task` (without storyplan's identity marker)."""
        context = _context(plan, children, with_graph=False)
        context["task"] = task
        return self._render(f"task.{_SUFFIX[self.flavour]}.j2", context)

    def _render(self, name: str, context: dict[str, Any]) -> str:
        try:
            text = render_limited(self._env.get_template(name), context)
        except TemplateError:
            raise
        except jinja2.TemplateNotFound as err:
            raise TemplateError(self._not_found(str(err.name or name))) from None
        except jinja2.TemplateSyntaxError as err:
            where = self._file(err.filename or err.name or name)
            raise TemplateError(
                f"Template {where} has a syntax error at line {err.lineno}: {err.message}."
            ) from None
        except Exception as err:  # a render failure must reach the user as one sentence
            where, line = self._frame(err, name)
            at = f" at line {line}" if line else ""
            if isinstance(err, LimitError):
                raise TemplateError(f"Template {where} went past a limit{at}: {err}.") from None
            raise TemplateError(
                f"Template {where} could not be rendered{at}: {_reason(err)}."
            ) from None
        return tidy(text, self.flavour)

    def _file(self, filename: str) -> str:
        """A user's file by its path, a bundled one by its name."""
        path = Path(filename)
        if self.template_dir is None or not path.parent.parts:
            return path.name
        try:
            path.resolve().relative_to(self.template_dir.resolve())
        except ValueError:
            return path.name
        return str(path)

    def _frame(self, err: BaseException, name: str) -> tuple[str, int | None]:
        # Jinja rewrites tracebacks so template frames carry the template file and line.
        where, line = self._file(name), None
        tb = err.__traceback__
        while tb is not None:
            filename = tb.tb_frame.f_code.co_filename
            if not filename.endswith(".py") and not filename.startswith("<string"):
                where = self._file(name if filename.startswith("<") else filename)
                line = tb.tb_lineno
            tb = tb.tb_next
        return where, line

    def _not_found(self, name: str) -> str:
        if self.template_dir is None:
            return f"Template {name} is not among the bundled templates."
        return f"Template {name} is neither in {self.template_dir} nor among the bundled ones."


def _reason(err: BaseException) -> str:
    text = str(err).strip().rstrip(".") or type(err).__name__
    return text.splitlines()[0]


_OPTIONS: dict[str, Any] = {
    "undefined": jinja2.StrictUndefined,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "autoescape": False,  # Markdown and wiki markup, not HTML; safe_text defuses markers
}


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled bundled templates kept in the user's cache folder between runs (about 0.2 s a
    run otherwise); none where that folder cannot be made."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(root) / "storyplan" / "templates"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


@functools.cache
def _bundled() -> jinja2.Environment:
    """One strict environment for the bundled templates, so they are compiled once."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("storyplan.templates", "."),
        bytecode_cache=_bytecode_cache(),
        **_OPTIONS,
    )
    env.filters.update(FILTERS)
    return env


def _environment(template_dir: Path | None) -> jinja2.Environment:
    if template_dir is None:
        return _bundled()
    if not template_dir.is_dir():
        raise TemplateError(f"The template folder {template_dir} does not exist.")
    bundled = jinja2.PackageLoader("storyplan.templates", ".")
    loader = jinja2.ChoiceLoader([FolderLoader(template_dir), bundled])
    return sandbox(loader, FILTERS, **_OPTIONS)


# The graph around each task, built once a plan: rendering every task of a plan must not
# walk the whole graph again for each one. Holds the plan, so its id is not reused.
_NEIGHBOURS: dict[int, tuple[Plan, dict[str, Any]]] = {}


def _neighbours(plan: Plan) -> dict[str, Any]:
    cached = _NEIGHBOURS.get(id(plan))
    if cached is None or cached[0] is not plan:
        known = {task.id: task for task in plan.tasks}
        found = {
            "depends": {t.id: [known[d] for d in t.depends_on if d in known] for t in plan.tasks},
            "blocks": {tid: [known[d] for d in ids] for tid, ids in graph.dependents(plan).items()},
        }
        _NEIGHBOURS.clear()  # one plan at a time is rendered; keep memory flat
        cached = _NEIGHBOURS[id(plan)] = (plan, found)
    return cached[1]


def _context(
    plan: Plan, children: Mapping[str, Linked] | None, *, with_graph: bool = True
) -> dict[str, Any]:
    """What every template sees: the plan model, and the graph around each task; the Mermaid
    drawing only for the plan, which is the one place that shows it."""
    links = {task.id: ChildLink(task.existing) for task in plan.tasks if task.existing}
    links.update({tid: ChildLink(child.key, child.url) for tid, child in (children or {}).items()})
    return {
        "plan": plan,
        "children": links,
        **_neighbours(plan),
        "mermaid": graph.mermaid(plan, links) if with_graph else "",
        "compact": False,
    }
