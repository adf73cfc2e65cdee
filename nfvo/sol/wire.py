"""The one base model for everything on the wire (SOL005, SOL003, SOL013 bodies).

ETSI names are camelCase; our attributes are snake_case with the ETSI name as alias,
so code reads as Python and JSON reads as the standard. Serialisation goes through
orjson, by alias, leaving out absent optional attributes as the standards expect.
"""

from __future__ import annotations

from typing import Any, Self

import orjson
from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """Base of every request, response and notification body."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="ignore",  # SOL013: receivers ignore attributes they do not know
    )

    def to_wire(self) -> dict[str, Any]:
        """The body as JSON-compatible data, ETSI names, absent attributes omitted."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_wire())

    @classmethod
    def from_json(cls, raw: bytes | str) -> Self:
        return cls.model_validate(orjson.loads(raw))


class Link(WireModel):
    """SOL013 ``Link``."""

    href: str


def dumps(value: Any) -> bytes:
    """JSON for anything a handler returns: wire models by alias, the rest as is."""
    if isinstance(value, WireModel):
        return value.to_json()
    return orjson.dumps(value, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, WireModel):
        return value.to_wire()
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
