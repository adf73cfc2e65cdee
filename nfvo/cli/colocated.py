"""The VNF manager served beside the NFVO (``nfvo serve``, ``nfvo up``): each the other's
client, over HTTP as if they were apart (the NFVO reaches a VNFM only over SOL003).

With authentication on, two clients of the built-in token endpoint are added, their
secrets derived from the secret key (so every process sharing it agrees, and nothing
is written down): ``nfvo-vnfm``, as which the manager asks for grants and reads
onboarded packages (unless ``vnfm_client_id`` names another), and ``nfvo-lcm``, as
which the NS lifecycle drives the manager. The manager is registered as the VNFM
``builtin`` at this server's address, and as the default VNFM when no other is.
"""

from __future__ import annotations

import base64

from pydantic import SecretStr

from nfvo.config import AuthClient, Settings
from nfvo.lcm.vnfms import VnfmRecord, VnfmRegistry
from nfvo.store.secrets import SecretBox

BUILTIN = "builtin"
VNFM_CLIENT = "nfvo-vnfm"  # the manager asking this NFVO
NFVO_CLIENT = "nfvo-lcm"  # this NFVO driving the manager
_VNFM_SCOPES = ["grant:write", "vnfpkgm:read-onboarded"]
_NFVO_SCOPES = ["vnflcm:read", "vnflcm:write"]


def own_url(settings: Settings) -> str:
    """Where this server answers itself (a wildcard address is reached on loopback)."""
    host = settings.api_host
    host = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.api_port}"


def _secret(box: SecretBox, client_id: str) -> str:
    return base64.urlsafe_b64encode(box.derive(f"client:{client_id}")).decode().rstrip("=")


def _client(box: SecretBox, client_id: str, scopes: list[str], project: str) -> AuthClient:
    return AuthClient(
        client_id=client_id, client_secret=_secret(box, client_id), scopes=scopes, project=project
    )


def colocated(settings: Settings) -> Settings:
    """``settings`` with the two clients added and the manager pointed at this server."""
    if not settings.vnfm_enabled:
        return settings
    update: dict[str, object] = {}
    if settings.vnfm_nfvo_url is None:
        update["vnfm_nfvo_url"] = own_url(settings)
    if settings.auth_enabled:
        box = SecretBox.from_settings(settings)
        clients = [
            c for c in settings.auth_clients if c.client_id not in (VNFM_CLIENT, NFVO_CLIENT)
        ]
        if settings.vnfm_client_id is None:
            clients.append(_client(box, VNFM_CLIENT, _VNFM_SCOPES, "vnfm"))
            secret = SecretStr(_secret(box, VNFM_CLIENT))
            update |= {"vnfm_client_id": VNFM_CLIENT, "vnfm_client_secret": secret}
        clients.append(_client(box, NFVO_CLIENT, _NFVO_SCOPES, "nfvo"))
        update["auth_clients"] = clients
    return settings.model_copy(update=update)


async def register_builtin(settings: Settings, vnfms: VnfmRegistry) -> VnfmRecord:
    """The manager beside this server as the VNFM ``builtin`` (again at every start: the
    address may have changed), the default unless another VNFM is."""
    url = own_url(settings)
    credentials: tuple[str | None, str | None] = (None, None)
    if settings.auth_enabled:
        credentials = (NFVO_CLIENT, _secret(SecretBox.from_settings(settings), NFVO_CLIENT))
    default = await vnfms.default_name()
    record = VnfmRecord(BUILTIN, url, *credentials, is_default=default in (None, BUILTIN))
    return await vnfms.add(record, replace_existing=True)
