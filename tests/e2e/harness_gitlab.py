"""The GitLab harness for the end-to-end scenarios: the fake GitLab on loopback, a story in a
nested project whose path has dots and dashes, and the real python-gitlab behind the CLI.

`free=True` plays a Free-tier instance (no blocking links): the same scenarios then check
the announced fallback, a `relates_to` link plus a "Blocked by" line, read back by the harness
on its own terms rather than through the adapter's parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storyplan import markers
from tests.e2e.harness import Held, environment
from tests.fakes.base import Fault, Logged
from tests.fakes.fake_gitlab import FakeGitlab, Issue, is_write

PROJECT = "acme-corp/platform.team/shop-api.v2"
_BLOCKED_LINE = re.compile(r"^Blocked by (?P<refs>.*) <!-- storyplan:blocked-by -->$", re.M)


def _logged_write(entry: Logged) -> bool:
    return is_write(entry.method, entry.path, entry.request_body)


class GitlabHarness:
    def __init__(self, fake: FakeGitlab, name: str, children: str) -> None:
        self.name = name
        self.fake = fake
        self.tasks = children == "tasks"
        fake.add_project(PROJECT)
        # A project storyplan has planned in before: its task label exists, so the first
        # write of a run is a change's own (label-making is covered in tests/test_gitlab.py).
        fake.add_label(PROJECT, "storyplan:task")
        self.story = fake.add_issue(PROJECT, "Sign in with email", description="")
        self.ref = f"gitlab:{PROJECT}#{self.story.iid}"
        self.scope = f"gitlab:{PROJECT}"
        self._mark = 0
        self._existing: dict[str, tuple[str, str | None]] = {}

    def write_story(self, text: str) -> None:
        with self.fake.lock:
            self.story.description = text

    def rename_story(self, title: str) -> None:
        with self.fake.lock:
            self.story.title = title

    def spellings(self) -> list[str]:
        iid = self.story.iid
        return [
            f"gitlab:{PROJECT.upper()}#{iid}",
            f"gitlab:Acme-Corp/Platform.Team/Shop-API.v2#{iid}",
            f"gitlab:{PROJECT}#0{iid}",
            f"{self.fake.url}/{PROJECT}/-/issues/{iid}",
        ]

    def made(self) -> dict[str, list[Held]]:
        found: dict[str, list[Held]] = {}
        for issue in sorted(self.fake.project_issues(PROJECT), key=lambda i: i.iid):
            mark = markers.read_identity(issue.description or "", "task")
            if mark and mark.get("story") == f"{PROJECT}#{self.story.iid}":
                found.setdefault(mark["id"], []).append(self._held(issue))
        return found

    def _held(self, issue: Issue) -> Held:
        return Held(
            key=f"#{issue.iid}",
            title=issue.title,
            body=issue.description or "",
            obsolete="storyplan:obsolete" in issue.labels,
            closed=issue.state == "closed",
        )

    def reopen_child(self, task_id: str) -> None:
        with self.fake.lock:
            issue = self._by_task()[task_id]
            issue.state, issue.closed_at = "opened", None

    def lose_create_and_look_up(self) -> None:
        # A child task is made with its parent in one request, so a lost answer leaves a
        # child the next read finds (there is no separate look-up to fail).
        with self.fake.lock:
            self.fake.lose_creates = 1

    def bury(self, count: int) -> None:
        for n in range(count):  # other stories' tasks, all newer
            marker = markers.identity("task", story=f"{PROJECT}#{1000 + n}", id="T1")
            labels = ["storyplan:task"]
            self.fake.add_issue(PROJECT, f"Other {n}", description=marker, labels=labels)

    def _issues(self) -> list[Issue]:
        if self.tasks:
            return self.fake.children(self.story)
        related = []
        for link in self.fake.issue_links(self.story):
            if link.link_type == "relates_to":
                other = link.target_id if link.source_id == self.story.id else link.source_id
                related.append(self.fake.work_item(other))
        return related

    def _by_task(self) -> dict[str, Issue]:
        found = {}
        for issue in self._issues():
            mark = markers.read_identity(issue.description or "", "task")
            if mark is not None:
                found[mark["id"]] = issue
        return found

    def children(self) -> dict[str, Held]:
        return {task_id: self._held(issue) for task_id, issue in self._by_task().items()}

    def links(self) -> set[tuple[str, str]]:
        by_task = self._by_task()
        ids = {issue.id: task_id for task_id, issue in by_task.items()}
        by_iid = {issue.iid: issue for issue in by_task.values()}
        pairs = set()
        with self.fake.lock:
            for link in self.fake.links.values():
                if link.link_type == "blocks" and {link.source_id, link.target_id} <= set(ids):
                    pairs.add((ids[link.source_id], ids[link.target_id]))
        for task_id, issue in by_task.items():
            line = _BLOCKED_LINE.search(issue.description or "")
            for iid in re.findall(r"#(\d+)", line["refs"]) if line else []:
                blocker = by_iid[int(iid)]
                related = {
                    frozenset((lk.source_id, lk.target_id))
                    for lk in self.fake.issue_links(issue)
                    if lk.link_type == "relates_to"
                }
                assert frozenset((issue.id, blocker.id)) in related, "a line without its link"
                pairs.add((ids[blocker.id], task_id))
        return pairs

    def _plan_notes(self) -> list[Any]:
        return [
            note
            for note in self.fake.issue_notes(self.story, include_system=False)
            if "storyplan:plan" in note.body
        ]

    def plan_bodies(self) -> list[str]:
        return [note.body for note in self._plan_notes()]

    def set_plan_body(self, body: str) -> None:
        with self.fake.lock:
            self._plan_notes()[0].body = body

    def set_child_body(self, task_id: str, body: str) -> None:
        with self.fake.lock:
            self._by_task()[task_id].description = body

    def obsolete_notes(self, task_id: str) -> int:
        issue = self._by_task()[task_id]
        return sum("removed from the plan" in n.body for n in self.fake.issue_notes(issue))

    def close_child(self, task_id: str) -> None:
        with self.fake.lock:
            issue = self._by_task()[task_id]
            issue.state, issue.closed_at = "closed", issue.updated_at

    def tick_in_child(self, task_id: str, text: str) -> None:
        body = self.children()[task_id].body
        assert f"- [ ] {text}" in body
        self.set_child_body(task_id, body.replace(f"- [ ] {text}", f"- [x] {text}", 1))

    def mark(self) -> None:
        self._mark = len(self.fake.log)

    def writes(self) -> int:
        """Writes carried out: a REST write request, or one mutation of a GraphQL request
        (a request may carry many)."""
        with self.fake.lock:
            rest = sum(
                1
                for entry in self.fake.log[self._mark :]
                if _logged_write(entry) and not entry.path.endswith("/api/graphql")
            )
            return rest + sum(
                op.writes for op in self.fake.graphql_ops if op.log_index >= self._mark
            )

    def reads(self) -> int:
        return sum(1 for entry in self.fake.log[self._mark :] if not _logged_write(entry))

    def requests(self) -> int:
        return len(self.fake.log) - self._mark

    def fail_writes_after(self, count: int) -> None:
        """Every write after the first `count` is answered 502 and not carried out."""
        with self.fake.lock:
            self.fake.writes_before_failing = count

    def clear_faults(self) -> None:
        with self.fake.lock:
            self.fake.writes_before_failing = None
            self.fake.refuse_writes = self.fake.lose_creates = 0
            self.fake.faults.clear()

    # -- what the shared contract plays on a tracker reached over HTTP ----------------------
    def add_existing(self, title: str) -> str:
        issue = self.fake.add_issue(PROJECT, title, description="Made by a person.")
        reference = f"#{issue.iid}"
        self._existing[reference] = (issue.title, issue.description)
        return reference

    def existing_unchanged(self, reference: str) -> bool:
        issue = self.fake.issue(PROJECT, int(reference.lstrip("#")))
        return (issue.title, issue.description) == self._existing[reference]

    def lose_next_create(self) -> None:
        with self.fake.lock:
            self.fake.lose_creates = 1

    def refuse_next_write(self) -> None:
        with self.fake.lock:
            self.fake.refuse_writes = 1

    def fail_next_reads(self, times: int) -> None:
        with self.fake.lock:
            self.fake.faults.append(Fault("GET", r".", status=502, after=False, times=times))

    def revoke_token(self) -> None:
        with self.fake.lock:
            self.fake.tokens.clear()

    def throttle(self) -> None:
        self.fake.throttle(times=None, retry_after=60)

    def write_attempts(self) -> int:
        """Write requests, refused ones included."""
        return sum(1 for entry in self.fake.log[self._mark :] if _logged_write(entry))


def assert_clean(fake: FakeGitlab) -> None:
    """No handler crashed and every GraphQL operation storyplan sent was valid."""
    assert fake.errors == []
    assert [op.errors for op in fake.graphql_ops if op.errors] == []


ENV = ("GITLAB_TOKEN", "CI_JOB_TOKEN", "STORYPLAN_GITLAB__TOKEN")


@contextmanager
def gitlab_environment(fake: FakeGitlab, **settings: str) -> Iterator[None]:
    """The token and settings a run against `fake` needs, put back afterwards."""
    values = {
        "GITLAB_TOKEN": "tok-write",
        "STORYPLAN_GITLAB__BASE_URL": fake.url,
        **{f"STORYPLAN_GITLAB__{name.upper()}": value for name, value in settings.items()},
    }
    with environment(values, clear=tuple(ENV)):
        yield


@contextmanager
def gitlab_harness(*, free: bool = False, children: str = "tasks") -> Iterator[GitlabHarness]:
    name = "gitlab" + ("-free" if free else "") + ("-issues" if children == "issues" else "")
    with FakeGitlab() as fake, gitlab_environment(fake, children=children):
        fake.blocking_links_available = not free
        yield GitlabHarness(fake, name, children)
        assert_clean(fake)
