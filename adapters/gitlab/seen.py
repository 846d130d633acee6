"""What one GitLab tracker has read or written so far: stories, issues and their links as last
seen, so that a run reads each at most once and every write starts from what GitLab said.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storyplan.refs import parse_ref

from .client import GitlabClient
from .records import IssueRecord, LinkRow


@dataclass
class Seen:
    client: GitlabClient
    stories: dict[str, IssueRecord] = field(default_factory=dict)  # story ref → its issue
    issues: dict[str, IssueRecord] = field(default_factory=dict)  # child key → as last seen
    links: dict[str, list[LinkRow]] = field(default_factory=dict)  # issue key → as last read
    untrusted: set[str] = field(default_factory=set)  # issues whose marker a stranger wrote

    def story_issue(self, ref: str) -> IssueRecord:
        if ref not in self.stories:
            parsed = parse_ref(ref, "gitlab")
            what = f"read story {ref}"
            self.stories[ref] = self.client.issue(parsed.project, parsed.number, what)
        return self.stories[ref]

    def issue(self, key: str) -> IssueRecord:
        if key not in self.issues:
            parsed = parse_ref(key, "gitlab")
            self.issues[key] = self.client.issue(parsed.project, parsed.number, f"read issue {key}")
        return self.issues[key]

    def remember(self, record: IssueRecord) -> IssueRecord:
        self.issues[record.key] = record
        return record

    def update(self, record: IssueRecord, what: str, **fields: str) -> IssueRecord:
        return self.remember(self.client.update_issue(record, what, **fields))

    def links_of(self, record: IssueRecord, *, fresh: bool = False) -> list[LinkRow]:
        if fresh or record.key not in self.links:
            self.links[record.key] = self.client.links(record)
        return self.links[record.key]

    def row(self, one: IssueRecord, other: IssueRecord, *, fresh: bool) -> LinkRow | None:
        """The link from `one` to `other`, if any."""
        return next((r for r in self.links_of(one, fresh=fresh) if r.key == other.key), None)

    def by_task(self, story_ref: str) -> dict[str, str]:
        """Task id → the key of the child that serves it, from the children seen so far."""
        found: dict[str, str] = {}
        for record in self.issues.values():
            if record.key in self.untrusted:
                continue
            task_id = record.task_id(story_ref)
            if task_id is not None:
                found[task_id] = record.key
        return found
