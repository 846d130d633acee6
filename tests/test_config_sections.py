"""Every `[tracker]` section is checked when the config is loaded, through the real CLI:
the file and line, the closest valid key, and no tracker SDK imported to do it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from storyplan.cli import main

ROOT = Path(__file__).resolve().parents[1]
STORY = ROOT / "src" / "storyplan" / "examples" / "login.md"


def check(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[int, str]:
    code = main(["check", "--config", str(config), str(STORY)])
    return code, capsys.readouterr().err


def test_a_bad_value_in_a_tracker_section_names_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "storyplan.toml"
    config.write_text('prune = false\n\n[github]\ntimeout = "soon"\n', encoding="utf-8")
    code, err = check(capsys, config)
    assert code == 2
    assert err.startswith(f"storyplan: error: {config}:4: setting 'github.timeout' ")
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        ("[gitlab]\nretries = 2\nretires = 3\n", 3, "did you mean 'retries'?"),
        ("[gitlab]\nfoo = 1\n", 2, "valid keys: base_url, blocking_links, children"),
        ("[jira]\nsubtask_typ = 'Sub-task'\n", 2, "did you mean 'subtask_type'?"),
        ("[files]\nplan_sufix = '.p.md'\n", 2, "did you mean 'plan_suffix'?"),
        ("prunee = true\n", 1, "did you mean 'prune'?"),
    ],
)
def test_an_unknown_key_names_its_line_and_the_closest_valid_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int, hint: str
) -> None:
    config = tmp_path / "storyplan.toml"
    config.write_text(text, encoding="utf-8")
    code, err = check(capsys, config)
    assert code == 2
    assert f"{config}:{line}: unknown setting" in err
    assert hint in err


def test_a_bad_value_from_the_environment_names_the_variable(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STORYPLAN_GITLAB__RETRIES", "many")
    assert main(["check", str(STORY)]) == 2
    assert "STORYPLAN_GITLAB__RETRIES: setting 'gitlab.retries'" in capsys.readouterr().err


def test_checking_the_sections_imports_no_tracker_sdk() -> None:
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from storyplan.config import load_settings\n"
        f"load_settings(Path({str(ROOT / 'config.example.toml')!r}))\n"
        "print(sorted(m for m in ('github', 'gitlab', 'jira', 'requests') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
