"""storyplan's own pacing of a tracker's requests, for every tracker's client: reads go at
once; write requests are spaced (GitHub asks integrations to space mutations); content
creations stay under a budget per minute (GitHub: ~80), waiting and saying so rather than
tripping a secondary limit; a rate limit's short wait (Retry-After, a reset close by) is
honoured and the request sent again, a long one left to the error table.

The clock and the sleep are this module's `clock` and `sleep`, so tests replace them
rather than wait.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from . import transport

clock: Callable[[], float] = time.monotonic
sleep: Callable[[float], None] = time.sleep

WINDOW = 60.0  # seconds over which creations are counted
# GitHub: after a secondary limit without Retry-After, wait at least a minute.
UNSAID_WAIT = 60.0


class Pacer:
    """The pace of one client: its writes, its creations, its waits."""

    def __init__(
        self,
        service: str,
        *,
        spacing: float = 1.0,
        creations_per_minute: int = 80,
        longest_wait: float = 60.0,
    ) -> None:
        self.service = service
        self.spacing = spacing
        self.creations_per_minute = max(1, creations_per_minute)
        self.longest_wait = longest_wait
        self._last_write: float | None = None
        self._creations: deque[tuple[float, int]] = deque()  # (when, how many)
        self.waited = 0.0  # seconds spent waiting, for the benchmarks

    def wait(self, seconds: float, reason: str) -> None:
        """Wait, saying why on stderr (one line a wait)."""
        if seconds <= 0:
            return
        transport.on_wait(f"{reason}; waiting {seconds:.1f} s")
        self.waited += seconds
        sleep(seconds)

    def before_write(self, creations: int = 0) -> None:
        """Hold a write request until it is its turn: `spacing` after the last write ended,
        and room in the minute's budget for the `creations` it carries."""
        now = clock()
        while self._creations and self._creations[0][0] <= now - WINDOW:
            self._creations.popleft()
        used = sum(count for _, count in self._creations)
        budget = self.creations_per_minute
        if creations and used + creations > budget:
            freed, until = used, now
            for when, count in self._creations:
                freed -= count
                until = when + WINDOW
                if freed + creations <= budget:
                    break
            self.wait(
                until - now,
                f"{self.service}: {used} issues and comments made in the last minute, "
                f"{budget} a minute at most",
            )
        elif self._last_write is not None and self.spacing > 0:
            gap = self._last_write + self.spacing - clock()
            if gap > 0:
                sleep(gap)  # the spacing itself is not news: no line
        if creations:
            self._creations.append((clock(), creations))

    def after_write(self) -> None:
        self._last_write = clock()

    def rate_limited(self, seconds: float | None, what: str) -> bool:
        """A request was refused by a rate limit: wait and say True (send it again) when the
        wait is short, else False (the caller raises the error that says when)."""
        wait = UNSAID_WAIT if seconds is None else seconds
        if wait > self.longest_wait:
            return False
        self.wait(wait, f"{self.service} rate limit reached while trying to {what}")
        return True

    def pick_up(self, attempt: int, what: str) -> None:
        """Before reading again after a failed read: at once, then 0.5 s, 1 s, 2 s…"""
        wait = 0.0 if attempt <= 1 else 0.25 * 2 ** (attempt - 1)
        if wait:
            self.wait(wait, f"{self.service} did not answer while trying to {what}; retrying")
