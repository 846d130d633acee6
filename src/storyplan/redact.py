"""Keeps secrets out of anything storyplan prints: every message passes through `redact`."""

from __future__ import annotations

import os
import re

SECRET_NAME = re.compile(r"(TOKEN|PASSWORD|SECRET|_PAT)$|^JIRA_PAT$")
MASK = "***"


def secret_values() -> list[str]:
    """Values of environment variables that hold secrets, longest first."""
    values = {v for k, v in os.environ.items() if SECRET_NAME.search(k) and len(v) >= 4}
    return sorted(values, key=len, reverse=True)


def redact(text: str) -> str:
    for value in secret_values():
        text = text.replace(value, MASK)
    return text
