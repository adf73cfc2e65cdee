"""How the orchestrator marks what it creates on a VIM, and finds it again.

Every server, port, network and volume carries its identity, so a retried or resumed
step looks before it creates and never makes a second one. Nova tags (set at create
from microversion 2.52; at most 50 per server, each at most 60 characters, no ``/``
or ``,``) and Neutron tags (in the create body only with the ``tag-creation``
extension, otherwise added after create) carry:

==================  ===============================================================
``nfvo``            owned by an orchestrator (marker)
``nfvo-ns:<id>``    the NS instance, when the VNF belongs to one
``nfvo-vnf:<id>``   the VNF instance
``nfvo-res:<id>``   the descriptor element: VDU, CP, virtual link or storage id
``nfvo-idx:<n>``    the instance index of that element (0, 1, ...)
``nfvo-op:<id>``    the operation occurrence that created it (for audit, not lookup)
==================  ===============================================================

A lookup matches ``nfvo``, ``nfvo-vnf``, ``nfvo-res`` and ``nfvo-idx`` (Nova's and
Neutron's ``tags`` filter needs all of them). Where tags are unavailable (Nova flavors
and server groups, Cinder volumes, or a cloud without the extension) the resource gets
a deterministic name made only of ``[a-z0-9-]``: Neutron and Cinder match names
exactly, and Nova's ``name`` filter is a regular expression, so the lookup anchors it
as ``^name$`` (safe because the name holds no regex metacharacters).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

MARKER = "nfvo"
MAX_TAG_LENGTH = 60
MAX_TAGS_PER_SERVER = 50
_FORBIDDEN_IN_TAG = re.compile(r"[/,]")
_NAME_UNSAFE = re.compile(r"[^a-z0-9-]+")


def fit_tag(key: str, value: str) -> str:
    """``key:value`` within Nova's limits: long or unsafe values are shortened with a hash."""
    candidate = f"{key}:{value}"
    if len(candidate) <= MAX_TAG_LENGTH and not _FORBIDDEN_IN_TAG.search(candidate):
        return candidate
    digest = hashlib.sha256(value.encode()).hexdigest()[:12]
    room = MAX_TAG_LENGTH - len(key) - 1 - len(digest) - 1
    readable = _FORBIDDEN_IN_TAG.sub("_", value)[: max(room, 0)]
    return f"{key}:{readable}~{digest}"


def safe_name_part(value: str, limit: int = 40) -> str:
    """``value`` lower-cased to ``[a-z0-9-]``; hashed when that loses or cuts anything."""
    cleaned = _NAME_UNSAFE.sub("-", value.lower()).strip("-")
    if cleaned == value and len(cleaned) <= limit:
        return cleaned
    digest = hashlib.sha256(value.encode()).hexdigest()[:8]
    return f"{cleaned[: limit - 9].strip('-')}-{digest}".strip("-")


@dataclass(frozen=True)
class ResourceIdentity:
    """Who a VIM resource belongs to and which descriptor element it realises."""

    vnf_instance_id: str
    resource_id: str
    index: int = 0
    ns_instance_id: str | None = None
    operation_id: str | None = None

    def tags(self) -> list[str]:
        """Every tag to set at create."""
        tags = self.lookup_tags()
        if self.ns_instance_id:
            tags.append(fit_tag("nfvo-ns", self.ns_instance_id))
        if self.operation_id:
            tags.append(fit_tag("nfvo-op", self.operation_id))
        return tags

    def lookup_tags(self) -> list[str]:
        """The tags that identify the resource: all must match."""
        return [
            MARKER,
            fit_tag("nfvo-vnf", self.vnf_instance_id),
            fit_tag("nfvo-res", self.resource_id),
            fit_tag("nfvo-idx", str(self.index)),
        ]

    def name(self) -> str:
        """The deterministic name: ``<resource>-<index>-<vnf instance id>``."""
        return (
            f"{safe_name_part(self.resource_id)}-{self.index}-"
            f"{safe_name_part(self.vnf_instance_id, limit=64)}"
        )

    def nova_name_filter(self) -> str:
        """Nova's ``name`` query value matching exactly :meth:`name` (it is a regex)."""
        return f"^{self.name()}$"

    @classmethod
    def from_tags(cls, tags: Iterable[str]) -> ResourceIdentity | None:
        """The identity written by :meth:`tags`, or None if they are not ours.

        Hashed (shortened) values cannot be recovered; callers compare lookup tags.
        """
        values: dict[str, str] = {}
        found_marker = False
        for tag in tags:
            if tag == MARKER:
                found_marker = True
            elif tag.startswith("nfvo-") and ":" in tag:
                key, _, value = tag.partition(":")
                values[key] = value
        if not found_marker or not {"nfvo-vnf", "nfvo-res", "nfvo-idx"} <= values.keys():
            return None
        try:
            index = int(values["nfvo-idx"])
        except ValueError:
            return None
        return cls(
            vnf_instance_id=values["nfvo-vnf"],
            resource_id=values["nfvo-res"],
            index=index,
            ns_instance_id=values.get("nfvo-ns"),
            operation_id=values.get("nfvo-op"),
        )


def content_name(kind: str, content: str) -> str:
    """A name for a resource defined by its content (a flavor by its specs): same content,
    same name, so a find-or-create by name never duplicates it."""
    return f"nfvo-{safe_name_part(kind, 20)}-{hashlib.sha256(content.encode()).hexdigest()[:16]}"
