"""Where each logical network lands on the VIM: bound by the request, or by the site.

The binding convention (docs/nslcm.md) is the one ``nfvo placement plan`` takes, as a
map: ``{"n3_vl": "sriov-n3"}`` binds a link to a physical network, where a network is
created for it; ``{"sbi_vl": "net:mgmt"}`` binds it to an existing Neutron network (by
name or id). The NS instantiation carries it in ``additionalParamsForNs.networkBindings``
(keyed by NS virtual link and SAP), a grant outside any NS in
``additionalParams.networkBindings`` (keyed by the VNFD's logical networks).

Where nothing binds a link, the site decides: a link with SR-IOV ports takes the one
site network on an SR-IOV physical network whose name shares a word with the link's
(``n3_vl`` and ``n3-sriov``); any other link gets a tenant network created for it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nfvo.placement.model import NetworkBinding
from nfvo.vim.inventory import SiteInventory

NETWORK_PREFIX = "net:"
BINDINGS_KEY = "networkBindings"
# Words every link or network name may carry that say nothing about which one it is.
_GENERIC = frozenset({"vl", "virtual", "link", "net", "network", "sap", "sriov", ""})


class BindingError(ValueError):
    """A binding that cannot be made; the message names the link and the choices."""


@dataclass(frozen=True)
class LinkBinding:
    """One link's place: an existing ``network`` (on ``physnet`` when known), or a
    network to create (on ``physnet`` if given, else a tenant network)."""

    link: str
    network: str | None = None
    physnet: str | None = None

    @property
    def creates(self) -> bool:
        return self.network is None

    def placement(self) -> NetworkBinding | None:
        """What placement needs of it (the physnet SR-IOV ports take VFs on)."""
        if self.physnet is None and self.network is None:
            return None
        return NetworkBinding(
            logical_network=self.link, physnet=self.physnet, network_id=self.network
        )

    def text(self) -> str:
        if self.network is not None:
            return f"{NETWORK_PREFIX}{self.network}"
        return self.physnet or "(a tenant network)"


def parse_bindings(raw: Any, where: str) -> dict[str, LinkBinding]:
    """``{link: "PHYSNET" | "net:NETWORK"}`` checked; BindingError naming ``where``."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise BindingError(f"{where} must map link names to 'PHYSNET' or 'net:NETWORK'")
    found: dict[str, LinkBinding] = {}
    for link, target in raw.items():
        if not isinstance(target, str) or not target.strip() or target == NETWORK_PREFIX:
            raise BindingError(f"{where}.{link}: write 'PHYSNET' or 'net:NETWORK'")
        target = target.strip()
        if target.startswith(NETWORK_PREFIX):
            found[str(link)] = LinkBinding(str(link), network=target.removeprefix(NETWORK_PREFIX))
        else:
            found[str(link)] = LinkBinding(str(link), physnet=target)
    return found


def _words(name: str) -> set[str]:
    return set(re.split(r"[-_.\s]+", name.lower())) - _GENERIC


def sriov_physnets(inventory: SiteInventory) -> set[str]:
    return {
        nic["physnet"]
        for host in inventory.hosts
        for nic in host.get("nics", [])
        if "physnet" in nic
    }


def site_default(link: str, needs_sriov: bool, inventory: SiteInventory | None) -> LinkBinding:
    """The site's binding of ``link`` when the request gives none."""
    if not needs_sriov:
        return LinkBinding(link)  # a tenant network of its own
    if inventory is None:
        raise BindingError(
            f"link {link} has SR-IOV ports and no binding, and the VIM has no site inventory "
            "to choose one: bind it (networkBindings) to a physnet or an existing network"
        )
    physnets = sriov_physnets(inventory)
    candidates = [
        network
        for network in inventory.document.get("networks", [])
        if network.get("physical_network") in physnets and _words(link) & _words(network["name"])
    ]
    if len(candidates) != 1:
        known = ", ".join(
            f"{n['name']} ({n['physical_network']})"
            for n in inventory.document.get("networks", [])
            if n.get("physical_network") in physnets
        )
        reason = "no site network" if not candidates else "several site networks"
        raise BindingError(
            f"link {link} has SR-IOV ports and no binding, and {reason} on an SR-IOV "
            f"physnet shares a word with its name (site networks: {known or 'none'}): "
            "bind it (networkBindings) to a physnet or an existing network"
        )
    chosen = candidates[0]
    return LinkBinding(link, network=chosen["name"], physnet=chosen["physical_network"])


def site_physnet(network: str, inventory: SiteInventory | None) -> str | None:
    """The physnet of an existing network the site inventory describes, if any."""
    if inventory is None:
        return None
    for described in inventory.document.get("networks", []):
        if described.get("name") == network:
            physnet = described.get("physical_network")
            return str(physnet) if physnet else None
    return None
