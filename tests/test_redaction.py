"""No secret in any output: every tracker's error paths, run through the real CLI in plain,
`--json` and `--debug` modes against fakes that echo the request's headers (credentials
included) in their error bodies, and base URLs that carry a password.
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from storyplan.budget import time_budget
from storyplan.cli import main
from storyplan.redact import held_secret, redact
from tests.e2e.harness import HARNESSES, Harness
from tests.e2e.stories import diamond, story_text
from tests.fakes.base import Fault

TRACKERS = ("github", "gitlab", "jira-cloud", "jira-dc")
TOKENS = ("GITHUB_TOKEN", "GITLAB_TOKEN", "JIRA_API_TOKEN", "JIRA_PAT")
FAULTS = {
    "read unauthorized": ("GET", 401),
    "read forbidden": ("GET", 403),
    "read missing": ("GET", 404),
    "read broken": ("GET", 500),
    "read rate limited": ("GET", 429),
    "write forbidden": ("POST", 403),
    "write invalid": ("POST", 422),
    "write broken": ("POST", 502),
}
MODES = {"plain": ([], []), "json": ([], ["--json"]), "debug": (["--debug"], [])}
URL_VARIABLE = {
    "github": "STORYPLAN_GITHUB__BASE_URL",
    "gitlab": "STORYPLAN_GITLAB__BASE_URL",
    "jira-cloud": "JIRA_URL",
    "jira-dc": "JIRA_URL",
}
PASSWORD = "hunter2-url-password"


def secrets() -> set[str]:
    """The run's secrets as a client sends them: raw, and inside a Basic header."""
    values = {os.environ[name] for name in TOKENS if os.environ.get(name)}
    if os.environ.get("JIRA_EMAIL"):
        pair = f"{os.environ['JIRA_EMAIL']}:{os.environ['JIRA_API_TOKEN']}"
        values.add(base64.b64encode(pair.encode()).decode())
    assert values, "the harness sets a token"
    return values | {PASSWORD}


def run(mode: str, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    before, after = MODES[mode]
    code = main([*before, *args, *after])
    out, err = capsys.readouterr()
    return code, out + err


@contextmanager
def echoing(tracker: str) -> Iterator[Harness]:
    with HARNESSES[tracker]() as harness:
        harness.write_story(story_text(diamond(3)))
        fake = harness.fake  # type: ignore[attr-defined]
        fake.echo_headers = True
        yield harness
        fake.faults.clear()  # the harness's own clean-up checks run without faults


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("tracker", TRACKERS)
def test_no_error_path_prints_a_secret(
    tracker: str, fault: str, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with echoing(tracker) as harness:
        fake = harness.fake  # type: ignore[attr-defined]
        method, status = FAULTS[fault]
        path, skip = ".", 0
        if tracker == "gitlab":  # GitLab reads with a GraphQL query, then writes mutations
            method, path, skip = "POST", r"/api/graphql$", int(method == "POST")
        fake.faults.append(Fault(method, path, status=status, after=False, times=999, skip=skip))
        code, printed = run(mode, "apply", harness.ref, capsys=capsys)
        assert any(entry.status == status for entry in fake.log), "the fault was reached"
        held = secrets()
    assert code not in (0, 70), printed
    assert printed.strip()
    for secret in held:
        assert secret not in printed, f"{fault} in {mode} mode printed a secret"
    if mode == "debug":
        assert "Traceback" in printed


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("how", ["environment", "option"])
@pytest.mark.parametrize("tracker", TRACKERS)
def test_a_password_in_a_base_url_is_never_printed(
    tracker: str,
    how: str,
    mode: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with echoing(tracker) as harness:
        url = os.environ[URL_VARIABLE[tracker]]
        host = url.split("//", 1)[1].split("/", 1)[0]
        broken = url.replace(host, f"mona:{PASSWORD}@127.0.0.1:{closed_port()}")
        if how == "environment":
            monkeypatch.setenv(URL_VARIABLE[tracker], broken)
            code, printed = run(mode, "plan", harness.ref, capsys=capsys)
        else:
            code, printed = run(mode, "plan", harness.ref, "--base-url", broken, capsys=capsys)
        held = secrets()
    assert code not in (0, 70), printed
    for secret in held:
        assert secret not in printed


# Where each tracker reads the story itself (not the search that finds planned stories).
STORY_READ = {
    "github": r"^/graphql#query:",  # the GraphQL query that reads stories
    # Jira reads the story with its sub-tasks in a search, the one after the search for
    # planned stories (skipped).
    "jira-cloud": r"/rest/api/\d+/search(?:/jql)?$",
    "jira-dc": r"/rest/api/\d+/search(?:/jql)?$",
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("tracker", STORY_READ)
def test_sync_all_prints_no_secret_for_a_story_that_failed(
    tracker: str, mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with echoing(tracker) as harness:
        assert main(["apply", harness.ref]) == 0
        url = os.environ[URL_VARIABLE[tracker]]
        os.environ[URL_VARIABLE[tracker]] = url.replace("//", f"//mona:{PASSWORD}@", 1)
        harness.fake.faults.append(  # type: ignore[attr-defined]
            Fault(
                "GET",
                STORY_READ[tracker],
                status=404,
                after=False,
                times=999,
                skip=int(tracker.startswith("jira")),
            )
        )
        scope = "github:octo/shop" if tracker == "github" else "jira:SHOP"
        capsys.readouterr()
        code, printed = run(mode, "sync", "--all", scope, capsys=capsys)
        held = secrets()
        os.environ[URL_VARIABLE[tracker]] = url
    assert code == 1, printed
    assert "failed" in printed
    for secret in held:
        assert secret not in printed


def test_the_files_tracker_prints_no_secret_on_any_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_filesfilesfiles")
    story = tmp_path / "login.md"
    story.write_text("# Sign in\n\n## Tasks\n\n### Task 1: ghp_filesfilesfiles\n")
    for mode in MODES:
        for args in (["apply", str(tmp_path / "missing.md")], ["apply", str(story)]):
            code, printed = run(mode, *args, capsys=capsys)
            assert code not in (0, 70), printed
            assert "ghp_filesfilesfiles" not in printed


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://mona:pa55word@ghe.example/api", "GET https://mona:***@ghe.example/api"),
        ('{"Authorization": "token ghp_abc def"}', '{"Authorization": "***"}'),
        ("{'private-token': 'glpat-123', 'x': 1}", "{'private-token': '***', 'x': 1}"),
        ("Cookie: session=abc; other=def", "Cookie: ***"),
        (
            "GET /api/v4/projects?private_token=glpat-xyz&page=2",
            "GET /api/v4/projects?private_token=***&page=2",
        ),
        ("no secret here", "no secret here"),
    ],
)
def test_credentials_in_urls_headers_and_queries_are_masked(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_only_a_secret_of_eight_characters_or_more_refuses_a_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_PASSWORD", "admin")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_longenough")
    assert held_secret("the admin page") is None
    assert redact("the admin page") == "the *** page"
    assert held_secret("call it with ghp_longenough") == "GITHUB_TOKEN"


@pytest.mark.parametrize(
    "text",
    ["a." * 100_000, "a://b:" * 40_000, "authorization" + " " * 200_000, "?token=" * 30_000],
)
def test_redaction_is_linear_in_the_text(text: str) -> None:
    """Every line printed passes `redact`: a long story shown by `render` must not stall it.
    Quadratic matching of these texts takes minutes; linear takes milliseconds."""
    with time_budget(2.0):
        assert len(redact(text)) <= len(text)
