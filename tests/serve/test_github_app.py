"""GitHub App authentication against the fake GitHub: the app's JWT finds the installation of
a repository and gets its token, which storyplan uses until five minutes before it expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from storyplan.adapters.github.client import AppTokens
from storyplan.compose import make_tracker
from storyplan.config import Settings
from storyplan.errors import AuthError
from storyplan.refs import parse_ref
from storyplan.serve.credentials import settings_chooser
from storyplan.serve.settings import ServeSettings
from tests.fakes.fake_github import FakeGithub, github_fake

APP_ID = 4242


def key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public.decode()


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    return key_pair()


@pytest.fixture
def fake(keys: tuple[str, str]) -> Iterator[FakeGithub]:
    with github_fake() as server:
        server.add_repo("octo/shop")
        server.add_issue("octo/shop", "Sign in", "")
        server.add_app(APP_ID, keys[1], "octo", installation_id=77)
        yield server


def test_installation_token_is_reused_until_five_minutes_before_it_expires(
    fake: FakeGithub, keys: tuple[str, str]
) -> None:
    tokens = AppTokens(APP_ID, keys[0], fake.url)
    first = tokens.token_for("octo/shop")
    assert tokens.token_for("octo/shop") == first
    assert fake.count("POST", "/app/installations/77/access_tokens") == 1
    later = datetime.now(UTC) + timedelta(minutes=56)  # within five minutes of the hour
    renewed = tokens.token_for("octo/shop", now=later)
    assert renewed.get_secret_value() != first.get_secret_value()
    assert fake.count("POST", "/app/installations/77/access_tokens") == 2
    assert fake.count("GET", "/repos/octo/shop/installation") == 1


def test_a_job_acts_as_the_app_installation(
    fake: FakeGithub, keys: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_APP_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    key_file = tmp_path / "app.pem"
    key_file.write_text(keys[0])
    settings = Settings(github={"base_url": fake.url, "retries": 0})
    serve = ServeSettings(github_app_id=APP_ID, github_app_key_file=key_file)
    choose = settings_chooser(settings, serve)
    ref = parse_ref("octo/shop#1", "github")
    story = make_tracker(choose(ref), ref).fetch_story(ref.key)
    assert story.title == "Sign in"
    assert fake._actor == "storyplan[bot]"


def test_an_app_not_installed_on_the_repository_is_one_clear_error(
    fake: FakeGithub, keys: tuple[str, str]
) -> None:
    fake.add_repo("elsewhere/shop")
    with pytest.raises(AuthError, match="elsewhere/shop"):
        AppTokens(APP_ID, keys[0], fake.url).token_for("elsewhere/shop")


def test_a_wrong_private_key_is_refused(fake: FakeGithub) -> None:
    with pytest.raises(AuthError, match="private key"):
        AppTokens(APP_ID, key_pair()[0], fake.url).token_for("octo/shop")
