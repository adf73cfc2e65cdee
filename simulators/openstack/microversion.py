"""Microversion negotiation as Nova, Cinder and Placement do it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulators.openstack.web import ApiError, Handler

VERSION_RE = re.compile(r"^([1-9]\d*)\.([1-9]\d*|0)$")


@dataclass(frozen=True, order=True)
class Version:
    major: int
    minor: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"

    @classmethod
    def parse(cls, text: str) -> Version:
        match = VERSION_RE.match(text.strip())
        if not match:
            raise ValueError(text)
        return cls(int(match.group(1)), int(match.group(2)))


MICROVERSION: web.RequestKey[Version] = web.RequestKey("microversion", Version)


def requested(request: web.Request, service: str, legacy_header: str | None) -> str | None:
    for value in request.headers.getall("OpenStack-API-Version", []):
        for item in value.split(","):
            parts = item.strip().split()
            if len(parts) == 2 and parts[0].lower() == service:
                return parts[1]
    if legacy_header:
        return request.headers.get(legacy_header)
    return None


def microversion_middleware(
    service: str,
    minimum: Version,
    maximum: Version,
    legacy_header: str | None,
    unversioned: set[str],
) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in unversioned:
            return await handler(request)
        raw = requested(request, service, legacy_header)
        if raw is None:
            version = minimum
        elif raw.strip().lower() == "latest":
            version = maximum
        else:
            try:
                version = Version.parse(raw)
            except ValueError as exc:
                raise ApiError(400, f"Invalid API version request string {raw!r}") from exc
            if not minimum <= version <= maximum:
                raise ApiError(
                    406,
                    f"Version {version} is not supported by the API. "
                    f"Minimum is {minimum} and maximum is {maximum}.",
                )
        request[MICROVERSION] = version
        response = await handler(request)
        response.headers["OpenStack-API-Version"] = f"{service} {version}"
        if legacy_header:
            response.headers[legacy_header] = str(version)
        vary = "OpenStack-API-Version" + (f", {legacy_header}" if legacy_header else "")
        response.headers["Vary"] = vary
        return response

    return middleware


def at_least(request: web.Request, minor: int, major: int = 2) -> bool:
    return request[MICROVERSION] >= Version(major, minor)
