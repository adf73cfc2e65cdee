"""The VNF managers the NFVO drives: name, where their SOL003 API is, how to log in.

``nfvo vnfm add NAME --url ... --client-id ... --client-secret ...`` registers one; the
first registered (or one added ``--default``) drives every VNF an NS does not assign
to another (``additionalParamsForNs.vnfms``: VNF profile -> VNFM name). Records live in
the repository (kind ``vnfm``) with the client secret sealed by the secret box, as VIM
passwords are: Redis never holds it in clear. Each VNFM is reached only over HTTP
(:class:`~nfvo.lcm.vnfm_client.VnfmClient`), with an OAuth 2.0 client-credentials
token from its ``token_url`` (``<url>/oauth2/token`` unless told otherwise).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import redis.asyncio as aioredis

from nfvo.lcm.vnfm_client import VnfmClient
from nfvo.sol.problems import Conflict, NotFound
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.resources import ResourceKey
from nfvo.store.secrets import MASK, SecretBox

KIND: Final = "vnfm"
DEFAULT_ID: Final = "default"
_NAME = re.compile(r"^[A-Za-z0-9_.@+=-]{1,64}$")
_URL = re.compile(r"^https?://[^\s/]+")


@dataclass(frozen=True)
class VnfmRecord:
    """One registered VNFM, its secret in clear (in memory only)."""

    name: str
    url: str  # the API root: {url}/vnflcm/v2
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    token_url: str | None = None
    is_default: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"VNFM name {self.name!r}: 1 to 64 of letters, digits and _.@+=-")
        if not _URL.match(self.url):
            raise ValueError(f"VNFM {self.name}: the URL must be http(s)://host[:port][/path]")
        if bool(self.client_id) != bool(self.client_secret):
            raise ValueError(
                f"VNFM {self.name}: give both the client id and its secret, or neither"
            )

    @property
    def effective_token_url(self) -> str:
        return self.token_url or f"{self.url.rstrip('/')}/oauth2/token"

    def masked(self) -> dict[str, Any]:
        """For display: the secret never shown."""
        return {
            "name": self.name,
            "url": self.url,
            "clientId": self.client_id,
            "clientSecret": MASK if self.client_secret else None,
            "tokenUrl": self.effective_token_url if self.client_id else None,
            "default": self.is_default,
        }


def to_document(record: VnfmRecord, box: SecretBox) -> dict[str, Any]:
    return {
        "name": record.name,
        "url": record.url,
        "clientId": record.client_id,
        "clientSecret": {"sealed": box.seal(record.client_secret)}
        if record.client_secret
        else None,
        "tokenUrl": record.token_url,
    }


def from_document(document: Mapping[str, Any], box: SecretBox, is_default: bool) -> VnfmRecord:
    sealed = document.get("clientSecret")
    return VnfmRecord(
        name=document["name"],
        url=document["url"],
        client_id=document.get("clientId"),
        client_secret=box.open(sealed["sealed"]) if sealed else None,
        token_url=document.get("tokenUrl"),
        is_default=is_default,
    )


@dataclass
class VnfmRegistry:
    redis: aioredis.Redis
    keyspace: Keyspace
    box: SecretBox
    _clients: dict[str, VnfmClient] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._records = Repository(self.redis, self.keyspace, KIND)
        self._default = Repository(self.redis, self.keyspace, f"{KIND}_default")

    async def add(self, record: VnfmRecord, *, replace_existing: bool = False) -> VnfmRecord:
        document = to_document(record, self.box)
        if await self._records.find(record.name) is not None:
            if not replace_existing:
                raise Conflict(f"VNFM {record.name} is already registered")
            await self._records.put(record.name, document, version=None)
            await self._forget(record.name)
        else:
            await self._records.create(record.name, document)
        if record.is_default or await self.default_name() is None:
            await self._set_default(record.name)
        return await self.get(record.name)

    async def get(self, name: str) -> VnfmRecord:
        found = await self._records.find(name) if _NAME.match(name) else None
        if found is None:
            raise NotFound(f"no VNFM named {name!r} is registered (nfvo vnfm add)")
        return from_document(found.document, self.box, name == await self.default_name())

    async def list(self) -> list[VnfmRecord]:
        default, records, cursor = await self.default_name(), [], None
        while True:
            page = await self._records.list(cursor=cursor)
            records += [from_document(v.document, self.box, v.id == default) for v in page.items]
            if page.cursor is None:
                return records
            cursor = page.cursor

    async def remove(self, name: str) -> None:
        await self.get(name)
        await self._records.delete(name)
        if await self.default_name() == name:
            await self._default.delete(DEFAULT_ID)
        await self._forget(name)

    async def default_name(self) -> str | None:
        found = await self._default.find(DEFAULT_ID)
        return str(found.document["name"]) if found else None

    async def chosen(self, name: str | None) -> VnfmRecord:
        """``name``'s record, or the default's; NotFound naming what is missing."""
        if name:
            return await self.get(name)
        default = await self.default_name()
        if default is None:
            raise NotFound("no VNFM is registered to drive the VNFs (nfvo vnfm add)")
        return await self.get(default)

    async def client(self, name: str) -> VnfmClient:
        """The HTTP client of VNFM ``name``, made once."""
        record = await self.get(name)
        async with self._lock:
            if name not in self._clients:
                self._clients[name] = VnfmClient(
                    record.name,
                    record.url,
                    client_id=record.client_id,
                    client_secret=record.client_secret,
                    token_url=record.effective_token_url,
                )
            return self._clients[name]

    async def close(self) -> None:
        for name in list(self._clients):
            await self._forget(name)

    async def _set_default(self, name: str) -> None:
        if await self._default.find(DEFAULT_ID) is None:
            await self._default.create(DEFAULT_ID, {"name": name})
        else:
            await self._default.put(DEFAULT_ID, {"name": name}, version=None)

    async def _forget(self, name: str) -> None:
        client = self._clients.pop(name, None)
        if client is not None:
            await client.close()


VNFMS: ResourceKey[VnfmRegistry] = ResourceKey("VNFM registry", VnfmRegistry)
