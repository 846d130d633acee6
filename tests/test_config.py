"""Settings: file < environment < command line, typos and secrets refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from storyplan.config import load_settings, section
from storyplan.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_the_example_config_validates_with_every_section(tmp_path: Path) -> None:
    from storyplan.adapters.files.settings import FilesSettings
    from storyplan.adapters.github.settings import GithubSettings
    from storyplan.adapters.gitlab.settings import GitlabSettings
    from storyplan.adapters.jira.settings import JiraSettings

    settings = load_settings(ROOT / "config.example.toml")
    assert settings.labels.story == "storyplan"
    assert section(settings, FilesSettings, "files").plan_suffix == ".plan.md"
    assert section(settings, GithubSettings, "github").retries == 3
    jira = section(settings, JiraSettings, "jira")
    assert jira == JiraSettings()  # the example shows every default
    assert set(JiraSettings.model_fields) == {*settings.jira, "base_url", "subtask_type", "token"}
    gitlab = section(settings, GitlabSettings, "gitlab")
    assert gitlab == GitlabSettings()  # the example shows every default
    assert set(GitlabSettings.model_fields) == {*settings.gitlab, "token"}  # token: env only


def test_a_typo_inside_a_tracker_section_is_refused(tmp_path: Path) -> None:
    from storyplan.adapters.github.settings import GithubSettings

    path = tmp_path / "storyplan.toml"
    path.write_text("[github]\nbase_ulr = 'https://ghe/api/v3'\n")
    with pytest.raises(ConfigError) as err:
        section(load_settings(path), GithubSettings, "github")
    assert (
        str(err.value) == f"{path}:2: unknown setting 'github.base_ulr'; did you mean 'base_url'?"
    )


def test_environment_wins_over_file_and_command_line_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "storyplan.toml"
    path.write_text('prune = false\n[labels]\nstory = "from-file"\n')
    monkeypatch.setenv("STORYPLAN_LABELS__STORY", "from-env")
    monkeypatch.setenv("STORYPLAN_PRUNE", "true")
    settings = load_settings(path)
    assert settings.labels.story == "from-env"
    assert settings.prune is True
    assert load_settings(path, {"prune": False}).prune is False


def test_an_unknown_setting_is_one_sentence_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "storyplan.toml"
    path.write_text("[labels]\nstroy = 'x'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(err.value) == f"{path}:2: unknown setting 'labels.stroy'; did you mean 'story'?"


def test_a_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "storyplan.toml"
    path.write_text("[github]\ntoken = 'ghp_secretvalue'\n")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert "ghp_secretvalue" not in str(err.value)
    assert "secrets are read from the environment only" in str(err.value)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "storyplan.toml"
    path.write_text("prune = \n")
    with pytest.raises(ConfigError, match=r"storyplan.toml: not valid TOML"):
        load_settings(path)


def test_a_missing_explicit_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"the config file does not exist"):
        load_settings(tmp_path / "nope.toml")


def test_trusted_authors_default_to_the_action_bot_and_a_file_replaces_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no storyplan.toml here
    assert load_settings().trust.authors == ["github-actions[bot]"]
    path = tmp_path / "storyplan.toml"
    path.write_text("[trust]\nauthors = ['release-bot', 'github-actions[bot]']\n")
    assert load_settings(path).trust.authors == ["release-bot", "github-actions[bot]"]
    path.write_text("[trust]\nauthor = ['release-bot']\n")
    with pytest.raises(ConfigError, match=r"unknown setting 'trust\.author'; did you mean"):
        load_settings(path)
