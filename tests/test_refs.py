"""Story and issue references, for every tracker, parsed in one place."""

from __future__ import annotations

import pytest

from storyplan.errors import ConfigError
from storyplan.refs import Ref, parse_ref, resolve_issue_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("octo/shop#42", Ref("github", "octo/shop", "42")),
        ("github:octo/shop#42", Ref("github", "octo/shop", "42")),
        (
            "https://github.com/octo/shop/issues/42",
            Ref("github", "octo/shop", "42", "https://api.github.com"),
        ),
        (
            "https://ghe.example.com/octo/shop/issues/42",
            Ref("github", "octo/shop", "42", "https://ghe.example.com/api/v3"),
        ),
        ("gitlab:group/sub/my.project-x#17", Ref("gitlab", "group/sub/my.project-x", "17")),
        (
            "https://gitlab.example.com/group/project/-/issues/17",
            Ref("gitlab", "group/project", "17", "https://gitlab.example.com"),
        ),
        (
            "https://gitlab.com/g/s/p/-/work_items/3",
            Ref("gitlab", "g/s/p", "3", "https://gitlab.com"),
        ),
        ("jira:SHOP-123", Ref("jira", "SHOP", "123")),
        (
            "https://acme.atlassian.net/browse/SHOP-123",
            Ref("jira", "SHOP", "123", "https://acme.atlassian.net"),
        ),
        (
            "https://jira.acme.internal/jira/browse/AB_2-9",
            Ref("jira", "AB_2", "9", "https://jira.acme.internal/jira"),
        ),
        ("stories/login.md", Ref("files", "stories/login.md", "")),
    ],
)
def test_story_references_of_every_form_are_read(text: str, expected: Ref) -> None:
    assert parse_ref(text) == expected


def test_a_default_tracker_decides_bare_references() -> None:
    assert parse_ref("group/project#5", "gitlab") == Ref("gitlab", "group/project", "5")


def test_a_prefix_and_url_that_disagree_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"is a github URL, not a jira one"):
        parse_ref("jira:https://github.com/o/r/issues/1")


def test_a_malformed_tracker_reference_says_what_was_expected() -> None:
    with pytest.raises(ConfigError) as err:
        parse_ref("github:octo-shop-42")
    assert str(err.value) == (
        "'github:octo-shop-42' is not a github story reference; expected owner/repo#42"
    )


def test_keys_and_short_names_are_canonical() -> None:
    assert parse_ref("octo/shop#42").key == "octo/shop#42"
    assert parse_ref("octo/shop#42").short == "#42"
    assert parse_ref("jira:SHOP-1").short == "SHOP-1"
    assert parse_ref("stories/login.md").short == "login"


def test_issue_references_resolve_against_the_story() -> None:
    story = parse_ref("octo/shop#42")
    assert resolve_issue_reference("#7", story).key == "octo/shop#7"
    assert resolve_issue_reference("other/repo#3", story).key == "other/repo#3"
    assert resolve_issue_reference("https://github.com/a/b/issues/1", story).key == "a/b#1"
    assert resolve_issue_reference("SHOP-9", parse_ref("jira:SHOP-1")).key == "SHOP-9"
