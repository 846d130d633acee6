"""Keeps secrets out of anything storyplan prints: every message and traceback passes through
`redact`, which masks the run's secret values, passwords in URLs, credential headers and
token query parameters, whatever a server or library echoed back.
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from typing import Literal, TextIO, cast
from urllib.parse import unquote

SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_PAT)$|^JIRA_PAT$")
MASK = "***"
MIN_SECRET = 4  # shorter values would mask ordinary words; they are still masked in URLs
MIN_HELD = 8  # the shortest secret a text written to a tracker is checked for

# `scheme://user:password@host`: the password, up to the `@` that ends the credentials. The
# scheme is at most 32 characters, so text such as `a.a.a.a…` is scanned in linear time.
URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[a-z][a-z0-9+.-]{0,31}://[^/\s:@]*:)(?P<password>[^/\s@]*)@", re.I
)
# `Authorization: token …`, `"PRIVATE-TOKEN": "…"`, `'cookie': '…'` as text, JSON or repr.
HEADER = re.compile(
    r"""(?P<head>["']?\b(?:proxy-)?(?:authorization|private-token|job-token|deploy-token"""
    r"""|cookie|set-cookie|x-api-key|x-auth-token)["']?\s*[:=]\s*(?P<quote>["']?))"""
    r"""(?P<value>[^"'\r\n]*)""",
    re.I,
)
QUERY_TOKEN = re.compile(
    r"(?P<head>[?&](?:private_token|access_token|job_token|token|password)=)[^&#\s\"']+", re.I
)
_REMEMBERED: set[str] = set()


def remember_url(url: str | None) -> None:
    """Treat the password in `url` (a --base-url, say) as a secret of this run."""
    if url:
        _REMEMBERED.update(_url_passwords(url))


def _url_passwords(text: str) -> list[str]:
    found: list[str] = []
    for match in URL_CREDENTIALS.finditer(text):
        password = match["password"]
        found.extend(p for p in {password, unquote(password)} if len(p) >= MIN_SECRET)
    return found


def secret_values() -> list[str]:
    """The secrets of this run, longest first: the values of environment variables named
    like secrets, passwords in any variable's URL, and those remembered."""
    values = {v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= MIN_SECRET}
    for value in os.environ.values():
        if "@" in value:
            values.update(_url_passwords(value))
    values |= _REMEMBERED
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    text = URL_CREDENTIALS.sub(lambda m: f"{m['head']}{MASK}@", text)
    text = HEADER.sub(lambda m: f"{m['head']}{MASK}", text)
    text = QUERY_TOKEN.sub(lambda m: f"{m['head']}{MASK}", text)
    for value in secret_values():
        text = text.replace(value, MASK)
    return text


def held_secret(text: str) -> str | None:
    """The name of the variable whose secret `text` holds, None if none. Only values of
    MIN_HELD characters or more count: a token is longer, and a short password that is also
    a word (`admin`) would refuse every story that uses the word."""
    for value in secret_values():
        if len(value) >= MIN_HELD and value in text:
            names = [k for k, v in os.environ.items() if v == value and SECRET_NAME.search(k)]
            return names[0] if names else "a password of this run"
    return None


def redacted_traceback(error: BaseException) -> str:
    """The traceback of `error` and the errors it came from, as `--debug` shows it: redacted,
    for a library's exception may hold the request headers or a URL with its password."""
    return redact("".join(traceback.format_exception(error)))


class RedactedStream:
    """Standard output or error with secrets masked in whatever is written."""

    def __init__(self, name: Literal["stdout", "stderr"]) -> None:
        self.name = name  # looked up on each write: tests and tools swap sys.stdout

    @classmethod
    def of(cls, name: Literal["stdout", "stderr"]) -> TextIO:
        return cast("TextIO", cls(name))

    def _stream(self) -> TextIO:
        stream = getattr(sys, self.name)
        # While a progress bar runs, rich stands a proxy in for sys.stdout and sys.stderr that
        # prints through the bar's console, this stream: write to the stream it stands in for.
        return cast("TextIO", getattr(stream, "rich_proxied_file", stream))

    def write(self, text: str) -> int:
        self._stream().write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream().flush()

    def isatty(self) -> bool:
        return self._stream().isatty()

    def fileno(self) -> int:
        return self._stream().fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream(), "encoding", None) or "utf-8"
