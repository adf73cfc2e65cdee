"""Secrets encrypted at rest: Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``.

What is sealed: VIM passwords and application-credential secrets, and the credentials
subscribers give for their callbacks (BASIC passwords, OAuth 2.0 client secrets).

The key is the configured ``secret_key`` if there is one, else a key file in the data
directory created on first use with mode 0600. The file is written under a temporary
name and linked into place, so two processes starting at once agree on one key (the
loser of the race reads the winner's). Losing the key loses the stored secrets: the
VIMs must then be added again, and subscriptions with credentials made again.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from nfvo.config import Settings
from nfvo.store.resources import ResourceKey

KEY_FILE_NAME = "secrets.key"
MASK = "******"


class SecretBox:
    """Encrypts and decrypts secrets stored in Redis."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)
        self._key = key

    def derive(self, purpose: str) -> bytes:
        """A 32-byte secret for ``purpose`` (e.g. signing page markers), the same in every
        process that shares the key, and revealing nothing of the key itself."""
        return hmac.new(self._key, f"nfvo:{purpose}".encode(), hashlib.sha256).digest()

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox:
        if settings.secret_key is not None:
            return cls(settings.secret_key.get_secret_value().encode())
        return cls(key_file(settings.data_dir / KEY_FILE_NAME))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "a stored secret cannot be decrypted with this key (another key file "
                "or secret_key?)"
            ) from exc


def key_file(path: Path, make: Callable[[], bytes] = Fernet.generate_key) -> bytes:
    """The key in ``path``, created (0600) by ``make`` if absent."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")
    try:
        os.fchmod(descriptor, 0o600)  # before a byte of the key is written
        os.write(descriptor, make())
        os.fsync(descriptor)
        os.close(descriptor)
        with contextlib.suppress(FileExistsError):  # another process won: use its key
            os.link(temporary, path)  # atomic, and never replaces a key
    finally:
        os.unlink(temporary)
    return path.read_bytes().strip()


SECRETS: ResourceKey[SecretBox] = ResourceKey("secret box", SecretBox)
