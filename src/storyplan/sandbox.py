"""The sandbox a user's templates render in: files are read only from inside the template
folder, and numbers, sizes and time are bounded, so a template can neither read a secret
nor stall a run. Every limit it hits surfaces as one `TemplateError` sentence.
"""

from __future__ import annotations

import functools
import os
import re
import stat
import string
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from storyplan.budget import OutOfTime, time_budget
from storyplan.errors import TemplateError

MAX_TEMPLATE_BYTES = 256 * 1024  # one template file
MAX_OUTPUT_CHARS = 1_048_576  # one rendered text, or any string or list made on the way
MAX_NUMBER = 100_000  # a width, a repeat count or a filter argument
MAX_INT_BITS = 4_096  # an integer a template computes (about 1,200 digits)
SYSTEM_TREES = (("proc",), ("sys",), ("dev",))  # even with the template folder set inside them
MAX_SECONDS = 3.0  # CPU seconds for one render of one template


class LimitError(Exception):
    """A template went past a limit; the renderer turns it into one TemplateError sentence."""


class FolderLoader(jinja2.BaseLoader):
    """Regular files inside the folder only: no link that leads out of it, no hard link
    shared with a file elsewhere, no device, FIFO or /proc file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.real = Path(os.path.realpath(folder))

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not os.path.lexists(path):
            raise jinja2.TemplateNotFound(template)
        text, mtime = read_inside(self.real, path)

        def uptodate() -> bool:
            try:
                return os.lstat(path).st_mtime_ns == mtime
            except OSError:
                return False

        return text, str(path), uptodate


def read_inside(folder: Path, path: Path) -> tuple[str, int]:
    """The text of `path` and its mtime, when it is a regular file that lives in `folder`."""
    real = Path(os.path.realpath(path))
    if real.parts[1:2] in SYSTEM_TREES:
        raise TemplateError(f"Template {path} is a system file ({real}); it is never read.")
    if not real.is_relative_to(folder):
        raise TemplateError(
            f"Template {path} leads outside the template folder {folder}; "
            "only files inside it are read."
        )
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags)
    except OSError as err:
        raise TemplateError(f"Template {path} cannot be read ({err.strerror}).") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TemplateError(f"Template {path} is not a regular file; only those are read.")
        if info.st_nlink != 1:
            raise TemplateError(
                f"Template {path} is a hard link shared with another file; "
                "only files that live in the template folder alone are read."
            )
        data = os.read(fd, MAX_TEMPLATE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"Template {path} is over {MAX_TEMPLATE_BYTES:,} bytes.")
    try:
        return data.decode("utf-8"), info.st_mtime_ns
    except UnicodeDecodeError as err:
        raise TemplateError(f"Template {path} is not UTF-8 text (byte {err.start}).") from None


# -- size and time -------------------------------------------------------------------------

# A `%` conversion's width and precision. A mapping key stops at the next `%`, so scanning a
# long text of unclosed `%(` stays linear.
_PERCENT_FIELD = re.compile(r"%(?:\([^)%]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_length(length: int, what: str = "a value") -> None:
    if length > MAX_OUTPUT_CHARS:
        raise LimitError(f"{what} of {length:,} characters or items is over {MAX_OUTPUT_CHARS:,}")


def _check_size(value: Any) -> Any:
    if isinstance(value, str | list | tuple | bytes):
        _check_length(len(value))
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise LimitError(f"a number is over {MAX_INT_BITS:,} bits")
    return value


def _check_number(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        raise LimitError(f"the number {value} is over {MAX_NUMBER:,}")


def _check_percent_format(text: str) -> None:
    for match in _PERCENT_FIELD.finditer(text):
        for width in match.groups():
            if width == "*":
                raise LimitError("a '*' width in a format string is not allowed")
            if width is not None:
                _check_number(int(width))


def _check_brace_format(text: str) -> None:
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format reports the malformed string itself
    for _, _, spec, _ in fields:
        if spec and "{" in spec:
            raise LimitError("a nested width in a format string is not allowed")
        for digits in re.findall(r"\d+", spec or ""):
            _check_number(int(digits))


def _sized(left: Any, right: Any) -> int | None:
    """The length of a sequence repeated `count` times; None for any other product."""
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple | bytes) and isinstance(count, int):
            return len(seq) * max(count, 0)
    return None


class LimitedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with bounds on numbers, sizes and time, checked on every operator,
    call, attribute, filter and chunk of output."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = float("inf")

    def tick(self) -> None:
        if time.process_time() > self.deadline:
            raise LimitError(f"rendering took longer than {MAX_SECONDS:g} s")

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        self.tick()
        if operator == "*":
            _check_length(_sized(left, right) or 0)
            both_int = isinstance(left, int) and isinstance(right, int)
            if both_int and left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise LimitError(f"a product is over {MAX_INT_BITS:,} bits")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if abs(left) > 1 and right > 0 and left.bit_length() * right > MAX_INT_BITS:
                raise LimitError(f"a power is over {MAX_INT_BITS:,} bits")
        elif operator == "%" and isinstance(left, str):
            _check_percent_format(left)
        elif operator == "+" and isinstance(left, str | list | tuple) and hasattr(right, "__len__"):
            _check_length(len(left) + len(right))
        return _check_size(super().call_binop(context, operator, left, right))

    def call(
        __self, __context: jinja2.runtime.Context, __obj: Any, *args: Any, **kwargs: Any
    ) -> Any:
        __self.tick()
        _check_call(__obj, args, kwargs)
        return _check_size(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj: Any, attribute: str) -> Any:
        self.tick()
        return _check_size(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        self.tick()
        return _check_size(super().getitem(obj, argument))

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_brace_format(value.__self__)
        return wrapped


def _check_call(function: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        _check_number(value)
    owner = getattr(function, "__self__", None)
    if isinstance(owner, str) and getattr(function, "__name__", "") == "replace" and args:
        _check_replace(owner, args)


def _check_replace(text: str, args: tuple[Any, ...]) -> None:
    if len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
        grows = text.count(args[0]) * max(len(args[1]) - len(args[0]), 0) if args[0] else 0
        _check_length(len(text) + grows)


# What Jinja passes a filter before its value (pass_context, pass_eval_context, pass_environment).
_PASSED = (jinja2.runtime.Context, jinja2.nodes.EvalContext, jinja2.Environment)


def _limited_filter(env: LimitedSandbox, name: str, function: Callable[..., Any]) -> Any:
    @functools.wraps(function)
    def limited(*args: Any, **kwargs: Any) -> Any:
        env.tick()
        values = [a for a in args if not isinstance(a, _PASSED)]
        for value in (*values[1:], *kwargs.values()):
            _check_number(value)
        if name == "format" and values and isinstance(values[0], str):
            _check_percent_format(values[0])
        if name == "replace" and values and isinstance(values[0], str):
            _check_replace(values[0], tuple(values[1:]))
        return _check_size(function(*args, **kwargs))

    return limited


def sandbox(
    loader: jinja2.BaseLoader, filters: Mapping[str, Any], **options: Any
) -> LimitedSandbox:
    env = LimitedSandbox(loader=loader, **options)
    env.filters.update(filters)
    env.filters = {name: _limited_filter(env, name, f) for name, f in env.filters.items()}
    return env


def render_limited(template: jinja2.Template, context: dict[str, Any]) -> str:
    """Render `template`; in the sandbox, within the size and time limits."""
    env = template.environment
    if not isinstance(env, LimitedSandbox):
        return template.render(context)
    env.deadline = time.process_time() + MAX_SECONDS
    parts: list[str] = []
    size = 0
    try:
        with time_budget(MAX_SECONDS):
            for chunk in template.generate(context):
                size += len(chunk)
                _check_length(size, "the output")
                env.tick()
                parts.append(chunk)
    except OutOfTime:
        raise LimitError(f"rendering took longer than {MAX_SECONDS:g} s") from None
    finally:
        env.deadline = float("inf")
    return "".join(parts)
