"""The Action's decision table row by row, and how its output stays safe, without a server."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from storyplan import markers
from storyplan.action_event import (
    Apply,
    Command,
    Event,
    Ignore,
    SyncAll,
    SyncParent,
    command_word,
    decide,
    read_event,
)
from storyplan.action_output import Workflow, cell, table
from storyplan.action_reply import applied_reply, dry_run_reply, refusal
from storyplan.errors import ConfigError
from storyplan.ports import CreateChild

EVENTS = Path(__file__).parent / "data" / "events"


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text(encoding="utf-8"))
    return data


def issues(action: str, **issue: Any) -> Event:
    data = payload("issues.labeled")
    data["action"] = action
    data["issue"].update(issue)
    return Event("issues", data, "Codertocat/Hello-World")


def commented(body: str, **user: Any) -> Event:
    data = payload("issue_comment.created")
    data["comment"]["body"] = body
    data["comment"]["user"].update(user)
    return Event("issue_comment", data, "Codertocat/Hello-World")


# -- the decision table ------------------------------------------------------------------


def test_the_trigger_label_means_apply_in_any_letter_case() -> None:
    event = issues("labeled")
    event.payload["label"]["name"] = "Refined"
    assert decide(event, "refined") == Apply("Codertocat/Hello-World#1", "Codertocat", False)


def test_any_other_label_is_ignored() -> None:
    decision = decide(issues("labeled"), "refined")
    assert isinstance(decision, Ignore)
    assert "labelled 'bug', not 'refined'" in decision.reason


@pytest.mark.parametrize("action", ["closed", "reopened"])
def test_a_sub_issue_closed_or_reopened_names_the_story_its_marker_names(action: str) -> None:
    body = markers.identity("task", story="octo/shop#42", id="T2") + "\nDo it"
    decision = decide(issues(action, body=body), "refined")
    assert decision == SyncParent("Codertocat/Hello-World#1", "octo/shop#42")


def test_an_issue_without_a_marker_is_checked_by_its_parent_alone() -> None:
    assert decide(issues("closed", body=None), "refined") == SyncParent(
        "Codertocat/Hello-World#1", None
    )


def test_other_issue_actions_are_ignored() -> None:
    assert isinstance(decide(issues("edited"), "refined"), Ignore)


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("/storyplan plan", "plan"),
        ("/storyplan APPLY", "apply"),
        ("\n  /storyplan apply please\nmore text", "apply"),
        ("/storyplan", None),
        ("/storyplan frobnicate", "frobnicate"),
        ("Please run /storyplan plan", False),
        ("looks good\n/storyplan apply", False),
        ("", False),
        ("\t/storyplan\tplan \t", "plan"),
        ("/\u017ftoryplan apply", False),  # LATIN SMALL LETTER LONG S folds to s in Unicode
        ("/STORYPLAN apply", "apply"),
        ("/storyplan\u00a0apply", False),  # NO-BREAK SPACE
        ("/storyplan\u2003apply", False),  # EM SPACE
        ("\u00a0/storyplan apply", False),
        ("/storyplanapply", False),
        ("/storyplan appl\u0131", "appl\u0131"),  # dotless i: no command word, never folded
    ],
)
def test_a_command_is_the_first_line_of_a_comment(body: str, word: str | None) -> None:
    assert command_word(body) == word


def test_a_command_comment_names_story_commenter_and_word() -> None:
    decision = decide(commented("/storyplan plan", login="mona"), "refined")
    assert decision == Command("Codertocat/Hello-World#1", "mona", "plan")


def test_a_bots_command_is_ignored() -> None:
    event = commented("/storyplan apply", login="helper[bot]", type="Bot")
    assert isinstance(decide(event, "refined"), Ignore)


def test_a_command_on_a_pull_request_is_ignored() -> None:
    event = commented("/storyplan apply")
    event.payload["issue"]["pull_request"] = {"url": "https://api.github.com/x"}
    assert isinstance(decide(event, "refined"), Ignore)


def test_an_edited_comment_is_not_a_command() -> None:
    event = commented("/storyplan apply")
    event.payload["action"] = "edited"
    assert isinstance(decide(event, "refined"), Ignore)


@pytest.mark.parametrize("name", ["schedule", "workflow_dispatch"])
def test_scheduled_and_manual_runs_sync_the_whole_repository(name: str) -> None:
    assert decide(Event(name, payload(name), "octo/shop"), "refined") == SyncAll("octo/shop")


def test_any_other_event_is_ignored_with_a_reason() -> None:
    decision = decide(Event("push", {}, "octo/shop"), "refined")
    assert decision == Ignore("the push event is not one storyplan acts on")


# -- reading the event -------------------------------------------------------------------


def test_the_event_is_read_from_the_workflow_environment(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload("schedule")), encoding="utf-8")
    env = {
        "GITHUB_EVENT_NAME": "schedule",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "octo/shop",
        "GITHUB_API_URL": "https://ghe.example.com/api/v3/",
    }
    event = read_event(env)
    assert (event.name, event.repository, event.api_url) == (
        "schedule",
        "octo/shop",
        "https://ghe.example.com/api/v3",
    )
    assert event.payload["schedule"] == "17 * * * *"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "GITHUB_EVENT_NAME is not set"),
        ({"GITHUB_EVENT_NAME": "issues"}, "GITHUB_REPOSITORY must be owner/repo"),
        (
            {"GITHUB_EVENT_NAME": "issues", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_PATH": "x"},
            "the event payload cannot be read",
        ),
    ],
)
def test_a_missing_or_broken_environment_is_a_config_error(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        read_event(env)


def test_a_payload_that_is_not_json_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "event.json"
    path.write_text("{nope", encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "issues", "GITHUB_REPOSITORY": "o/r"}
    with pytest.raises(ConfigError, match="is not JSON"):
        read_event({**env, "GITHUB_EVENT_PATH": str(path)})


# -- output that event text cannot subvert -----------------------------------------------


def test_an_annotation_stays_on_one_line_whatever_the_message_holds() -> None:
    stream = io.StringIO()
    Workflow({}, stream).annotate("error", "bad story\n::add-mask::x 100%")
    assert stream.getvalue() == "::error title=storyplan::bad story%0A::add-mask::x 100%25\n"


def test_log_lines_start_with_storyplan_so_text_cannot_start_a_command() -> None:
    stream = io.StringIO()
    Workflow({}, stream).log("title\n::warning::forged")
    assert stream.getvalue() == "storyplan: title ::warning::forged\n"


def test_a_table_cell_holds_one_line_without_html_or_column_breaks() -> None:
    assert cell("a | b\n<!-- storyplan:plan -->") == "a \\| b &lt;!-- storyplan:plan --&gt;"
    assert table(("x", "y"), [("1", "2|3")]) == "| x | y |\n|---|---|\n| 1 | 2\\|3 |"


def test_outputs_are_name_value_lines_and_a_multiline_value_gets_a_delimiter(
    tmp_path: Path,
) -> None:
    path = tmp_path / "output"
    Workflow({"GITHUB_OUTPUT": str(path)}).set_outputs({"created": "3", "note": "a\nb"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "created=3"
    name, _, delimiter = lines[1].partition("<<")
    assert (name, lines[2:4], lines[4]) == ("note", ["a", "b"], delimiter)


def test_outside_a_workflow_run_outputs_and_summary_are_skipped(tmp_path: Path) -> None:
    workflow = Workflow({})
    workflow.set_outputs({"created": "1"})
    workflow.summary("# nothing")
    assert list(tmp_path.iterdir()) == []


def test_secrets_never_reach_outputs_or_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_secretsecret")
    env = {"GITHUB_OUTPUT": str(tmp_path / "o"), "GITHUB_STEP_SUMMARY": str(tmp_path / "s")}
    workflow = Workflow(env)
    workflow.set_outputs({"x": "ghs_secretsecret"})
    workflow.summary("token ghs_secretsecret")
    assert "ghs_secretsecret" not in (tmp_path / "o").read_text() + (tmp_path / "s").read_text()


# -- replies -----------------------------------------------------------------------------


def test_the_refusal_is_polite_and_promises_nothing() -> None:
    text = refusal("stranger")
    assert text.startswith("Thanks, @stranger!")
    assert "nothing was changed" in text


def test_a_dry_run_reply_cannot_forge_the_plan_marker() -> None:
    forged = markers.identity("plan", story="octo/shop#1")
    change = CreateChild(task_id="T1", title=forged, body="")
    text = dry_run_reply("octo/shop#1", [change])
    assert markers.read_identity(text, "plan") is None
    assert "| create | T1 |" in text


def test_the_apply_reply_counts_what_was_done() -> None:
    text = applied_reply("octo/shop#1", {"created": 2, "linked": 1, "plan": 1}, "https://x/c")
    assert text == (
        "**storyplan** applied the plan of octo/shop#1 (2 sub-issue(s) created, "
        "1 dependency link(s) added, plan comment written). The plan: https://x/c"
    )


def test_the_action_section_reads_from_file_and_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storyplan.config import load_settings

    path = tmp_path / "storyplan.toml"
    path.write_text('[action]\ntrigger_label = "ready"\nreply_to_refused = false\n')
    monkeypatch.delenv("STORYPLAN_ACTION__TRIGGER_LABEL", raising=False)
    settings = load_settings(path)
    assert (settings.action.trigger_label, settings.action.reply_to_refused) == ("ready", False)
    monkeypatch.setenv("STORYPLAN_ACTION__TRIGGER_LABEL", "go")
    assert load_settings(path).action.trigger_label == "go"
    path.write_text('[action]\ntrigger_lable = "x"\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'action\.trigger_lable'"):
        load_settings(path)
