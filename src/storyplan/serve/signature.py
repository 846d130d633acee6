"""Is this webhook from the tracker we trust? Each check reads the raw body and headers only,
compares in constant time and says nothing about why it failed (the log gets no secret).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from pydantic import SecretStr


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _hmac_sha256(secret: SecretStr, body: bytes) -> str:
    return hmac.new(secret.get_secret_value().encode(), body, hashlib.sha256).hexdigest()


def github_signed(headers: Mapping[str, str], body: bytes, secret: SecretStr | None) -> bool:
    """GitHub's `X-Hub-Signature-256: sha256=<hex HMAC of the body>`."""
    given = headers.get("x-hub-signature-256", "")
    if secret is None or not given.startswith("sha256="):
        return False
    return _same(given, "sha256=" + _hmac_sha256(secret, body))


def gitlab_signed(headers: Mapping[str, str], token: SecretStr | None) -> bool:
    """GitLab sends the webhook's secret token as it is in `X-Gitlab-Token`."""
    given = headers.get("x-gitlab-token", "")
    return token is not None and bool(given) and _same(given, token.get_secret_value())


def jira_signed(
    headers: Mapping[str, str], body: bytes, secret: SecretStr | None, token: SecretStr | None
) -> bool:
    """A Jira webhook with a secret signs like GitHub, in `X-Hub-Signature: sha256=<hex>`;
    an Automation rule sends a shared token in `Authorization: Bearer <token>`."""
    signature = headers.get("x-hub-signature", "")
    if signature:
        return (
            secret is not None
            and signature.startswith("sha256=")
            and _same(signature, "sha256=" + _hmac_sha256(secret, body))
        )
    scheme, _, given = headers.get("authorization", "").partition(" ")
    return (
        token is not None
        and scheme.lower() == "bearer"
        and bool(given)
        and _same(given.strip(), token.get_secret_value())
    )
