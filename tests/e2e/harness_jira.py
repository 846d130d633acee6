"""The end-to-end harness for Jira, in Cloud (email + API token) and Data Center (bearer PAT,
under a context path) modes, against the stateful fake Jira over loopback HTTP.

The shared scenarios speak Markdown: they write stories with `##` headings and `- [ ]`
items and look for `- [ ]` boxes in the plan. Jira people write wiki markup and Jira shows
boxes as `☐` (or `(x)`) and `(/)`, so this harness writes the story as wiki markup and shows plan
and task bodies with Markdown boxes (and `**bold**` field labels), turning them back when a
scenario edits a body. That is the only translation; everything else is what the fake holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from storyplan import markers
from tests.e2e.harness import Held, environment
from tests.fakes.base import Fault
from tests.fakes.fake_jira import FakeJira, JiraIssue

PROPERTY = "storyplan"
ENV = (
    "JIRA_URL",
    "JIRA_EMAIL",
    "JIRA_API_TOKEN",
    "JIRA_PAT",
    "STORYPLAN_JIRA__URL",
    "STORYPLAN_JIRA__BASE_URL",
    "STORYPLAN_JIRA__TOKEN",
    "STORYPLAN_JIRA__DEPLOYMENT",
)
ISSUE_POST = r"/rest/api/2/issue(?:/bulk)?$"
# (Jira, Markdown) notations the scenarios look for: boxes, and bold field labels.
_NOTATIONS = (
    (r"^\* (?:\(x\)|☐) ", "- [ ] ", r"^- \[ \] ", "* ☐ "),
    (r"^\* \(/\) ", "- [x] ", r"^- \[[xX]\] ", "* (/) "),
    (r"(?<![*\w])\*([^*\n]+)\*(?=:)", r"**\1**", r"\*\*([^*\n]+)\*\*(?=:)", r"*\1*"),
)
_TO_MARKDOWN = tuple((re.compile(a, re.M), b) for a, b, _, _ in _NOTATIONS)
_TO_JIRA = tuple((re.compile(c, re.M), d) for _, _, c, d in _NOTATIONS)


def is_plan(body: str) -> bool:
    """A plan comment: its anchor is of the plan's kind, whatever attributes it carries."""
    return markers.read_identity(body, "plan", "jira") is not None


def markdown_boxes(text: str) -> str:
    for pattern, box in _TO_MARKDOWN:
        text = pattern.sub(box, text)
    return text


def jira_boxes(text: str) -> str:
    for pattern, box in _TO_JIRA:
        text = pattern.sub(box, text)
    return text


def wiki_story(markdown: str) -> str:
    """A scenario's Markdown story as a Jira user writes it: `h2.` headings, `*` bullets."""
    lines = []
    for line in markdown.splitlines():
        if heading := re.match(r"^(#{1,6})\s+(.*)$", line):
            line = f"h{len(heading[1])}. {heading[2]}"
        lines.append(re.sub(r"^- \[[ xX]\] ", "* ", line))
    return "\n".join(lines) + "\n"


def assert_fake_clean(fake: FakeJira) -> None:
    """The fake never crashed and, when shared/specs is present, saw only valid traffic."""
    assert fake.errors == [], fake.errors
    assert [str(v) for v in fake.spec_violations] == []


class JiraHarness:
    def __init__(self, fake: FakeJira, name: str) -> None:
        self.fake = fake
        self.name = name
        self.story = fake.add_issue("Sign in with email", issuetype="Story")
        self.ref = f"jira:{self.story.key}"
        self.scope = f"jira:{self.story.key.split('-')[0]}"
        self._mark = 0
        self._existing: dict[str, tuple[object, ...]] = {}

    def write_story(self, text: str) -> None:
        with self.fake.lock:
            self.story.description = wiki_story(text)

    def rename_story(self, title: str) -> None:
        with self.fake.lock:
            self.story.summary = title

    def spellings(self) -> list[str]:
        key = self.story.key
        return [key, f"jira:{key.lower()}", f"{self.fake.base_url}/browse/{key}"]

    def made(self) -> dict[str, list[Held]]:
        found: dict[str, list[Held]] = {}
        for issue in sorted(self.fake.children(self.story.key), key=lambda i: int(i.id)):
            mark = issue.properties.get(PROPERTY) or {}
            if mark.get("story") == self.story.key and mark.get("task"):
                found.setdefault(str(mark["task"]), []).append(self._held(issue))
        return found

    def _held(self, issue: JiraIssue) -> Held:
        return Held(
            key=issue.key,
            title=issue.summary,
            body=markdown_boxes(issue.description or ""),
            obsolete="storyplan:obsolete" in issue.labels,
            closed=self.fake.statuses[issue.status_id].category == "done",
        )

    def reopen_child(self, task_id: str) -> None:
        with self.fake.lock:
            self.fake.set_status(self._tasks()[task_id].key, "To Do")

    def lose_create_and_look_up(self) -> None:
        # A sub-task is made under its story, after 120 a person made (so it lies on the
        # second page of a Cloud search); the look-up after the lost answer fails too.
        self.bury(120)
        pages = 2 if self.fake.mode == "cloud" else 1  # the read's, before the first create
        self.fake.fail("POST", ISSUE_POST, None)
        self.fake.fail("GET", r"/search", 502, after=False, skip=pages, times=999)

    def bury(self, count: int) -> None:
        for number in range(count):  # a person's sub-tasks of the story
            self.fake.add_issue(f"Chore {number}", issuetype="subtask", parent=self.story.key)

    def _tasks(self) -> dict[str, JiraIssue]:
        found = {}
        for issue in self.fake.children(self.story.key):
            mark = issue.properties.get(PROPERTY) or {}
            if mark.get("story") == self.story.key and mark.get("task"):
                found.setdefault(str(mark["task"]), issue)  # the oldest: the one a task keeps
        return found

    def children(self) -> dict[str, Held]:
        return {task: self._held(issue) for task, issue in self._tasks().items()}

    def links(self) -> set[tuple[str, str]]:
        task_of = {issue.id: task for task, issue in self._tasks().items()}
        blocks = next(t.id for t in self.fake.link_types.values() if t.outward == "blocks")
        return {
            (task_of[link.inward_id], task_of[link.outward_id])  # inward blocks outward
            for link in self.fake.links.values()
            if link.type_id == blocks and link.inward_id in task_of and link.outward_id in task_of
        }

    def plan_bodies(self) -> list[str]:
        return [markdown_boxes(c.body) for c in self.story.comments if is_plan(c.body)]

    def set_plan_body(self, body: str) -> None:
        with self.fake.lock:
            comment = next(c for c in self.story.comments if is_plan(c.body))
            comment.body = jira_boxes(body)

    def set_child_body(self, task_id: str, body: str) -> None:
        with self.fake.lock:
            self._tasks()[task_id].description = jira_boxes(body)

    def obsolete_notes(self, task_id: str) -> int:
        issue = self._tasks()[task_id]
        return sum("removed from the plan" in c.body for c in issue.comments)

    def close_child(self, task_id: str) -> None:
        with self.fake.lock:
            self.fake.set_status(self._tasks()[task_id].key, "Done")

    def tick_in_child(self, task_id: str, text: str) -> None:
        body = self.children()[task_id].body
        assert f"- [ ] {text}" in body
        self.set_child_body(task_id, body.replace(f"- [ ] {text}", f"- [x] {text}", 1))

    def mark(self) -> None:
        self._mark = len(self.fake.log)

    def writes(self) -> int:
        return sum(
            1
            for e in self.fake.log[self._mark :]
            if e.is_write and not self.fake.READ_POSTS.search(e.path)
        )

    def reads(self) -> int:
        return len(self.fake.log) - self._mark - self.writes()

    def fail_writes_after(self, count: int) -> None:
        # Every write (a POST search is a read) fails once `count` have gone through.
        self.fake.faults.append(
            Fault("WRITE", r".", status=None, after=False, skip=count, times=999)
        )

    def clear_faults(self) -> None:
        self.fake.faults.clear()

    # -- the transport's faults (tests.e2e.harness.Remote) --------------------------------
    def _as_made(self, issue: JiraIssue) -> tuple[object, ...]:
        return (issue.summary, issue.description, list(issue.labels), dict(issue.properties))

    def add_existing(self, title: str) -> str:
        issue = self.fake.add_issue(title, description="Kept as it is.")
        self._existing[issue.key] = self._as_made(issue)
        return issue.key

    def existing_unchanged(self, reference: str) -> bool:
        return self._as_made(self.fake.issue(reference)) == self._existing[reference]

    def lose_next_create(self) -> None:
        self.fake.fail("POST", ISSUE_POST, None)  # made, then the connection drops

    def refuse_next_write(self) -> None:
        self.fake.fail("WRITE", r".", 502, after=False)

    def fail_next_reads(self, times: int) -> None:
        self.fake.fail("GET", r".", 502, after=False, times=times)

    def revoke_token(self) -> None:
        self.fake.user.active = False

    def throttle(self) -> None:
        self.fake.rate_limit(retry_after=60)

    def write_attempts(self) -> int:
        return self.writes()  # the fake logs a refused or broken request like any other


@contextmanager
def jira_environment(fake: FakeJira) -> Iterator[None]:
    """JIRA_* variables for `fake.user` in the fake's mode, restored afterwards."""
    values = {"JIRA_URL": fake.base_url}
    if fake.mode == "cloud":
        values |= {"JIRA_EMAIL": fake.user.email, "JIRA_API_TOKEN": fake.user.token}
        # Known from the host on *.atlassian.net, which a loopback address cannot be.
        values["STORYPLAN_JIRA__DEPLOYMENT"] = "cloud"
    else:
        values["JIRA_PAT"] = fake.user.token
    # Enough for a read to survive two failures; only a failed read waits (0 s, then 1 s).
    values["STORYPLAN_JIRA__RETRIES"] = "2"
    with environment(values, clear=tuple(ENV)):
        yield


@contextmanager
def jira_harness(mode: str) -> Iterator[JiraHarness]:
    prefix = "/jira" if mode == "server" else ""
    name = "jira-cloud" if mode == "cloud" else "jira-dc"
    fake = FakeJira(mode, prefix=prefix, project_key="SHOP")
    fake.start()
    try:
        with jira_environment(fake):
            yield JiraHarness(fake, name)
    finally:
        fake.stop()
    assert_fake_clean(fake)
