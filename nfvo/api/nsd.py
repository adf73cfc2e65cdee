"""SOL005 NSD management (``/nsd/v2``, clause 5): NSDs and PNFDs.

``nsd_content`` and ``pnfd_content`` take a zip archive (SOL007) or one plain YAML
file (clause 5.4.4.3.3); onboarding then runs as the catalogue's durable job.
``subscriptions`` (clauses 5.4.8, 5.4.9) to the NSD and PNFD notifications.
"""

from __future__ import annotations

from dataclasses import replace

from aiohttp import web

from nfvo.api import catalog_handlers as h
from nfvo.catalog.notices import NSDM_SUBSCRIPTIONS
from nfvo.catalog.records import Kind
from nfvo.catalog.wire import (
    CreateNsdInfoRequest,
    CreatePnfdInfoRequest,
    NsdInfo,
    NsdInfoModifications,
    PnfdInfo,
    PnfdInfoModifications,
)
from nfvo.sol.http import make_api_app
from nfvo.sol.routes import Route
from nfvo.sol.selectors import SelectorPolicy
from nfvo.sol.subscriptions import subscription_routes

# SOL005 clauses 5.4.2.3.2 and 5.4.5.3.2: attributes left out unless asked for.
NSD_API = h.KindApi(
    Kind.NSD, "nsdInfoId", CreateNsdInfoRequest, NsdInfoModifications,
    SelectorPolicy(default_excluded=frozenset({"userDefinedData", "onboardingFailureDetails"})),
)  # fmt: skip
PNFD_API = h.KindApi(
    Kind.PNFD, "pnfdInfoId", CreatePnfdInfoRequest, PnfdInfoModifications,
    SelectorPolicy(default_excluded=frozenset({"userDefinedData", "onboardingFailureDetails"})),
)  # fmt: skip
VERSIONS = ["2.3.0"]  # SOL005 V3.7.1 NSD management interface version
QUERY = ("filter", "all_fields", "fields", "exclude_fields", "exclude_default",
         "nextpage_opaque_marker")  # fmt: skip
READ, WRITE = "nsd:read", "nsd:write"
NSD = "/ns_descriptors/{nsdInfoId}"
PNFD = "/pnf_descriptors/{pnfdInfoId}"
UPLOAD_TYPES = (h.ZIP, h.TEXT, h.OCTETS)
# SOL005 clauses 5.4.8 and 5.4.9; the notifications are listed in nfvo.catalog.notices.
SUBSCRIPTIONS = replace(NSDM_SUBSCRIPTIONS, read_scope=READ, write_scope=WRITE)


def _descriptor_routes(
    api: h.KindApi, container: str, item: str, name: str, info: type[NsdInfo | PnfdInfo]
) -> tuple[Route, ...]:
    modifications = api.modifications_model
    return (
        Route("GET", container, h.list_handler(api), READ, f"Query {name}s",
              response_model=info, response_is_list=True, query=QUERY),
        Route("POST", container, h.create_handler(api), WRITE, f"Create a {name}",
              request_model=api.create_model, response_model=info, status=201),
        Route("GET", item, h.show_handler(api), READ, f"Read a {name}", response_model=info),
        Route("PATCH", item, h.modify_handler(api), WRITE, f"Modify a {name}",
              request_model=modifications, response_model=modifications),
        Route("DELETE", item, h.delete_handler(api), WRITE, f"Delete a {name}", status=204),
        Route("PUT", f"{item}/{name.lower()}_content", h.upload_handler(api), WRITE,
              f"Upload the {name} archive", status=202, consumes=UPLOAD_TYPES, produces=()),
        Route("GET", f"{item}/{name.lower()}_content", h.content_handler(api), READ,
              f"Fetch the {name} archive", produces=(h.ZIP, h.TEXT)),
        Route("GET", f"{item}/{name.lower()}", h.descriptor_handler(api), READ,
              f"Read the {name}", produces=(h.TEXT, h.ZIP)),
        Route("GET", f"{item}/manifest", h.manifest_handler(api), READ, "Read the manifest",
              produces=(h.TEXT, h.ZIP)),
        Route("GET", item + "/artifacts/{artifactPath:.+}", h.artifact_handler(api), READ,
              "Fetch one artifact", produces=(h.OCTETS,)),
    )  # fmt: skip


ROUTES = (
    *_descriptor_routes(NSD_API, "/ns_descriptors", NSD, "NSD", NsdInfo),
    *_descriptor_routes(PNFD_API, "/pnf_descriptors", PNFD, "PNFD", PnfdInfo),
    *subscription_routes(SUBSCRIPTIONS),
)


def make_app() -> web.Application:
    return make_api_app("nsd", 2, VERSIONS, ROUTES)
