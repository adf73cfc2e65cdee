"""OAuth 2.0 bearer tokens (SOL013 clause 8.3): who a request comes from.

A token is a JWT signed by an issuer. Two issuers are supported side by side: the
built-in token endpoint's own key (embedded mode, :class:`TokenIssuer`), and an
external authorisation server whose keys are read from its JWKS (a URL fetched on
first use and cached, a file, or inline JSON). Nothing is fetched at import time.

Claims read: ``sub`` (who), ``project`` (the tenant), ``scope`` (space-separated, as
RFC 8693 and most servers write it; a ``scp`` list is read too), ``exp``, ``iss``,
``aud``. A token holding ``nfvo:admin`` sees every tenant and passes every scope check.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import aiohttp
import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ADMIN_SCOPE = "nfvo:admin"
ALGORITHMS = ("ES256", "RS256", "ES384", "RS384", "PS256")
LEEWAY_SECONDS = 30  # clock skew between issuer and us

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class Principal:
    """Who a request acts for: its subject, tenant (project) and granted scopes."""

    subject: str
    project: str
    scopes: frozenset[str]
    is_admin: bool = False

    def has_scope(self, scope: str) -> bool:
        return self.is_admin or scope in self.scopes


class TokenError(Exception):
    """A token that is not acceptable; ``error`` is RFC 6750's code."""

    def __init__(self, description: str, error: str = "invalid_token") -> None:
        super().__init__(description)
        self.description = description
        self.error = error


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    scope = claims.get("scope", "")
    scopes = set(scope.split()) if isinstance(scope, str) else set()
    scp = claims.get("scp")
    if isinstance(scp, list):
        scopes |= {item for item in scp if isinstance(item, str)}
    subject, project = claims.get("sub"), claims.get("project")
    if not isinstance(subject, str) or not subject:
        raise TokenError("the token names no subject (sub)")
    if not isinstance(project, str) or not project:
        raise TokenError("the token names no project")
    return Principal(subject, project, frozenset(scopes), ADMIN_SCOPE in scopes)


# -- keys ----------------------------------------------------------------------------


def load_or_create_key(path: Path) -> PrivateKey:
    """The signing key in ``path``; a new EC P-256 key written there (0600) if absent."""
    if path.exists():
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(loaded, PrivateKey):
            raise ValueError(f"{path} holds neither an EC nor an RSA private key")
        return loaded
    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Created with its final mode, so the key is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(pem)
    return key


def _algorithm(key: PrivateKey) -> str:
    return "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"


def public_jwk(key: PrivateKey, kid: str) -> dict[str, Any]:
    """The public half of ``key`` as a JWK (what ``GET /oauth2/jwks`` serves)."""
    algorithm = jwt.get_algorithm_by_name(_algorithm(key))
    jwk: dict[str, Any] = orjson.loads(algorithm.to_jwk(key.public_key()))
    return {**jwk, "kid": kid, "use": "sig", "alg": _algorithm(key)}


def key_id(key: PrivateKey) -> str:
    """A stable key id: a digest of the public key, so every process agrees on it."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return uuid.uuid5(uuid.NAMESPACE_OID, der.hex()).hex[:16]


class TokenIssuer:
    """Signs the built-in endpoint's tokens with one key."""

    def __init__(self, key: PrivateKey, *, issuer: str, audience: str, lifetime: int) -> None:
        self.key, self.kid = key, key_id(key)
        self.issuer, self.audience, self.lifetime = issuer, audience, lifetime

    def issue(self, subject: str, project: str, scopes: Iterable[str]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": subject,
            "project": project,
            "scope": " ".join(sorted(scopes)),
            "iat": now,
            "exp": now + self.lifetime,
            "jti": uuid.uuid4().hex,
        }
        headers = {"kid": self.kid}
        return jwt.encode(claims, self.key, algorithm=_algorithm(self.key), headers=headers)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [public_jwk(self.key, self.kid)]}


# -- key sources ---------------------------------------------------------------------


class KeySource(Protocol):
    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The verification key named ``kid`` (None: the only one), or None."""


def _keys_of(jwks: Mapping[str, Any], limit: int) -> dict[str | None, jwt.PyJWK]:
    entries = jwks.get("keys")
    if not isinstance(entries, list):
        raise ValueError("a JWKS holds a 'keys' list")
    found: dict[str | None, jwt.PyJWK] = {}
    for entry in entries[:limit]:
        if isinstance(entry, dict) and entry.get("use", "sig") == "sig":
            try:
                found[entry.get("kid")] = jwt.PyJWK(entry)
            except jwt.PyJWTError:
                continue  # a key type we cannot use (an encryption key, an unknown curve)
    return found


def _pick(keys: Mapping[str | None, jwt.PyJWK], kid: str | None) -> jwt.PyJWK | None:
    if kid is None and len(keys) == 1:
        return next(iter(keys.values()))
    return keys.get(kid)


class StaticKeys:
    """Keys given up front: the built-in issuer's, a JWKS file, inline JSON."""

    def __init__(self, jwks: Mapping[str, Any], *, max_keys: int = 32) -> None:
        self._keys = _keys_of(jwks, max_keys)

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        return _pick(self._keys, kid)


class RemoteKeys:
    """An issuer's JWKS fetched over http(s): cached, refreshed, bounded.

    Refetched when older than ``ttl`` or when a token names a key we lack (the issuer
    rotated), but at most every ``min_interval`` seconds, so tokens with made-up key
    ids cannot make us hammer the issuer. The document is read up to ``max_bytes``.
    """

    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        min_interval: float = 30.0,
        max_bytes: int = 64 * 1024,
        max_keys: int = 32,
        timeout: float = 5.0,
    ) -> None:
        self.url, self.ttl, self.min_interval = url, ttl, min_interval
        self.max_bytes, self.max_keys, self.timeout = max_bytes, max_keys, timeout
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._fetched_at = -1e9
        self._lock = asyncio.Lock()

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        found = _pick(self._keys, kid)
        if found is None or time.monotonic() - self._fetched_at > self.ttl:
            async with self._lock:  # one fetch at a time; the others reuse its result
                if time.monotonic() - self._fetched_at > self.min_interval:
                    await self._fetch()
            found = _pick(self._keys, kid)
        return found

    async def _fetch(self) -> None:
        self._fetched_at = time.monotonic()
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(self.url) as response,
            ):
                if response.status != 200:
                    raise TokenError(f"the issuer's keys answered {response.status}")
                body = await response.content.read(self.max_bytes + 1)
        except (aiohttp.ClientError, TimeoutError) as error:
            # Keep the keys we had: a flaky issuer must not lock everyone out.
            raise TokenError(f"the issuer's keys cannot be fetched: {error}") from error
        if len(body) > self.max_bytes:
            raise TokenError(f"the issuer's JWKS is larger than {self.max_bytes} bytes")
        try:
            self._keys = _keys_of(orjson.loads(body), self.max_keys)
        except (orjson.JSONDecodeError, ValueError) as error:
            raise TokenError(f"the issuer's JWKS is not usable: {error}") from error


def key_source(spec: str) -> KeySource:
    """``auth_jwks``: an http(s) URL, inline JSON or a file holding the JWKS."""
    text = spec.strip()
    if text.startswith(("http://", "https://")):
        return RemoteKeys(text)
    if text.startswith("{"):
        return StaticKeys(orjson.loads(text))
    return StaticKeys(orjson.loads(Path(text).read_bytes()))


# -- validation ----------------------------------------------------------------------


class TokenValidator:
    """Checks a bearer token's signature, issuer, audience and lifetime."""

    # A client sends the same token for its whole life; verifying its signature again on
    # every request (an ECDSA or RSA verification each) was most of a GET's CPU. A token
    # once verified is trusted until its expiry, for at most CACHE_SECONDS, so a key
    # withdrawn from the issuer's JWKS stops working within that time.
    CACHE_SECONDS = 300.0
    CACHE_SIZE = 10_000

    def __init__(self, sources: Sequence[KeySource], *, issuer: str, audience: str) -> None:
        if not sources:
            raise ValueError("a token validator needs at least one key source")
        self.sources, self.issuer, self.audience = tuple(sources), issuer, audience
        self._verified: dict[str, tuple[Principal, float]] = {}

    async def validate(self, token: str) -> Principal:
        now = time.time()
        cached = self._verified.get(token)
        if cached is not None and now < cached[1]:
            return cached[0]
        principal, expires = await self._verify(token)
        if len(self._verified) >= self.CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # the oldest entry
        self._verified[token] = (principal, min(expires, now + self.CACHE_SECONDS))
        return principal

    async def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise TokenError("the token is not a JWT") from error
        kid = header.get("kid")
        key = await self._key(kid if isinstance(kid, str) else None)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "sub"]},
            )
        except jwt.ExpiredSignatureError as error:
            raise TokenError("the token has expired") from error
        except jwt.PyJWTError as error:
            raise TokenError(f"the token is not valid: {error}") from error
        return principal_from_claims(claims), float(claims["exp"])

    async def _key(self, kid: str | None) -> jwt.PyJWK:
        for source in self.sources:
            found = await source.key(kid)
            if found is not None:
                return found
        raise TokenError(f"the token is signed with an unknown key ({kid or 'no kid'})")
