"""The VIMs the orchestrator knows: name, connection, rights, limits, one default.

A VIM is registered with a clouds.yaml-style entry (``auth``, ``region_name``, ...) or
a SOL003 ``vimConnectionInfo`` (converted, see :func:`from_connection_info`). Records
live in the repository (kind ``vim``; the default in ``vim_default``) as versioned
JSON whose secret fields (password, application credential secret) are Fernet tokens
(``nfvo.store.secrets``): Redis never holds them in clear. :meth:`VimRecord.masked` is
the only view meant for display. :meth:`VimRegistry.open_vim` builds the facade,
one per VIM per registry, opened on first use.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import redis.asyncio as aioredis

from nfvo.store.errors import AlreadyExists, StoreNotFound
from nfvo.store.keys import Keyspace
from nfvo.store.repository import Repository
from nfvo.store.resources import ResourceKey
from nfvo.store.secrets import MASK, SecretBox
from nfvo.vim.facade import Vim
from nfvo.vim.session import RetryPolicy, VimSpec
from nfvo.vim.waiting import VimEventFeed

SCHEMA: Final = 2  # 2 added notifications, pollInterval, site, retry; 1 reads as without
KIND: Final = "vim"
DEFAULT_KIND: Final = "vim_default"
DEFAULT_ID: Final = "default"
SECRET_FIELDS: Final = ("password", "application_credential_secret")
VIM_TYPE: Final = "ETSINFV.OPENSTACK_KEYSTONE.V_3"
_NAME = re.compile(r"^[A-Za-z0-9_.@+=-]{1,64}$")  # a repository id (nfvo.store.keys)


@dataclass(frozen=True)
class VimRecord:
    """One registered VIM, secrets in clear (in memory only)."""

    name: str
    cloud: dict[str, Any]
    admin: bool = False
    max_concurrency: int = 8
    is_default: bool = False
    # How the orchestrator hears of changes there (docs/events.md): the prefix of the
    # cloud's notification streams on our Redis, else polling every ``poll_interval``.
    notifications: str | None = None
    poll_interval: float | None = None
    site: dict[str, Any] | None = None  # its site inventory (topology), for placement
    retry: RetryPolicy = field(default_factory=RetryPolicy)  # of calls that may be retried

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(f"VIM name {self.name!r}: 1 to 64 of letters, digits and _.@+=-")
        if not isinstance(self.cloud.get("auth"), dict) or not self.cloud["auth"].get("auth_url"):
            raise ValueError(f"VIM {self.name}: the connection needs auth.auth_url")
        if self.max_concurrency < 1:
            raise ValueError(f"VIM {self.name}: max_concurrency must be at least 1")
        if self.poll_interval is not None and self.poll_interval < 1:
            raise ValueError(f"VIM {self.name}: poll_interval must be at least 1 second")

    @property
    def region(self) -> str | None:
        region = self.cloud.get("region_name")
        return str(region) if region else None

    def spec(self) -> VimSpec:
        return VimSpec(
            name=self.name,
            cloud=copy.deepcopy(self.cloud),
            admin=self.admin,
            max_concurrency=self.max_concurrency,
            retry=self.retry,
        )

    def masked(self) -> dict[str, Any]:
        """For display: every secret replaced by ``******``."""
        return {
            "name": self.name,
            "region": self.region,
            "admin": self.admin,
            "maxConcurrency": self.max_concurrency,
            "default": self.is_default,
            "notifications": self.notifications,
            "pollInterval": self.poll_interval,
            "site": self.site.get("name") if self.site else None,
            "cloud": _map_secrets(self.cloud, lambda _: MASK),
        }


def _map_secrets(cloud: Mapping[str, Any], change: Any) -> dict[str, Any]:
    result = copy.deepcopy(dict(cloud))
    auth = result.get("auth") or {}
    for name in SECRET_FIELDS:
        if auth.get(name) is not None:
            auth[name] = change(auth[name])
    return result


def to_document(record: VimRecord, box: SecretBox) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "name": record.name,
        "cloud": _map_secrets(record.cloud, lambda value: {"sealed": box.seal(str(value))}),
        "admin": record.admin,
        "maxConcurrency": record.max_concurrency,
        "notifications": record.notifications,
        "pollInterval": record.poll_interval,
        "site": record.site,
        "retry": {
            "attempts": record.retry.attempts,
            "baseDelay": record.retry.base_delay,
            "maxDelay": record.retry.max_delay,
        },
    }


def from_document(document: Mapping[str, Any], box: SecretBox, is_default: bool) -> VimRecord:
    if document.get("schema") not in (1, SCHEMA):
        raise ValueError(f"VIM record schema {document.get('schema')!r}, expected {SCHEMA}")
    poll = document.get("pollInterval")
    return VimRecord(
        name=document["name"],
        cloud=_map_secrets(document["cloud"], lambda value: box.open(value["sealed"])),
        admin=bool(document["admin"]),
        max_concurrency=int(document["maxConcurrency"]),
        is_default=is_default,
        notifications=document.get("notifications"),
        poll_interval=float(poll) if poll is not None else None,
        site=document.get("site"),
        retry=_retry(document.get("retry")),
    )


def _retry(stored: Mapping[str, Any] | None) -> RetryPolicy:
    if not stored:
        return RetryPolicy()
    return RetryPolicy(
        attempts=int(stored["attempts"]),
        base_delay=float(stored["baseDelay"]),
        max_delay=float(stored["maxDelay"]),
    )


# SOL003 vimConnectionInfo (ETSI GS NFV-SOL 003, 4.4.1.6; the OpenStack vimType and its
# interfaceInfo/accessInfo keys are from the ETSI NFV registry of VIM connection types).
_ACCESS_TO_AUTH: Final = {
    "username": "username",
    "password": "password",
    "project": "project_name",
    "projectDomain": "project_domain_name",
    "userDomain": "user_domain_name",
}


def from_connection_info(info: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(vimId, clouds.yaml-style entry) from a SOL003 ``vimConnectionInfo``."""
    if info.get("vimType") != VIM_TYPE:
        raise ValueError(f"vimType {info.get('vimType')!r} is not supported; only {VIM_TYPE}")
    endpoint = (info.get("interfaceInfo") or {}).get("endpoint")
    if not endpoint:
        raise ValueError("vimConnectionInfo.interfaceInfo.endpoint is required")
    access = info.get("accessInfo") or {}
    auth = {"auth_url": endpoint}
    auth.update({key: access[wire] for wire, key in _ACCESS_TO_AUTH.items() if access.get(wire)})
    cloud: dict[str, Any] = {"auth": auth}
    if access.get("region"):
        cloud["region_name"] = access["region"]
    return str(info.get("vimId") or ""), cloud


def record_from_connection_info(key: str, info: Mapping[str, Any]) -> VimRecord:
    """The VIM a request's or a grant's ``vimConnectionInfo`` entry ``key`` describes;
    ``extra`` may say it is admin and where its events are (``to_connection_info``).
    ValueError naming what is wrong."""
    vim_id, cloud = from_connection_info(info)
    extra = info.get("extra") or {}
    poll = extra.get("pollInterval")
    return VimRecord(
        name=vim_id or key,
        cloud=cloud,
        admin=bool(extra.get("admin")),
        notifications=str(extra["notifications"]) if extra.get("notifications") else None,
        poll_interval=float(poll) if isinstance(poll, int | float) else None,
    )


def to_connection_info(record: VimRecord, *, include_secrets: bool = False) -> dict[str, Any]:
    """The record as SOL003 ``vimConnectionInfo``; the password masked unless asked for
    (a grant handing the VNFM its VIM access is the one caller that needs it)."""
    auth = record.cloud["auth"]
    access = {wire: auth[key] for wire, key in _ACCESS_TO_AUTH.items() if auth.get(key)}
    if "password" in access and not include_secrets:
        access["password"] = MASK
    if record.region:
        access["region"] = record.region
    # Our extension (free-form in SOL003): whether it is admin and where its events are,
    # so that a VNFM given this VIM follows its events as the NFVO does.
    extra: dict[str, Any] = {"admin": record.admin}
    if record.notifications:
        extra["notifications"] = record.notifications
    if record.poll_interval:
        extra["pollInterval"] = record.poll_interval
    return {
        "vimId": record.name,
        "vimType": VIM_TYPE,
        "interfaceInfo": {"endpoint": auth["auth_url"]},
        "accessInfo": access,
        "extra": extra,
    }


@dataclass
class VimRegistry:
    """Registered VIMs on the repository, and their facades."""

    redis: aioredis.Redis
    keyspace: Keyspace
    box: SecretBox
    events: VimEventFeed | None = None  # given to every facade: waits follow vim-events
    _vims: dict[str, Vim] = field(default_factory=dict)
    _opening: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self._records = Repository(self.redis, self.keyspace, KIND)
        self._default = Repository(self.redis, self.keyspace, DEFAULT_KIND)

    async def add(self, record: VimRecord, *, replace_existing: bool = False) -> VimRecord:
        """Register; the first VIM becomes the default, as does one added with is_default."""
        document = to_document(record, self.box)
        if replace_existing and await self._records.find(record.name) is not None:
            await self._records.put(record.name, document, version=None)
            await self._forget(record.name)  # the next open_vim uses the new connection
        else:
            try:
                await self._records.create(record.name, document)
            except AlreadyExists as exc:
                raise AlreadyExists(f"VIM {record.name} is already registered") from exc
        if record.is_default or await self.default_name() is None:
            await self.set_default(record.name)
        return await self.get(record.name)

    async def get(self, name: str) -> VimRecord:
        found = await self._records.find(name) if _NAME.match(name) else None
        if found is None:
            raise StoreNotFound(f"no VIM named {name!r} is registered")
        return from_document(found.document, self.box, name == await self.default_name())

    async def list(self) -> list[VimRecord]:
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

    async def set_default(self, name: str) -> None:
        await self.get(name)
        if await self._default.find(DEFAULT_ID) is None:
            await self._default.create(DEFAULT_ID, {"name": name})
        else:
            await self._default.put(DEFAULT_ID, {"name": name}, version=None)

    async def default(self) -> VimRecord:
        name = await self.default_name()
        if name is None:
            raise StoreNotFound("no VIM is registered (nfvo vim add)")
        return await self.get(name)

    async def open_vim(self, name: str | None = None) -> Vim:
        """The facade of VIM ``name`` (the default if None), opened once and cached."""
        record = await (self.get(name) if name else self.default())
        async with self._opening:  # two first callers must not open two sessions
            if record.name not in self._vims:
                vim = Vim(record.spec(), self.events)
                await vim.__aenter__()
                self._vims[record.name] = vim
            return self._vims[record.name]

    async def close(self) -> None:
        for name in list(self._vims):
            await self._forget(name)

    async def _forget(self, name: str) -> None:
        vim = self._vims.pop(name, None)
        if vim is not None:
            await vim.__aexit__(None, None, None)


VIMS: ResourceKey[VimRegistry] = ResourceKey("VIM registry", VimRegistry)
