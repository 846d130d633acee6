"""The embedded default tracker: a story is a Markdown (or Jira markup) file, the plan is
written next to it, and each task is a Markdown file with YAML front matter.

    stories/login.md            the story (its first `# heading` is the title)
    stories/login.plan.md       the plan
    stories/login.tasks/T2.md   a task: front matter id, title, depends_on, status
"""

from __future__ import annotations

import glob
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml

from storyplan.config import Settings, section
from storyplan.dispatch import one_by_one
from storyplan.errors import CapabilityError, ConfigError, NotFoundError, PlanError, Problem
from storyplan.localfiles import read_text, write_text
from storyplan.model import Markup, Story, TaskStatus
from storyplan.ports import (
    AddLink,
    Applied,
    AttachChild,
    Capabilities,
    Change,
    Child,
    CloseChild,
    CloseDuplicate,
    CloseStory,
    CreateChild,
    DeletePlan,
    LabelStory,
    Limits,
    Link,
    MarkObsolete,
    PlanComment,
    RemoveLink,
    Tracker,
    TrackerState,
    UpdateChild,
    UpsertPlan,
)
from storyplan.refs import Ref
from storyplan.taskstatus import read_status

from .settings import FilesSettings


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """YAML front matter between `---` lines at the very top, and the text after it."""
    if not text.startswith("---\n"):
        return {}, text
    end = text.find("\n---\n", 3)
    if end < 0:
        end = text.find("\n---", 3)
        if end < 0 or text[end + 4 :].strip():
            raise PlanError([Problem("front matter is not closed with '---'", 1, where)])
    try:
        data = yaml.safe_load(text[4:end]) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", 0) + 2
        raise PlanError([Problem("front matter is not valid YAML", line, where)]) from None
    if not isinstance(data, dict):
        raise PlanError([Problem("front matter is not a mapping of keys to values", 2, where)])
    return data, text[end + 5 :]


def join_front_matter(data: dict[str, Any], body: str) -> str:
    head = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{head}---\n{body}"


class FilesTracker:
    name = "files"
    markup: Markup = "markdown"
    limits = Limits()
    capabilities = Capabilities(labels=False, close_story=False, attach_existing=False)
    title_format = "{title}"
    plan_noun = "plan file"

    def __init__(self, settings: FilesSettings | None = None) -> None:
        self.settings = settings or FilesSettings()

    # -- paths ------------------------------------------------------------------------------
    def _story_path(self, story: Story) -> Path:
        return Path(story.source or story.ref)

    def plan_path(self, story: Story) -> Path:
        path = self._story_path(story)
        return path.with_name(_stem(path, story) + self.settings.plan_suffix)

    def tasks_dir(self, story: Story) -> Path:
        path = self._story_path(story)
        return path.with_name(_stem(path, story) + self.settings.tasks_suffix)

    def _child_path(self, story: Story, key: str) -> Path:
        return self._story_path(story).parent / key

    def _key(self, story: Story, path: Path) -> str:
        return path.relative_to(self._story_path(story).parent).as_posix()

    # -- reading ----------------------------------------------------------------------------
    def fetch_story(self, ref: str) -> Story:
        path = Path(ref)
        if not path.exists():
            raise NotFoundError(f"{ref}: no such story file")
        if not path.is_file():
            raise ConfigError(f"{ref}: is not a file; give the path of a story file")
        return self.story_from_text(read_text(path), ref, path)

    def story_from_text(self, text: str, source: str, path: Path) -> Story:
        """The story in `text`, read from `source` (a file, or standard input)."""
        if not text.strip():
            raise PlanError([Problem("the story is empty", 0, source)])
        markup: Markup = "jira" if path.suffix.lower() in (".jira", ".wiki") else "markdown"
        title, body = _title_and_body(text, markup, path.stem)
        # The story is named by its file name, so the plan reads the same from any directory.
        return Story(ref=path.name, title=title, body=body, markup=markup, source=source, url=None)

    def _read_task(self, story: Story, path: Path) -> tuple[Child, list[str]]:
        key = self._key(story, path)
        text = read_text(path)
        data, body = split_front_matter(text, str(path))
        task_id = data.get("id")
        status = read_status(data.get("status"), text, str(path))
        depends = data.get("depends_on") or []
        if not isinstance(depends, list):
            depends = [depends]
        child = Child(
            key=key,
            task_id=str(task_id) if task_id is not None else None,
            title=str(data.get("title", "")),
            body=body,
            url=key,
            status=status,
            obsolete=bool(data.get("obsolete", False)),
        )
        return child, [str(dep) for dep in depends]

    def read_state(self, story: Story, *, with_links: bool = True) -> TrackerState:
        plan_path = self.plan_path(story)
        plan = None
        if plan_path.exists():
            key = self._key(story, plan_path)
            body = read_text(plan_path)
            plan = PlanComment(key=key, body=body, url=str(plan_path))
        children: list[Child] = []
        depends: dict[str, list[str]] = {}
        tasks_dir = self.tasks_dir(story)
        if tasks_dir.is_dir():
            for path in sorted(tasks_dir.glob("*.md")):
                child, deps = self._read_task(story, path)
                children.append(child)
                depends[child.key] = deps
        key_of = {child.task_id: child.key for child in children if child.task_id}
        links = [
            Link(blocker=key_of[dep], blocked=key)
            for key, deps in depends.items()
            for dep in deps
            if dep in key_of
        ]
        return TrackerState(plan=plan, children=tuple(children), links=tuple(links))

    def find_planned(self, project: str, label: str) -> list[str]:
        """Every story file under the folder `project` that has a plan next to it."""
        root = Path(project or ".")
        if not root.is_dir():
            raise NotFoundError(f"{project}: no such folder to look for planned stories in")
        stories = []
        for plan in sorted(root.rglob(f"*{self.settings.plan_suffix}")):
            stem = plan.name[: -len(self.settings.plan_suffix)]
            for candidate in sorted(plan.parent.glob(f"{glob.escape(stem)}.*")):
                if candidate != plan and candidate.suffix in (".md", ".markdown", ".jira", ".txt"):
                    stories.append(str(candidate))
                    break
        return stories

    # -- writing ----------------------------------------------------------------------------
    def _edit(self, story: Story, key: str, edit: Any) -> Child:
        path = self._child_path(story, key)
        data, body = split_front_matter(read_text(path), str(path))
        body = edit(data, body)
        write_text(path, join_front_matter(data, body))
        return self._read_task(story, path)[0]

    def _task_id(self, story: Story, key: str) -> str:
        child, _ = self._read_task(story, self._child_path(story, key))
        return child.task_id or key

    def apply(self, story: Story, changes: Sequence[Change]) -> Iterator[Applied]:
        return one_by_one(self, story, changes)

    def create_child(self, story: Story, change: CreateChild) -> Applied:
        path = self.tasks_dir(story) / f"{_file_name(change.task_id)}.md"
        data = {
            "id": change.task_id,
            "title": change.title,
            "depends_on": list(change.depends_on),
            "status": TaskStatus.OPEN.value,
            "story": story.ref,
        }
        write_text(path, join_front_matter(data, change.body))
        return Applied(change=change, child=self._read_task(story, path)[0])

    def attach_child(self, story: Story, change: AttachChild) -> Applied:
        raise CapabilityError("the files tracker cannot attach an existing issue")

    def update_child(self, story: Story, change: UpdateChild) -> Applied:
        def update(data: dict[str, Any], body: str) -> str:
            data["title"] = change.title
            if change.revive:
                data.pop("obsolete", None)
                data.pop("obsolete_reason", None)
            return change.body

        return Applied(change=change, child=self._edit(story, change.key, update))

    def _link(self, story: Story, change: AddLink | RemoveLink) -> Applied:
        assert change.blocker is not None
        assert change.blocked is not None
        blocker_id = self._task_id(story, change.blocker)
        adding = isinstance(change, AddLink)

        def link(data: dict[str, Any], body: str) -> str:
            deps = [str(dep) for dep in data.get("depends_on") or []]
            if adding and blocker_id not in deps:
                deps.append(blocker_id)
            if not adding:
                deps = [dep for dep in deps if dep != blocker_id]
            data["depends_on"] = deps
            return body

        return Applied(change=change, child=self._edit(story, change.blocked, link))

    def add_link(self, story: Story, change: AddLink) -> Applied:
        return self._link(story, change)

    def remove_link(self, story: Story, change: RemoveLink) -> Applied:
        return self._link(story, change)

    def mark_obsolete(self, story: Story, change: MarkObsolete) -> Applied:
        def obsolete(data: dict[str, Any], body: str) -> str:
            data["obsolete"] = True
            data["obsolete_reason"] = change.comment
            return body

        return Applied(change=change, child=self._edit(story, change.key, obsolete))

    def close_child(self, story: Story, change: CloseChild) -> Applied:
        def close(data: dict[str, Any], body: str) -> str:
            data["status"] = TaskStatus.NOT_PLANNED.value
            return body

        return Applied(change=change, child=self._edit(story, change.key, close))

    def close_duplicate(self, story: Story, change: CloseDuplicate) -> Applied:
        def close(data: dict[str, Any], body: str) -> str:
            data["status"] = TaskStatus.NOT_PLANNED.value
            data["obsolete"] = True
            data["duplicate_of"] = change.kept
            return body

        return Applied(change=change, child=self._edit(story, change.key, close))

    def upsert_plan(self, story: Story, change: UpsertPlan) -> Applied:
        path = self.plan_path(story)
        write_text(path, change.body)
        key = self._key(story, path)
        return Applied(change=change, plan=PlanComment(key=key, body=change.body, url=str(path)))

    def delete_plan(self, story: Story, change: DeletePlan) -> Applied:
        raise CapabilityError("the files tracker keeps one plan file; it has none to delete")

    def label_story(self, story: Story, change: LabelStory) -> Applied:
        raise CapabilityError("the files tracker has no labels")

    def close_story(self, story: Story, change: CloseStory) -> Applied:
        raise CapabilityError("the files tracker cannot close a story")


def _stem(path: Path, story: Story) -> str:
    """A file holding several stories plans each apart: `epic.story-2.plan.md`."""
    return path.stem if story.part is None else f"{path.stem}.story-{story.part}"


def _file_name(task_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in task_id)


def _title_and_body(text: str, markup: Markup, fallback: str) -> tuple[str, str]:
    """The first top-level heading is the title; its line is blanked so line numbers hold."""
    lines = text.splitlines(keepends=True)
    prefix = "h1. " if markup == "jira" else "# "
    in_front_matter = bool(lines) and lines[0].strip() == "---"
    for index, line in enumerate(lines):
        if in_front_matter:
            if index > 0 and line.strip() == "---":
                in_front_matter = False
            continue
        if line.startswith(prefix):
            lines[index] = "\n"
            return line[len(prefix) :].strip(), "".join(lines)
        if line.strip():
            break
    return fallback.replace("-", " ").replace("_", " ").strip().capitalize(), text


def create_tracker(settings: Settings, ref: Ref, **options: Any) -> Tracker:
    return FilesTracker(section(settings, FilesSettings, "files"))
