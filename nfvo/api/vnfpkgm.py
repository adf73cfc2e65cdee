"""SOL005 VNF package management (``/vnfpkgm/v2``, clause 9) and its SOL003 face.

The NFVO's OSS-facing interface (``vnf_packages``) and what a VNFM reads
(``onboarded_vnf_packages/{vnfdId}``, SOL003 clause 10), in one API app because both
are ``vnfpkgm`` v2, and the subscriptions to its notifications (``subscriptions``).
Handlers are the shared thin ones of ``catalog_handlers``.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from nfvo.api import catalog_handlers as h
from nfvo.catalog.notices import PKGM_SUBSCRIPTIONS
from nfvo.catalog.records import Kind
from nfvo.catalog.wire import (
    CreateVnfPkgInfoRequest,
    UploadVnfPackageFromUriRequest,
    VnfPkgInfo,
    VnfPkgInfoModifications,
)
from nfvo.sol.auth import principal_of
from nfvo.sol.bodies import read_model
from nfvo.sol.http import make_api_app
from nfvo.sol.routes import Route
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.subscriptions import subscription_routes
from nfvo.sol.tenancy import READ_ONBOARDED_SCOPE

# SOL005 clause 9.4.2.3.2: attributes left out unless asked for.
POLICY = SelectorPolicy(
    default_excluded=frozenset(
        {
            "softwareImages",
            "additionalArtifacts",
            "userDefinedData",
            "checksum",
            "onboardingFailureDetails",
        }
    )
)
API = h.KindApi(
    Kind.VNF_PACKAGE, "vnfPkgId", CreateVnfPkgInfoRequest, VnfPkgInfoModifications, POLICY
)
VERSIONS = ["2.4.0"]  # SOL005 V3.7.1 VNF package management interface version
QUERY = ("filter", "all_fields", "fields", "exclude_fields", "exclude_default",
         "nextpage_opaque_marker")  # fmt: skip
READ, WRITE = "vnfpkgm:read", "vnfpkgm:write"
PKG = "/vnf_packages/{vnfPkgId}"
# SOL005 clauses 9.4.8 and 9.4.9; the notifications are listed in nfvo.catalog.notices.
SUBSCRIPTIONS = replace(PKGM_SUBSCRIPTIONS, read_scope=READ, write_scope=WRITE)
ONB = "/onboarded_vnf_packages/{vnfdId}"


async def upload_from_uri(request: web.Request) -> web.Response:
    body = await read_model(request, UploadVnfPackageFromUriRequest)
    auth = (body.username, body.password or "") if body.username else None
    await h.catalogue(request).upload_from_uri(
        Kind.VNF_PACKAGE,
        API.record_id(request),
        body.address_information,
        auth,
        viewer=principal_of(request),
    )
    return web.Response(status=202)


def _reads(prefix: str, scope: str) -> tuple[Route, ...]:
    """The content reads both faces serve (SOL005 9.4.4-9.4.7, SOL003 10.4.4-10.4.7)."""
    return (
        Route("GET", f"{prefix}/vnfd", h.descriptor_handler(API), scope, "Read the VNFD",
              produces=(h.TEXT, h.ZIP)),
        Route("GET", f"{prefix}/manifest", h.manifest_handler(API), scope, "Read the manifest",
              produces=(h.TEXT, h.ZIP)),
        Route("GET", f"{prefix}/package_content", h.content_handler(API), scope,
              "Fetch the package", produces=(h.ZIP,)),
        Route("GET", f"{prefix}/artifacts", h.artifacts_handler(API), scope,
              "Fetch every artifact", produces=(h.ZIP,)),
        Route("GET", prefix + "/artifacts/{artifactPath:.+}", h.artifact_handler(API), scope,
              "Fetch one artifact", produces=(h.OCTETS,)),
    )  # fmt: skip


ROUTES = (
    Route("GET", "/vnf_packages", h.list_handler(API), READ, "Query VNF packages",
          response_model=VnfPkgInfo, response_is_list=True, query=QUERY),
    Route("POST", "/vnf_packages", h.create_handler(API), WRITE, "Create a VNF package",
          request_model=CreateVnfPkgInfoRequest, response_model=VnfPkgInfo, status=201),
    Route("GET", PKG, h.show_handler(API), READ, "Read a VNF package", response_model=VnfPkgInfo),
    Route("PATCH", PKG, h.modify_handler(API), WRITE, "Enable, disable or annotate",
          request_model=VnfPkgInfoModifications, response_model=VnfPkgInfoModifications),
    Route("DELETE", PKG, h.delete_handler(API), WRITE, "Delete a VNF package", status=204),
    Route("PUT", f"{PKG}/package_content", h.upload_handler(API), WRITE,
          "Upload the package", status=202, consumes=(h.ZIP, h.OCTETS), produces=()),
    Route("POST", f"{PKG}/package_content/upload_from_uri", upload_from_uri, WRITE,
          "Upload the package from a URI", request_model=UploadVnfPackageFromUriRequest,
          status=202, produces=()),
    *_reads(PKG, READ),
    # The SOL003 face is the VNFM's: its client reads every project's onboarded packages.
    Route("GET", ONB, h.show_handler(API), READ_ONBOARDED_SCOPE, "Read an onboarded VNF package",
          response_model=VnfPkgInfo),
    *_reads(ONB, READ_ONBOARDED_SCOPE),
    *subscription_routes(SUBSCRIPTIONS),
)  # fmt: skip


def make_app() -> web.Application:
    return make_api_app("vnfpkgm", 2, VERSIONS, ROUTES)
