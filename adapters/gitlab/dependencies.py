"""Dependencies between a story's children on GitLab: `blocks` links, or, where the tier has
none, the fallback of a `relates_to` link plus a "Blocked by" line in the blocked task.

The first refused blocking link switches the run to the fallback and the run says so once;
a story whose tasks already carry the line keeps it, so each story has one form.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from storyplan.errors import CapabilityError
from storyplan.ports import AddLink, Link, RemoveLink

from .blocked_by import blocked_by, fallback_note, line_links, with_blocked_by
from .client import UNLICENSED
from .records import IssueRecord
from .seen import Seen


class Dependencies:
    def __init__(self, seen: Seen, mode: Literal["auto", "blocks", "relates_to"]) -> None:
        self.seen = seen
        self.mode = mode
        self.detected = False  # this run's first blocking link was refused
        self.announced = False
        self.lines_in_use = False  # a child keeps its dependencies in a Blocked by line

    @property
    def host(self) -> str:
        return self.seen.client.host

    @property
    def fallback(self) -> bool:
        """Whether dependencies are written as related links with a Blocked by line."""
        if self.mode == "auto":
            return self.detected or self.lines_in_use
        return self.mode == "relates_to"

    # -- reading ----------------------------------------------------------------------------
    def read(self, records: Iterable[IssueRecord]) -> set[Link]:
        records = list(records)
        keys = {record.key for record in records}
        found = line_links(records, keys)
        self.lines_in_use = self.lines_in_use or bool(found)
        for record in records:
            if self.mode == "relates_to":
                continue  # configured: every dependency is a line, no blocking links to read
            # GitLab counts the open issues each one blocks: a link to an open issue is read
            # from its blocker, one to a closed issue from the closed issue itself.
            if record.blocking_issues_count == 0 and record.state == "opened":
                continue
            for row in self.seen.links_of(record):
                if row.key not in keys:
                    continue
                if row.link_type == "blocks":
                    found.add(Link(blocker=record.key, blocked=row.key))
                elif row.link_type == "is_blocked_by":
                    found.add(Link(blocker=row.key, blocked=record.key))
        return found

    # -- writing ----------------------------------------------------------------------------
    def add(self, change: AddLink) -> tuple[str, ...]:
        """Write the dependency; what the run should say about how (once a run)."""
        assert change.blocker is not None
        assert change.blocked is not None
        blocker, blocked = self.seen.issue(change.blocker), self.seen.issue(change.blocked)
        what = f"link {change.blocked} as blocked by {change.blocker}"
        if not self.fallback:
            if self._block(blocker, blocked, what):
                return ()
            if self.mode == "blocks":
                raise CapabilityError(
                    f"blocking issue links are not available on the GitLab at {self.host} "
                    f'(403: {UNLICENSED}); set [gitlab] blocking_links = "auto" to fall '
                    "back to related links with a Blocked by line"
                )
            self.detected = True
        self._line_link(blocker, blocked, what)
        return self._announce()

    def _announce(self) -> tuple[str, ...]:
        """Once a run, unless config chose the fallback: why dependencies are not links."""
        if self.announced or self.mode == "relates_to":
            return ()
        self.announced = True
        return (fallback_note(f"403: {UNLICENSED}" if self.detected else None, self.host),)

    def _block(self, blocker: IssueRecord, blocked: IssueRecord, what: str) -> bool:
        """A `blocks` link; False when the tier has none."""
        client = self.seen.client
        outcome = client.create_link(blocker, blocked, "blocks", what)
        if outcome != "exists":
            return outcome == "made"
        # The two are linked already; make sure it is this link, in this direction.
        row = self.seen.row(blocker, blocked, fresh=True)
        if row is not None and row.link_type == "blocks":
            return True
        if row is not None:
            client.delete_link(blocker, row.issue_link_id, what)
        return client.create_link(blocker, blocked, "blocks", what) != "unlicensed"

    def _line_link(self, blocker: IssueRecord, blocked: IssueRecord, what: str) -> None:
        related = f"{what} (as related, with a Blocked by line)"
        self.seen.client.create_link(blocked, blocker, "relates_to", related)  # or exists
        keys = blocked_by(blocked.description or "", blocked.project)
        if blocker.key not in keys:
            body = with_blocked_by(blocked.description or "", [*keys, blocker.key], blocked.project)
            self.seen.update(blocked, f"add the Blocked by line to {blocked.key}", description=body)

    def remove(self, change: RemoveLink) -> None:
        seen = self.seen
        blocker, blocked = seen.issue(change.blocker), seen.issue(change.blocked)
        what = f"unlink {change.blocked} from its blocker {change.blocker}"
        keys = blocked_by(blocked.description or "", blocked.project)
        if blocker.key in keys:
            rest = [key for key in keys if key != blocker.key]
            body = with_blocked_by(blocked.description or "", rest, blocked.project)
            seen.update(blocked, f"update the Blocked by line of {blocked.key}", description=body)
            row = seen.row(blocked, blocker, fresh=True)
            if row is None or row.link_type != "relates_to":
                return
        else:
            row = seen.row(blocker, blocked, fresh=blocker.key not in seen.links)
            if row is None:
                row = seen.row(blocked, blocker, fresh=True)
            if row is None:
                return  # gone already
        seen.client.delete_link(blocked, row.issue_link_id, what)
