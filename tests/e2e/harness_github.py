"""The GitHub harness: a story on the fake GitHub, read back through the fake's own state,
with the transport's faults played by the fake (`Fault`, its tokens and its rate limit).

A GraphQL query is a read; writes count mutation fields carried out, write attempts the
requests that carried mutations (or REST writes). Faults name GraphQL requests by their
operation (`/graphql#mutation:createIssue,…`, see FakeGithub._take_fault)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from storyplan import markers
from tests.e2e.harness import Held, environment

ENV = {
    "GITHUB_TOKEN": "tok-write",
    "STORYPLAN_GITHUB__SECONDS_BETWEEN_WRITES": "0",
    "STORYPLAN_GITHUB__RETRIES": "2",  # a read is tried three times
}


class GithubHarness:
    name = "github"
    scope = "github:octo/shop"

    def __init__(self, fake: object) -> None:
        from tests.fakes.fake_github import FakeGithub

        assert isinstance(fake, FakeGithub)
        self.fake = fake
        fake.add_repo("octo/shop")
        self.story = fake.add_issue("octo/shop", "Sign in with email", "")
        self.ref = f"octo/shop#{self.story.number}"
        self._mark = 0
        self._existing: dict[str, tuple[str, str]] = {}

    def write_story(self, text: str) -> None:
        with self.fake.lock:
            self.story.body = text

    def rename_story(self, title: str) -> None:
        with self.fake.lock:
            self.story.title = title

    def spellings(self) -> list[str]:
        n = self.story.number
        return [f"Octo/Shop#{n}", f"OCTO/SHOP#{n}", f"octo/shop#0{n}", f"github:octo/shop#00{n}"]

    def _held(self, issue: Any) -> Held:
        return Held(
            key=f"#{issue.number}",
            title=issue.title,
            body=issue.body or "",
            obsolete="storyplan:obsolete" in issue.labels,
            closed=issue.state == "closed",
        )

    def made(self) -> dict[str, list[Held]]:
        found: dict[str, list[Held]] = {}
        for issue in self.fake.issues_in("octo/shop"):
            mark = markers.read_identity(issue.body or "", "task")
            if mark and mark.get("story") == self.ref:
                found.setdefault(mark["id"], []).append(self._held(issue))
        return found

    def reopen_child(self, task_id: str) -> None:
        number = int(self.children()[task_id].key.lstrip("#"))
        with self.fake.lock:
            issue = self.fake.issue("octo/shop", number)
            issue.state, issue.state_reason = "open", "reopened"

    def lose_create_and_look_up(self) -> None:
        from tests.fakes.base import Fault

        self.fake.faults.append(Fault("POST", r"/repos/octo/shop/issues$", status=None))
        self.fake.faults.append(
            Fault("GET", r"/repos/octo/shop/issues$", status=502, after=False, skip=1, times=99)
        )

    def bury(self, count: int) -> None:
        for index in range(count):  # other stories' tasks, made since
            other = f'<!-- storyplan:task id="T1" story="octo/shop#{9000 + index}" -->'
            self.fake.add_issue("octo/shop", f"Other {index}", other, labels=["storyplan:task"])

    def children(self) -> dict[str, Held]:
        held = {}
        for issue in self.fake.sub_issues("octo/shop", self.story.number):
            mark = markers.read_identity(issue.body or "", "task")
            if mark is not None:
                held[mark["id"]] = self._held(issue)
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

    def add_existing(self, title: str) -> str:
        issue = self.fake.add_issue("octo/shop", title, "Someone else's words")
        reference = f"#{issue.number}"
        self._existing[reference] = (issue.title, issue.body or "")
        return reference

    def existing_unchanged(self, reference: str) -> bool:
        issue = self.fake.issue("octo/shop", int(reference.lstrip("#")))
        return (issue.title, issue.body or "") == self._existing[reference]

    def lose_next_create(self) -> None:
        from tests.fakes.base import Fault

        creates = r"(/repos/octo/shop/issues$|#mutation:.*\bcreateIssue\b)"
        self.fake.faults.append(Fault("POST", creates, status=None))

    def refuse_next_write(self) -> None:
        from tests.fakes.base import Fault

        # A run's first write is a POST (a mutation, an issue or a comment: never an edit).
        self.fake.faults.append(Fault("POST", r"^(?!.*#query:)", status=502, after=False))

    def fail_next_reads(self, times: int) -> None:
        from tests.fakes.base import Fault

        # A GET fault fits GraphQL queries too: they read.
        self.fake.faults.append(Fault("GET", r".", status=502, after=False, times=times))

    def revoke_token(self) -> None:
        with self.fake.lock:
            self.fake.tokens.clear()

    def throttle(self) -> None:
        self.fake.exhaust_rate_limit(reset_in=600)

    def write_attempts(self) -> int:
        """Requests that carried writes, refused ones included (the log holds them)."""
        from tests.fakes.github_graphql import is_write_request

        return sum(1 for entry in self.fake.log[self._mark :] if is_write_request(entry))

    def mark(self) -> None:
        self._mark = len(self.fake.log)

    def writes(self) -> int:
        return self.fake.write_count(since=self._mark)

    def reads(self) -> int:
        from tests.fakes.github_graphql import is_write_request

        return sum(1 for entry in self.fake.log[self._mark :] if not is_write_request(entry))

    def requests(self) -> int:
        return len(self.fake.log) - self._mark

    def fail_writes_after(self, count: int) -> None:
        self.fake.cut_writes_after(count)

    def clear_faults(self) -> None:
        self.fake.faults.clear()
        self.fake.cut_writes_after(None)


@contextmanager
def github_harness() -> Iterator[GithubHarness]:
    from tests.fakes.fake_github import assert_spec_clean, github_fake

    with github_fake() as fake:
        with environment({**ENV, "STORYPLAN_GITHUB__BASE_URL": fake.url}):
            yield GithubHarness(fake)
        assert_spec_clean(fake)
