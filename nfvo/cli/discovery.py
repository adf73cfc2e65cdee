"""Where the CLI finds the orchestrator, and how it proves who it is.

``nfvo serve`` publishes in its data directory (0700) what a CLI of the same user needs,
so that the README's steps work in a fresh shell with nothing exported:

``server.json``     the URL it serves, while it runs (:func:`publish_server`)
``admin.password``  the built-in ``admin`` client's password, when ``nfvo serve``
                    generated it because no way to a token was configured (0600)
``redis.url``       the Redis it owns, while it runs (``nfvo.store.embedded``)

The API: ``nfvo_url`` when it is set (environment or configuration file), else the
published URL, else the default. Credentials: ``api_token``, else ``admin_password``,
else the published admin password, which is sent only to the URL published beside it.
Redis, for the offline commands: ``redis_url`` when set, else the published one.

Nothing here imports an HTTP or Redis client: ``nfvo --help`` and offline commands
stay fast.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from nfvo.cli.errors import CliError
from nfvo.store.embedded import URL_FILE, published_url

if TYPE_CHECKING:
    from nfvo.config import Settings

SERVER_FILE = "server.json"
ADMIN_PASSWORD_FILE = "admin.password"
ADMIN_CLIENT = "admin"


@dataclass(frozen=True)
class Access:
    """How the CLI authenticates: a token as given, or one fetched for a client."""

    token: str | None = None
    client: tuple[str, str] | None = None  # (client_id, secret) for /oauth2/token

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        """What the settings give; see :func:`server_of` for the published password."""
        if settings.api_token:
            return cls(token=settings.api_token.get_secret_value())
        if settings.admin_password:
            return cls(client=(ADMIN_CLIENT, settings.admin_password.get_secret_value()))
        return cls()

    @property
    def anonymous(self) -> bool:
        return self.token is None and self.client is None


ANONYMOUS = Access()


@dataclass(frozen=True)
class Server:
    """The API a command talks to, how it authenticates there, and where both came from
    (for messages: an operator must see which setting or file to fix)."""

    url: str
    access: Access
    source: str
    credentials: str

    def unreachable(self, reason: str) -> CliError:
        return CliError(
            f"cannot connect to {self.url} ({self.source}): {reason}",
            f"is `nfvo serve` running at {self.url}? Start it, or set nfvo_url (NFVO_NFVO_URL)",
        )

    def refused(self, reason: str) -> CliError:
        return CliError(
            f"{self.url} refused the credentials ({self.credentials}): {reason}",
            "set api_token (NFVO_API_TOKEN) or admin_password (NFVO_ADMIN_PASSWORD); "
            "`nfvo serve` tells where a password it generated is",
        )


def server_of(settings: Settings) -> Server:
    """The API to use and how to authenticate there (the module's rules)."""
    published = _published_server(settings.data_dir)
    if "nfvo_url" in settings.model_fields_set:
        url, source = settings.nfvo_url, "nfvo_url"
    elif published is not None:
        url, source = published, f"published by nfvo serve in {settings.data_dir / SERVER_FILE}"
    else:
        url, source = settings.nfvo_url, "the default nfvo_url"
    url = url.rstrip("/")
    access = Access.from_settings(settings)
    credentials = "api_token" if settings.api_token else "admin_password"
    if access.anonymous and published is not None and url == published.rstrip("/"):
        password_file = settings.data_dir / ADMIN_PASSWORD_FILE
        password = _read_secret(password_file)
        if password:
            access, credentials = Access(client=(ADMIN_CLIENT, password)), str(password_file)
    if access.anonymous:
        credentials = "none: neither api_token nor admin_password is set"
    return Server(url, access, source, credentials)


def redis_url_of(settings: Settings, command: str) -> tuple[str, str]:
    """The Redis an offline command uses, and where that came from."""
    if settings.redis_url is not None:
        return settings.redis_url, "redis_url"
    published = published_url(settings.data_dir)
    if published is None:
        raise CliError(
            f"{command} needs the orchestrator's Redis, and no `nfvo serve` publishes one in "
            f"{settings.data_dir} ({URL_FILE} is absent)",
            "start `nfvo serve` (it keeps its Redis there), or set redis_url (NFVO_REDIS_URL)",
        )
    return published, f"published by nfvo serve in {settings.data_dir / URL_FILE}"


def publish_server(data_dir: Path, url: str) -> Path:
    """Say where this ``nfvo serve`` listens, for the CLI of the same user."""
    path = data_dir / SERVER_FILE
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{SERVER_FILE}.{os.getpid()}")
    temporary.write_text(json.dumps({"url": url, "pid": os.getpid()}) + "\n", encoding="utf-8")
    temporary.replace(path)
    return path


def withdraw_server(data_dir: Path) -> None:
    """Forget what :func:`publish_server` said, if this process said it."""
    path = data_dir / SERVER_FILE
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("pid") == os.getpid():
            path.unlink()
    except (OSError, ValueError):
        pass


def local_url(host: str, port: int) -> str:
    """The URL a client on this machine uses for a server listening on ``host``."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _published_server(data_dir: Path) -> str | None:
    try:
        document = json.loads((data_dir / SERVER_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = document.get("url") if isinstance(document, dict) else None
    return url if isinstance(url, str) and url else None


def _read_secret(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None
