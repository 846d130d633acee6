"""`storyplan serve` and `storyplan worker` without a usable database: one sentence, exit 2,
and the address's password nowhere in the output."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.serve.postgres import free_port
from tests.serve.service import LAUNCH


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (None, "needs a PostgreSQL database"),
        ("not a url", "is not a PostgreSQL address"),
        ("postgresql://u:hunter22@127.0.0.1:{port}/db", "cannot be used: connection"),
    ],
)
def test_worker_without_a_database_says_so_in_one_sentence(url: str | None, says: str) -> None:
    env = {k: v for k, v in os.environ.items() if "DATABASE_URL" not in k}
    if url is not None:
        env["DATABASE_URL"] = url.format(port=free_port())  # nothing listens there
    done = subprocess.run(
        [sys.executable, "-c", LAUNCH, "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert "hunter22" not in done.stdout + done.stderr
