"""A time budget for work that storyplan cannot bound by its input alone (a user's template,
a third-party markup converter): past the budget the work is interrupted, so one hostile
story or template cannot stall a run or the stories after it.
"""

from __future__ import annotations

import gc
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType


class OutOfTime(BaseException):
    """Raised inside the budgeted work when its time is up. A BaseException, so that a
    library's `except Exception` cannot swallow it; `time_budget`'s caller catches it."""


def _in_finaliser(frame: FrameType | None) -> bool:
    """Whether `frame` runs in a `__del__` or a garbage-collector callback (a test tool's,
    say), where Python would print and drop an exception."""
    callbacks = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code.co_name == "__del__" or frame.f_code in callbacks:
            return True
        frame = frame.f_back
    return False


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Interrupt the block with `OutOfTime` after `seconds` of this process's CPU time, so a
    busy machine does not shorten the budget. A signal timer, so in the main thread only;
    elsewhere the block runs unbounded, and callers add their own checks."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "setitimer"
    ):
        yield
        return

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        if _in_finaliser(frame):
            # Python would print and drop an exception raised there: try again soon.
            signal.setitimer(signal.ITIMER_VIRTUAL, 0.01)
            return
        raise OutOfTime

    previous = signal.signal(signal.SIGVTALRM, on_alarm)
    outer, _ = signal.getitimer(signal.ITIMER_VIRTUAL)  # a budget this one runs inside
    started = time.process_time()
    signal.setitimer(signal.ITIMER_VIRTUAL, min(seconds, outer) if outer else seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)
        if outer:  # give the outer budget back what is left of it
            left = outer - (time.process_time() - started)
            signal.setitimer(signal.ITIMER_VIRTUAL, max(left, 0.001))
