"""Claims to principals, and the built-in issuer's tokens read back."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from nfvo.config import load_settings
from nfvo.sol.notifications import DeliveryPolicy
from nfvo.sol.tokens import (
    ADMIN_SCOPE,
    Principal,
    StaticKeys,
    TokenError,
    TokenIssuer,
    TokenValidator,
    principal_from_claims,
)


def test_scope_string_and_scp_list_are_both_read() -> None:
    claims: dict[str, Any] = {"sub": "a", "project": "p", "scope": "x:read", "scp": ["y:write"]}
    principal = principal_from_claims(claims)
    assert principal.scopes == {"x:read", "y:write"} and not principal.is_admin
    assert principal.has_scope("x:read") and not principal.has_scope("z:read")


def test_the_admin_scope_passes_every_check() -> None:
    principal = principal_from_claims({"sub": "a", "project": "p", "scope": ADMIN_SCOPE})
    assert principal.is_admin and principal.has_scope("anything:at-all")


@pytest.mark.parametrize("claims", [{"project": "p"}, {"sub": "a"}, {"sub": "", "project": "p"}])
def test_a_token_without_subject_or_project_is_refused(claims: dict[str, Any]) -> None:
    with pytest.raises(TokenError):
        principal_from_claims(claims)


async def test_issued_tokens_validate_with_the_issuers_jwks() -> None:
    issuer = TokenIssuer(
        ec.generate_private_key(ec.SECP256R1()), issuer="i", audience="a", lifetime=60
    )
    validator = TokenValidator([StaticKeys(issuer.jwks())], issuer="i", audience="a")
    principal = await validator.validate(issuer.issue("vnfm", "ops", ["vnfpkgm:read-onboarded"]))
    assert principal == Principal("vnfm", "ops", frozenset({"vnfpkgm:read-onboarded"}))
    other = TokenValidator([StaticKeys(issuer.jwks())], issuer="i", audience="someone-else")
    with pytest.raises(TokenError, match="not valid"):
        await other.validate(issuer.issue("vnfm", "ops", []))


def test_delivery_policy_from_settings() -> None:
    settings = load_settings(notification_max_attempts=3, notification_queue_length=7)
    policy = DeliveryPolicy.from_settings(settings)
    assert (policy.max_attempts, policy.queue_length) == (3, 7)
    assert policy.backoff(1) <= policy.base and policy.backoff(30) <= policy.cap
