"""From a validated plan to what its tracker should hold: one child per task, in dependency
order, and the plan comment as a function of the children's keys.
"""

from __future__ import annotations

import hashlib
import json
import re
import string
from collections.abc import Mapping
from typing import Protocol

from storyplan import markers
from storyplan.errors import ConfigError
from storyplan.graph import topological_order
from storyplan.identity import plan_attrs, task_attrs
from storyplan.model import Markup, Plan, Task
from storyplan.ports import Child
from storyplan.reconcile import Desired, DesiredChild
from storyplan.refs import Ref, resolve_issue_reference

DEFAULT_TITLE = "{story} · Task {number}: {title}"


class TaskRenderer(Protocol):
    def plan_text(self, plan: Plan, children: Mapping[str, Child], *, compact: bool) -> str: ...

    def task_text(self, plan: Plan, task: Task) -> str: ...


TITLE_FIELDS = ("story", "number", "id", "title")
MAX_WIDTH = 1_000


def child_title(task: Task, story: Ref, title_format: str) -> str:
    values = {"story": story.short, "number": task.number, "id": task.id, "title": task.title}
    try:
        # Plain names only: `{title.x}` or `{title[0]}` would reach into the values' objects.
        for _, name, spec, _ in string.Formatter().parse(title_format):
            if name is not None and name not in TITLE_FIELDS:
                raise KeyError(name)
            if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in re.findall(r"\d+", spec))):
                raise ValueError(f"'{spec}' is a nested field or wider than {MAX_WIDTH}")
        return title_format.format(**values)
    except (KeyError, IndexError, ValueError, TypeError) as err:
        raise ConfigError(
            f"title_format '{title_format}' is not valid ({err}); it may use "
            "{story}, {number}, {id} and {title}"
        ) from None


def structure_digest(children: list[DesiredChild]) -> str:
    """A digest of every child as apply makes it: equal digests, nothing for apply to do."""
    parts = [
        [c.task_id, c.title, c.content, c.header, list(c.depends_on), list(c.labels), c.existing]
        for c in children
    ]
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:16]


def desire(
    plan: Plan,
    story: Ref,
    renderer: TaskRenderer,
    *,
    markup: Markup,
    title_format: str = DEFAULT_TITLE,
    task_labels: tuple[str, ...] = (),
    story_label: str | None = None,
    attach_existing: bool = True,
    obsolete_comment: str = "",
    prune: bool = False,
    compact: bool = False,
) -> Desired:
    children = []
    for task in topological_order(plan):
        existing = None
        if task.existing and attach_existing:
            existing = resolve_issue_reference(task.existing, story).key
        children.append(
            DesiredChild(
                task_id=task.id,
                title=child_title(task, story, title_format),
                content=renderer.task_text(plan, task),
                header=markers.identity(
                    "task", markup, story=story.identity, id=task.id, **task_attrs(task)
                ),
                depends_on=tuple(task.depends_on),
                labels=task_labels,
                existing=existing,
            )
        )

    def plan_body(keys: Mapping[str, Child]) -> str:
        return renderer.plan_text(plan, keys, compact=compact)

    shape = structure_digest(children)
    return Desired(
        children=children,
        plan_header=markers.identity(
            "plan",
            markup,
            story=story.identity,
            shape=shape,
            **plan_attrs(plan),
            **({"date": plan.overview.plan_date.isoformat()} if plan.overview.plan_date else {}),
        ),
        shape=shape,
        plan_body=plan_body,
        markup=markup,
        story_label=story_label,
        obsolete_comment=obsolete_comment,
        prune=prune,
    )
