"""API versions: the ``Version`` header and the ``api_versions`` resources.

SOL013 clause 4.6.1: every request names the API version it is written for in the
``Version`` header, and every response names the version used. A request without it
is a 400; a request naming a version the API does not support is answered "406 Not
Acceptable" (the clause reuses 406 for version negotiation, as it does for media
types); a header that is not a version identifier at all is a malformed request
(400). Clause 9.3 defines ``{apiRoot}/{apiName}/api_versions`` and
``{apiRoot}/{apiName}/{apiMajorVersion}/api_versions`` (GET only; every other method
405, SOL013 clause 6.4) returning ``ApiVersionInformation`` (clause 9.3.3.3.2).

The ``api_versions`` resources do not demand the ``Version`` header: a client reads
them to learn which version to send. ETSI's OpenAPI documents list the header as
required there too; being lenient on discovery harms no client. A present but
unsupported ``Version`` is ignored there for the same reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web
from pydantic import Field

from nfvo.sol.problems import InvalidRequest, NotAcceptable, NotFound
from nfvo.sol.routes import Route, app_value
from nfvo.sol.wire import WireModel, dumps

VERSION_HEADER = "Version"
_VERSION_FORMAT = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-impl:.+)?")
# The version a request was answered in, once negotiated (a request-scoped key).
NEGOTIATED_VERSION = web.RequestKey("NEGOTIATED_VERSION", str)


@dataclass(frozen=True)
class ApiVersion:
    """One supported version (SOL013 clause 4.6.1: ``major.minor.patch``)."""

    version: str
    is_deprecated: bool = False
    retirement_date: datetime | None = None

    def __post_init__(self) -> None:
        parts = self.version.split("-", 1)[0].split(".")
        if len(parts) != 3 or not all(part.isdigit() for part in parts):
            raise ValueError(f"API version {self.version!r} is not major.minor.patch")
        if self.retirement_date is not None and not self.is_deprecated:
            # ApiVersionInformation: retirementDate only with isDeprecated = true.
            raise ValueError(f"API version {self.version}: a retirement date needs deprecation")

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])


@dataclass(frozen=True)
class ApiInfo:
    """What one API (``/{apiName}/v{major}``) is and which versions it speaks."""

    api_name: str
    major: int
    versions: tuple[ApiVersion, ...]

    def __post_init__(self) -> None:
        if not self.versions:
            raise ValueError(f"API {self.api_name} v{self.major} lists no version")
        for version in self.versions:
            if version.major != self.major:
                raise ValueError(
                    f"API {self.api_name}: version {version.version} is not major {self.major}"
                )

    @classmethod
    def of(cls, api_name: str, major: int, versions: Sequence[str | ApiVersion]) -> ApiInfo:
        listed = tuple(v if isinstance(v, ApiVersion) else ApiVersion(v) for v in versions)
        return cls(api_name, major, listed)

    @property
    def uri_prefix(self) -> str:
        return f"/{self.api_name}/v{self.major}"

    @property
    def current(self) -> str:
        """The highest supported version: what responses carry when none was agreed."""
        return max(self.versions, key=_sort_key).version

    def names(self) -> list[str]:
        return [v.version for v in self.versions]

    def negotiate(self, requested: str | None) -> str:
        """The version to answer in, or the SOL013 clause 4.6.1 error."""
        if requested is None or not requested.strip():
            raise InvalidRequest(
                f"the {VERSION_HEADER} header is missing; {self.uri_prefix} supports "
                f"{', '.join(self.names())} (SOL013 clause 4.6.1)"
            )
        wanted = requested.strip()
        if not _VERSION_FORMAT.fullmatch(wanted):
            raise InvalidRequest(
                f"{VERSION_HEADER} {wanted[:40]!r} is not a version identifier "
                "(major.minor.patch, optionally -impl:..., SOL013 clause 4.6.1)"
            )
        for version in self.versions:
            # "2.1.0-impl:example.com:x:1" names the same version as "2.1.0"
            # (SOL013 clause 4.6.1: the suffix only names an implementation).
            if wanted.split("-", 1)[0] == version.version.split("-", 1)[0]:
                return version.version
        raise NotAcceptable(
            f"{VERSION_HEADER} {wanted[:40]!r} is not supported by {self.uri_prefix}; "
            f"supported: {', '.join(self.names())} (SOL013 clause 4.6.1)"
        )


def _sort_key(version: ApiVersion) -> tuple[int, ...]:
    return tuple(int(part) for part in version.version.split("-", 1)[0].split("."))


API_INFO = web.AppKey("API_INFO", ApiInfo)


class ApiVersionEntry(WireModel):
    version: str
    is_deprecated: bool | None = None
    retirement_date: datetime | None = None


class ApiVersionInformation(WireModel):
    """SOL013 ``ApiVersionInformation`` (the body of both api_versions resources)."""

    uri_prefix: str
    api_versions: list[ApiVersionEntry] = Field(min_length=1)


def version_information(info: ApiInfo, origin: str) -> ApiVersionInformation:
    return ApiVersionInformation(
        uri_prefix=f"{origin}{info.uri_prefix}",
        api_versions=[
            ApiVersionEntry(
                version=v.version, is_deprecated=v.is_deprecated, retirement_date=v.retirement_date
            )
            for v in info.versions
        ],
    )


async def api_versions(request: web.Request) -> web.Response:
    """GET ``api_versions``: the versions of the API whose app serves this route.

    On ``{apiName}/api_versions`` that is the highest major version served (the
    app mounted at ``/{apiName}`` carries it); on ``{apiName}/v{major}/api_versions``
    the major version's own list.
    """
    info = app_value(request, API_INFO)
    if info is None:  # mounted by hand outside make_root_app: nothing to describe
        raise NotFound(f"{request.path} belongs to no API")
    body = version_information(info, str(request.url.origin()))
    return web.Response(body=dumps(body), content_type="application/json")


def versions_route() -> Route:
    """The table entry of both api_versions resources (exempt from the Version check)."""
    return Route(
        "GET",
        "/api_versions",
        api_versions,
        summary="Read API version information (SOL013 clause 9.3)",
        versioned=False,
    )


def response_version(request: web.Request) -> str | None:
    """The ``Version`` a response carries: the agreed one, else the API's current."""
    agreed: str | None = request.get(NEGOTIATED_VERSION)
    if agreed is not None:
        return agreed
    info = app_value(request, API_INFO)
    return info.current if info is not None else None


def negotiate_version(request: web.Request) -> None:
    """Check the request's ``Version`` header against the API it reached."""
    info = app_value(request, API_INFO)
    if info is None:
        return
    request[NEGOTIATED_VERSION] = info.negotiate(request.headers.get(VERSION_HEADER))
