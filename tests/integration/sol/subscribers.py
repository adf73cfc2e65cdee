"""Real notification endpoints on loopback: what a subscriber's server does.

A :class:`Subscriber` answers the callback test (GET) with 204 and records every
POSTed notification; it can fail its first POSTs, fail always, check a BASIC or
bearer ``Authorization`` header, and serve over TLS demanding a client certificate.
:class:`TokenEndpoint` is a subscriber's OAuth 2.0 server (client credentials).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass
class Subscriber:
    get_status: int = 204
    fail_first: int = 0  # POSTs answered 503 before the first success
    always_fail: bool = False
    expect_authorization: str | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0
    gets: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""
    _runner: web.AppRunner | None = None

    def _authorised(self, request: web.Request) -> bool:
        expected = self.expect_authorization
        return expected is None or request.headers.get("Authorization") == expected

    async def _get(self, request: web.Request) -> web.Response:
        self.gets += 1
        if not self._authorised(request):
            return web.Response(status=401)
        return web.Response(status=self.get_status)

    async def _post(self, request: web.Request) -> web.Response:
        self.posts += 1
        if not self._authorised(request):
            return web.Response(status=401)
        if self.always_fail or self.posts <= self.fail_first:
            return web.Response(status=503)
        self.received.append(await request.json())
        self.arrived.set()
        return web.Response(status=204)

    async def start(self, port: int = 0, tls: ssl.SSLContext | None = None) -> Subscriber:
        app = web.Application()
        app.router.add_get("/callback", self._get)
        app.router.add_post("/callback", self._post)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, ssl_context=tls)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{bound}/callback"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_for(self, count: int, seconds: float = 10.0) -> None:
        async with asyncio.timeout(seconds):
            while len(self.received) < count:
                self.arrived.clear()
                await self.arrived.wait()


@dataclass
class TokenEndpoint:
    client_id: str
    client_secret: str
    token: str = "subscriber-bearer-token-7f3a"
    hits: int = 0
    url: str = ""
    _runner: web.AppRunner | None = None

    async def _issue(self, request: web.Request) -> web.Response:
        self.hits += 1
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = await request.post()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"error": "invalid_client"}, status=401)
        if form.get("grant_type") != "client_credentials":
            return web.json_response({"error": "unsupported_grant_type"}, status=400)
        body = {"access_token": self.token, "token_type": "Bearer", "expires_in": 3600}
        return web.json_response(body)

    async def start(self) -> TokenEndpoint:
        app = web.Application()
        app.router.add_post("/token", self._issue)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}/token"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


# -- certificates for TLS_CERT -------------------------------------------------------


def _certificate(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: tuple[x509.Name, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, signing_key = issuer or (name, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        san = x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))])
        builder = builder.add_extension(san, critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    pem = cert.public_bytes(serialization.Encoding.PEM)
    path.with_suffix(".crt").write_bytes(pem)
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def mutual_tls(directory: Path) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A test CA signing a server and a client certificate: (server, client) contexts."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _certificate("test CA", ca_key, None, ca=True)
    _write(directory / "ca", ca, ca_key)
    for role in ("server", "client"):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(directory / role, _certificate(role, key, (ca.subject, ca_key)), key)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=directory / "ca.crt")
    server.load_cert_chain(directory / "server.crt", directory / "server.key")
    server.verify_mode = ssl.CERT_REQUIRED  # the subscriber demands our certificate
    client = ssl.create_default_context(cafile=directory / "ca.crt")
    client.load_cert_chain(directory / "client.crt", directory / "client.key")
    return server, client
