"""One harness per tracker, so the end-to-end scenarios are written once and run on each.

A harness puts a story in its tracker, runs storyplan's real CLI on it, and reads back what
the tracker holds (children by task id, links as task-id pairs, plan comments) and how
many reads and writes the run cost.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from storyplan import markers
from storyplan.cli import main
from storyplan.errors import TrackerError


@dataclass
class Held:
    """What the tracker holds for one task."""

    key: str
    title: str
    body: str
    obsolete: bool
    closed: bool


class Harness(Protocol):
    name: str
    ref: str

    def write_story(self, text: str) -> None: ...
    def children(self) -> dict[str, Held]: ...
    def links(self) -> set[tuple[str, str]]: ...
    def plan_bodies(self) -> list[str]: ...
    def set_plan_body(self, body: str) -> None: ...
    def set_child_body(self, task_id: str, body: str) -> None: ...
    def obsolete_notes(self, task_id: str) -> int: ...
    def mark(self) -> None: ...
    def writes(self) -> int: ...
    def reads(self) -> int: ...
    def fail_writes_after(self, count: int) -> None: ...
    def clear_faults(self) -> None: ...


class Progressing(Harness, Protocol):
    """A harness that can also play a developer: close a sub-issue, tick a box in it."""

    def close_child(self, task_id: str) -> None: ...
    def tick_in_child(self, task_id: str, text: str) -> None: ...


def run_cli(*args: str) -> int:
    return main(list(args))


class FilesHarness:
    name = "files"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "login.md"
        self.ref = str(self.path)
        self._snapshot: dict[Path, tuple[int, str]] = {}
        self._fail_after: int | None = None

    def write_story(self, text: str) -> None:
        self.path.write_text("# Sign in with email\n\n" + text, encoding="utf-8")

    def _task_files(self) -> list[Path]:
        return sorted((self.root / "login.tasks").glob("*.md"))

    def children(self) -> dict[str, Held]:
        from storyplan.adapters.files.tracker import split_front_matter

        held = {}
        for path in self._task_files():
            data, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
            held[str(data["id"])] = Held(
                key=path.name,
                title=str(data["title"]),
                body=body,
                obsolete=bool(data.get("obsolete")),
                closed=data.get("status") in ("done", "not_planned"),
            )
        return held

    def links(self) -> set[tuple[str, str]]:
        from storyplan.adapters.files.tracker import split_front_matter

        pairs = set()
        for path in self._task_files():
            data, _ = split_front_matter(path.read_text(encoding="utf-8"), str(path))
            pairs.update((str(dep), str(data["id"])) for dep in data.get("depends_on") or [])
        return pairs

    def plan_bodies(self) -> list[str]:
        plan = self.root / "login.plan.md"
        return [plan.read_text(encoding="utf-8")] if plan.exists() else []

    def set_plan_body(self, body: str) -> None:
        (self.root / "login.plan.md").write_text(body, encoding="utf-8")

    def set_child_body(self, task_id: str, body: str) -> None:
        from storyplan.adapters.files.tracker import join_front_matter, split_front_matter

        path = self.root / "login.tasks" / f"{task_id}.md"
        data, _ = split_front_matter(path.read_text(encoding="utf-8"), str(path))
        path.write_text(join_front_matter(data, body), encoding="utf-8")

    def obsolete_notes(self, task_id: str) -> int:
        return int(self.children()[task_id].obsolete)

    def close_child(self, task_id: str) -> None:
        from storyplan.adapters.files.tracker import join_front_matter, split_front_matter

        path = self.root / "login.tasks" / f"{task_id}.md"
        data, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
        data["status"] = "done"
        path.write_text(join_front_matter(data, body), encoding="utf-8")

    def tick_in_child(self, task_id: str, text: str) -> None:
        body = self.children()[task_id].body
        assert f"- [ ] {text}" in body
        self.set_child_body(task_id, body.replace(f"- [ ] {text}", f"- [x] {text}", 1))

    def _files(self) -> dict[Path, tuple[int, str]]:
        paths = [self.root / "login.plan.md", *self._task_files()]
        return {
            p: (p.stat().st_mtime_ns, p.read_text(encoding="utf-8")) for p in paths if p.exists()
        }

    def mark(self) -> None:
        self._snapshot = self._files()

    def writes(self) -> int:
        now = self._files()
        return sum(1 for path, state in now.items() if self._snapshot.get(path) != state)

    def reads(self) -> int:
        return 0

    def fail_writes_after(self, count: int) -> None:
        import storyplan.adapters.files.tracker as files

        original = files.write_text
        calls = {"n": 0}

        def failing(path: Path, text: str) -> bool:
            calls["n"] += 1
            if calls["n"] > count:
                raise TrackerError(f"{path}: disk full")
            return original(path, text)

        files.write_text = failing  # type: ignore[assignment]
        self._restore = original

    def clear_faults(self) -> None:
        import storyplan.adapters.files.tracker as files

        files.write_text = self._restore  # type: ignore[assignment]


class GithubHarness:
    name = "github"

    def __init__(self, fake: object) -> None:
        from tests.fakes.fake_github import FakeGithub

        assert isinstance(fake, FakeGithub)
        self.fake = fake
        fake.add_repo("octo/shop")
        self.story = fake.add_issue("octo/shop", "Sign in with email", "")
        self.ref = f"octo/shop#{self.story.number}"
        self._mark = 0

    def write_story(self, text: str) -> None:
        with self.fake.lock:
            self.story.body = text

    def _task_issues(self) -> list[object]:
        return self.fake.sub_issues("octo/shop", self.story.number)

    def children(self) -> dict[str, Held]:
        held = {}
        for issue in self.fake.sub_issues("octo/shop", self.story.number):
            mark = markers.read_identity(issue.body or "", "task")
            if mark is None:
                continue
            held[mark["id"]] = Held(
                key=f"#{issue.number}",
                title=issue.title,
                body=issue.body or "",
                obsolete="storyplan:obsolete" in issue.labels,
                closed=issue.state == "closed",
            )
        return held

    def links(self) -> set[tuple[str, str]]:
        pairs = set()
        ids = {}
        for issue in self.fake.sub_issues("octo/shop", self.story.number):
            mark = markers.read_identity(issue.body or "", "task")
            if mark:
                ids[issue.number] = mark["id"]
        for issue in self.fake.sub_issues("octo/shop", self.story.number):
            for blocker in self.fake.blocked_by("octo/shop", issue.number):
                if blocker.number in ids and issue.number in ids:
                    pairs.add((ids[blocker.number], ids[issue.number]))
        return pairs

    def plan_bodies(self) -> list[str]:
        return [
            c.body
            for c in self.fake.comments_on("octo/shop", self.story.number)
            if "storyplan:plan" in c.body
        ]

    def set_plan_body(self, body: str) -> None:
        with self.fake.lock:
            comment = next(
                c
                for c in self.fake.comments_on("octo/shop", self.story.number)
                if "storyplan:plan" in c.body
            )
            comment.body = body

    def set_child_body(self, task_id: str, body: str) -> None:
        with self.fake.lock:
            for issue in self.fake.sub_issues("octo/shop", self.story.number):
                mark = markers.read_identity(issue.body or "", "task")
                if mark and mark["id"] == task_id:
                    issue.body = body

    def obsolete_notes(self, task_id: str) -> int:
        number = int(self.children()[task_id].key.lstrip("#"))
        return sum(
            "removed from the plan" in c.body for c in self.fake.comments_on("octo/shop", number)
        )

    def close_child(self, task_id: str) -> None:
        number = int(self.children()[task_id].key.lstrip("#"))
        with self.fake.lock:
            issue = self.fake.issue("octo/shop", number)
            issue.state, issue.state_reason = "closed", "completed"

    def tick_in_child(self, task_id: str, text: str) -> None:
        body = self.children()[task_id].body
        assert f"- [ ] {text}" in body
        self.set_child_body(task_id, body.replace(f"- [ ] {text}", f"- [x] {text}", 1))

    def mark(self) -> None:
        self._mark = len(self.fake.log)

    def writes(self) -> int:
        return sum(1 for entry in self.fake.log[self._mark :] if entry.is_write)

    def reads(self) -> int:
        return sum(1 for entry in self.fake.log[self._mark :] if not entry.is_write)

    def fail_writes_after(self, count: int) -> None:
        from tests.fakes.base import Fault

        self.fake.faults.append(Fault("POST", r".", status=None, after=False, skip=count, times=99))

    def clear_faults(self) -> None:
        self.fake.faults.clear()


@contextmanager
def github_harness() -> Iterator[GithubHarness]:
    from tests.fakes.fake_github import assert_spec_clean, github_fake

    with github_fake() as fake:
        saved = {k: os.environ.get(k) for k in ("GITHUB_TOKEN", "STORYPLAN_GITHUB__BASE_URL")}
        os.environ["GITHUB_TOKEN"] = "tok-write"
        os.environ["STORYPLAN_GITHUB__BASE_URL"] = fake.url
        os.environ["STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES"] = "0"
        os.environ["STORYPLAN_GITHUB__RETRIES"] = "0"
        try:
            yield GithubHarness(fake)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            os.environ.pop("STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES", None)
            os.environ.pop("STORYPLAN_GITHUB__RETRIES", None)
        assert_spec_clean(fake)


@contextmanager
def files_harness() -> Iterator[FilesHarness]:
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        yield FilesHarness(Path(root))


def _jira(mode: str) -> AbstractContextManager[Harness]:
    from tests.e2e.harness_jira import jira_harness

    return jira_harness(mode)


def _gitlab(**options: Any) -> AbstractContextManager[Harness]:
    from tests.e2e.harness_gitlab import gitlab_harness

    return gitlab_harness(**options)


# Every tracker's harness, by name: the end-to-end suite and the benchmarks run over these.
HARNESSES: dict[str, Callable[[], AbstractContextManager[Harness]]] = {
    "files": files_harness,
    "github": github_harness,
    "jira-cloud": lambda: _jira("cloud"),
    "jira-dc": lambda: _jira("server"),
    "gitlab": _gitlab,
    "gitlab-free": lambda: _gitlab(free=True),  # no blocking links: the announced fallback
}
