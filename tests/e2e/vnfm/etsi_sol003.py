"""ETSI's SOL003 OpenAPI documents (VNF LCM and its notifications) as validators; the
YAML reading and ``$ref`` inlining are the catalogue's SOL005 helpers'."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from tests.integration.catalog.etsi import _file, _pointer

SOL003 = Path("etsi/openapi/3.7.1/nfv-sol002-sol003/SOL003")
LCM = "VNFLifecycleManagement/VNFLifecycleManagement.yaml"
NOTIFICATIONS = (
    "VNFLifecycleManagementNotification/definitions/"
    "SOL003VNFLifecycleManagementNotification_def.yaml"
)


def resolve(node: Any, base: Path, depth: int = 0) -> Any:
    """``node`` with every ``$ref`` inlined. Unlike the SOL005 helper, a reference into a
    document the shared folder lacks (SOL002's general definitions) accepts anything."""
    if depth > 40:
        return {}
    if isinstance(node, list):
        return [resolve(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, _, fragment = str(node["$ref"]).partition("#")
        path = (base.parent / target).resolve() if target else base
        if not path.is_file():
            return {}
        return resolve(_pointer(_file(path), fragment), path, depth + 1)
    return {key: resolve(value, base, depth) for key, value in node.items()}


def _at_most_one(node: Any) -> Any:
    """ETSI writes "not more than one of a and b shall be present" (VnfLcmOpOcc, NOTE 2)
    as ``oneOf: [{required: [a]}, {required: [b]}]``, which demands exactly one; the
    text is what we follow, so such a ``oneOf`` is dropped."""
    if isinstance(node, list):
        return [_at_most_one(item) for item in node]
    if not isinstance(node, dict):
        return node
    kept = {key: _at_most_one(value) for key, value in node.items()}
    choices = kept.get("oneOf")
    if isinstance(choices, list) and all(set(c) == {"required"} for c in choices):
        kept.pop("oneOf")
    return kept


def validate(shared: Path, path: str, method: str, status: int, body: Any) -> None:
    """``body`` against what ETSI declares for ``method path`` answering ``status``."""
    document = shared / SOL003 / LCM
    operation = _file(document)["paths"][path][method.lower()]
    response = resolve(operation["responses"][str(status)], document)
    content = response.get("content") or {}
    schema = next((content[m]["schema"] for m in content if "json" in m), None)
    assert schema is not None, f"ETSI declares no JSON body for {status} {method} {path}"
    validator = jsonschema.Draft4Validator(_at_most_one(schema))
    if isinstance(body, list) and schema.get("type") != "array":
        # Some list responses are declared with the item's schema: check every item.
        for item in body:
            validator.validate(item)
    else:
        validator.validate(body)


def validate_notification(shared: Path, name: str, body: Any) -> None:
    document = shared / SOL003 / NOTIFICATIONS
    schema = resolve(_file(document)["definitions"][name], document)
    jsonschema.Draft4Validator(_at_most_one(schema)).validate(body)
