"""The stored descriptor: what onboarding keeps of a package so that lifecycle code never
runs tosca-parser again.

One versioned JSON document per onboarded VNF package or NSD (docs/descriptors.md)::

    {"schema_version": 2, "kind": "vnfd", "vnfd": {...}, "requirements": {flavour: {vdu: {...}}}}
    {"schema_version": 2, "kind": "nsd", "nsd": {...}}

:func:`stored_document` writes the current version from a parsed package;
:func:`load_stored` reads any version this code knows, migrating an older document one
version at a time on read (nothing is rewritten in place), and refuses a newer one or
anything malformed with :class:`StoredDescriptorError`. Pure: JSON in, typed model out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from descriptors.model import Nsd, Vnfd
from descriptors.requirements import VduRequirement

if TYPE_CHECKING:  # only read here; the loader's parsing is not needed to read a document
    from descriptors.loader import LoadedPackage

SCHEMA_VERSION = 2
"""1: ``{"kind": "vnfpkg"|"nsd", "model": {..., "schema_version": 1}, "requirements"}``
(no version of its own); 2: the kind names the descriptor and keys its model, one
version for the whole document."""

Document = dict[str, Any]


class StoredDescriptorError(ValueError):
    """A stored document this code cannot read; the message says which part and why."""


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def document(self) -> Document:
        """The JSON document of the current version."""
        return {"schema_version": SCHEMA_VERSION, **self.model_dump(mode="json")}


class StoredVnfd(_Stored):
    """An onboarded VNF package: its VNFD and what placement needs of every VDU."""

    kind: Literal["vnfd"] = "vnfd"
    vnfd: Vnfd
    requirements: dict[str, dict[str, VduRequirement]] = Field(
        default_factory=dict, description="flavour id -> VDU id -> what placement needs."
    )


class StoredNsd(_Stored):
    """An onboarded NSD; its VNFs are stored apart, each under its own VNF package."""

    kind: Literal["nsd"] = "nsd"
    nsd: Nsd

    @property
    def vnfd_ids(self) -> list[str]:
        """Every VNFD a VNF profile of any flavour names, sorted."""
        return sorted({p.vnfd_id for f in self.nsd.flavours for p in f.vnf_profiles})


StoredDescriptor = StoredVnfd | StoredNsd
_KINDS: dict[str, type[StoredVnfd] | type[StoredNsd]] = {"vnfd": StoredVnfd, "nsd": StoredNsd}


def stored_document(loaded: LoadedPackage) -> Document:
    """What onboarding stores of a package that loaded (a VNF package or an NSD)."""
    if loaded.vnfd is not None:
        return StoredVnfd(vnfd=loaded.vnfd, requirements=loaded.requirements).document()
    if loaded.nsd is not None:
        return StoredNsd(nsd=loaded.nsd).document()
    raise ValueError("a package without a VNFD or an NSD has no descriptor to store")


def load_stored(document: Mapping[str, Any]) -> StoredDescriptor:
    """The typed descriptor of a stored ``document`` of any known version.

    A document without ``schema_version`` is version 1. Raises StoredDescriptorError."""
    if not isinstance(document, Mapping):
        raise StoredDescriptorError(
            f"a stored descriptor must be a JSON object, not {type(document).__name__}"
        )
    version = document.get("schema_version", 1)
    if type(version) is not int or version < 1:
        raise StoredDescriptorError(
            f"a stored descriptor's schema_version must be a positive integer, not {version!r}"
        )
    if version > SCHEMA_VERSION:
        raise StoredDescriptorError(
            f"the stored descriptor has schema_version {version}, written by a newer "
            f"orchestrator; this one reads versions 1 to {SCHEMA_VERSION}"
        )
    current = {key: value for key, value in document.items() if key != "schema_version"}
    for migrate in _MIGRATIONS[version - 1 :]:
        current = migrate(current)
    kind = _KINDS.get(str(current.get("kind")))
    if kind is None:
        raise StoredDescriptorError(
            f"the stored descriptor has kind {current.get('kind')!r}, not one of "
            f"{', '.join(_KINDS)}"
        )
    try:
        return kind.model_validate(current)
    except ValidationError as exc:
        raise StoredDescriptorError(
            f"the stored descriptor (schema_version {version}) is not valid: {_summary(exc)}"
        ) from exc


def _from_v1(document: Document) -> Document:
    """Version 1, as onboarding stored it first: the record's kind and a ``model`` that
    carried its own ``schema_version`` (always 1); an NSD's ``requirements`` was empty."""
    kinds = {"vnfpkg": "vnfd", "nsd": "nsd"}
    unknown = sorted(set(document) - {"kind", "model", "requirements"})
    if unknown:
        raise StoredDescriptorError(
            f"a version 1 stored descriptor has unknown fields: {', '.join(unknown)}"
        )
    kind = kinds.get(str(document.get("kind")))
    if kind is None:
        raise StoredDescriptorError(
            f"a version 1 stored descriptor has kind {document.get('kind')!r}, "
            f"not one of {', '.join(kinds)}"
        )
    model = document.get("model")
    if not isinstance(model, Mapping):
        raise StoredDescriptorError("a version 1 stored descriptor has no 'model' object")
    model_version = model.get("schema_version", 1)
    if model_version != 1:
        raise StoredDescriptorError(
            f"a version 1 stored descriptor's model has schema_version {model_version!r}, not 1"
        )
    migrated: Document = {
        "kind": kind,
        kind: {key: value for key, value in model.items() if key != "schema_version"},
    }
    if kind == "vnfd":
        migrated["requirements"] = document.get("requirements", {})
    return migrated


# _MIGRATIONS[n - 1] turns a version n document (without its version) into version n + 1.
_MIGRATIONS: list[Callable[[Document], Document]] = [_from_v1]


def _summary(exc: ValidationError, shown: int = 3) -> str:
    errors = exc.errors()
    parts = [f"{'.'.join(map(str, e['loc'])) or '(document)'}: {e['msg']}" for e in errors[:shown]]
    more = f" (and {len(errors) - shown} more)" if len(errors) > shown else ""
    return "; ".join(parts) + more
