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
from typing import Any, Protocol, runtime_checkable

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
    def rename_story(self, title: str) -> None: ...
    def spellings(self) -> list[str]:
        """Other ways to name the story that the tracker takes for the same one."""
        ...

    def children(self) -> dict[str, Held]: ...
    def made(self) -> dict[str, list[Held]]:
        """Every issue made for the story's tasks, attached or not, by task id, oldest first."""
        ...

    def reopen_child(self, task_id: str) -> None: ...
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


@runtime_checkable
class Remote(Harness, Protocol):
    """A harness for a tracker reached over HTTP: the transport's faults can be played."""

    scope: str  # what `sync --all` is given to find this story (github:octo/shop)

    def add_existing(self, title: str) -> str:
        """Make an issue that exists before the story is planned; the reference a story
        writes for it (`#12`, `SHOP-7`)."""
        ...

    def existing_unchanged(self, reference: str) -> bool:
        """Whether that issue's title and body are as they were made."""
        ...

    def lose_next_create(self) -> None:
        """The next create of a child is carried out but its answer is lost."""
        ...

    def refuse_next_write(self) -> None:
        """The next write answers 502 without being carried out."""
        ...

    def fail_next_reads(self, times: int) -> None:
        """The next `times` reads answer 502 (then the server recovers)."""
        ...

    def revoke_token(self) -> None:
        """Every request from now on is refused as unauthenticated."""
        ...

    def throttle(self) -> None:
        """Every request from now on is refused by the rate limit, with a reset time."""
        ...

    def write_attempts(self) -> int:
        """Write requests the server received since `mark`, refused ones included."""
        ...

    def lose_create_and_look_up(self) -> None:
        """The next create of a child is made but its answer lost, and the look-up for what
        it made fails too (until `clear_faults`)."""
        ...

    def bury(self, count: int) -> None:
        """Make `count` issues that put what the last run made past the first page of what the
        next run reads or looks up (other stories' tasks, newer; or the story's own)."""
        ...


class Progressing(Harness, Protocol):
    """A harness that can also play a developer: close a sub-issue, tick a box in it."""

    def close_child(self, task_id: str) -> None: ...
    def tick_in_child(self, task_id: str, text: str) -> None: ...


@contextmanager
def environment(values: dict[str, str], clear: tuple[str, ...] = ()) -> Iterator[None]:
    """`values` set and `clear` unset in the environment for a run, put back afterwards."""
    saved = {name: os.environ.get(name) for name in (*clear, *values)}
    for name in clear:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_cli(*args: str) -> int:
    return main(list(args))


def race(*runs: tuple[str, ...]) -> list[int]:
    """Run the CLI once per `runs` entry at the same time, each having read the tracker's
    state before any of them writes: a barrier at the Tracker port's first `apply` (so the
    race holds whatever requests an adapter makes). The exit codes, in no set order."""
    import threading

    import storyplan.compose as compose

    barrier = threading.Barrier(len(runs), timeout=120)
    made = compose.make_tracker

    def racing(*args: Any, **kwargs: Any) -> Any:
        tracker = made(*args, **kwargs)
        apply, waited = tracker.apply, []

        def apply_together(*a: Any, **k: Any) -> Any:
            if not waited:
                waited.append(True)
                barrier.wait()
            return apply(*a, **k)

        tracker.apply = apply_together
        return tracker

    codes: list[int] = []
    compose.make_tracker = racing  # type: ignore[assignment]
    try:
        threads = [
            threading.Thread(target=lambda a=args: codes.append(main(list(a)))) for args in runs
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
    finally:
        compose.make_tracker = made  # type: ignore[assignment]
    return codes


class FilesHarness:
    name = "files"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "login.md"
        self.ref = str(self.path)
        self.title = "Sign in with email"
        self._text = ""
        self._snapshot: dict[Path, tuple[int, str]] = {}
        self._fail_after: int | None = None

    def write_story(self, text: str) -> None:
        self._text = text
        self.path.write_text(f"# {self.title}\n\n" + text, encoding="utf-8")

    def rename_story(self, title: str) -> None:
        self.title = title
        self.write_story(self._text)

    def spellings(self) -> list[str]:
        """Relative to the story's folder (the test runs there): `./login.md`, `login.md`."""
        return ["./login.md", "login.md", f"../{self.root.name}/login.md", f"{self.root}//login.md"]

    def made(self) -> dict[str, list[Held]]:
        return {task_id: [held] for task_id, held in self.children().items()}

    def reopen_child(self, task_id: str) -> None:
        self._set_status(task_id, "open")

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
        self._set_status(task_id, "done")

    def _set_status(self, task_id: str, status: str) -> None:
        from storyplan.adapters.files.tracker import join_front_matter, split_front_matter

        path = self.root / "login.tasks" / f"{task_id}.md"
        data, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
        data["status"] = status
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


@contextmanager
def files_harness() -> Iterator[FilesHarness]:
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        yield FilesHarness(Path(root))


def _github() -> AbstractContextManager[Harness]:
    from tests.e2e.harness_github import github_harness

    return github_harness()


def _jira(mode: str) -> AbstractContextManager[Harness]:
    from tests.e2e.harness_jira import jira_harness

    return jira_harness(mode)


def _gitlab(**options: Any) -> AbstractContextManager[Harness]:
    from tests.e2e.harness_gitlab import gitlab_harness

    return gitlab_harness(**options)


# Every tracker's harness, by name: the end-to-end suite and the benchmarks run over these.
HARNESSES: dict[str, Callable[[], AbstractContextManager[Harness]]] = {
    "files": files_harness,
    "github": _github,
    "jira-cloud": lambda: _jira("cloud"),
    "jira-dc": lambda: _jira("server"),
    "gitlab": _gitlab,
    "gitlab-free": lambda: _gitlab(free=True),  # no blocking links: the announced fallback
}
REMOTE = [name for name in HARNESSES if name != "files"]
