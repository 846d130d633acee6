"""Which tracker SDKs a command loads: `--help` and `render` none, `apply` only its own
tracker's (PyGithub alone pulls in cryptography, ~1 s of imports on a cold start)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SDKS = ("github", "gitlab", "jira", "cryptography")
PROBE = """
import json, sys
from storyplan.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & set(%r))), file=sys.stderr)
"""


def sdks_loaded(*args: str, cwd: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (SDKS,), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


@pytest.mark.parametrize("args", [["--help"], ["render", "story.md"], ["check", "story.md"]])
def test_commands_without_a_tracker_load_no_tracker_sdk(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text("# Story\n\n## Tasks\n\n- [ ] Add the model\n")
    assert sdks_loaded(*args, cwd=tmp_path) == []


def test_apply_on_files_loads_no_tracker_sdk(tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text("# Story\n\n## Tasks\n\n- [ ] Add the model\n")
    assert sdks_loaded("apply", "story.md", cwd=tmp_path) == []
    assert (tmp_path / "story.plan.md").exists()
