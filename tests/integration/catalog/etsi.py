"""ETSI's SOL005 OpenAPI documents as response validators.

YAML is read with every mapping key as a string (PyYAML reads ``400:`` as an int);
``$ref``s are resolved across files by inlining. Known defects of ETSI's documents
(README of the shared folder) are worked around where a test meets them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

OPENAPI = Path(__file__).resolve().parents[3].parent / "shared/etsi/openapi/3.7.1"
ROOT = OPENAPI / "nfv-sol005/SOL005"
SOL003 = OPENAPI / "nfv-sol002-sol003/SOL003"
DOCUMENTS = {
    "grant": SOL003 / "VNFLifecycleOperationGranting/VNFLifecycleOperationGranting.yaml",
    "nslcm": ROOT / "NSLifecycleManagement/NSLifecycleManagement.yaml",
    "nslcm-notification": ROOT
    / "NSLifecycleManagementNotification/NSLifecycleManagementNotification.yaml",
    "vnfpkgm": ROOT / "VNFPackageManagement/VNFPackageManagement.yaml",
    "nsd": ROOT / "NSDManagement/NSDManagement.yaml",
    "vnfpkgm-notification": ROOT
    / "VNFPackageManagementNotification/VNFPackageManagementNotification.yaml",
    "nsd-notification": ROOT / "NSDManagementNotification/NSDManagementNotification.yaml",
}


class _StringKeys(yaml.SafeLoader):
    pass


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    return {
        str(loader.construct_object(k)): loader.construct_object(v, deep=True)
        for k, v in node.value
    }


_StringKeys.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


@cache
def _file(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.load(path.read_text(encoding="utf-8"), Loader=_StringKeys)
    return loaded


def _pointer(document: Any, fragment: str) -> Any:
    for part in fragment.strip("/").split("/") if fragment.strip("/") else []:
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def resolve(node: Any, base: Path, depth: int = 0) -> Any:
    """``node`` with every ``$ref`` inlined (files relative to ``base``)."""
    if depth > 40:
        return {}  # a recursive schema: accept anything below this depth
    if isinstance(node, list):
        return [resolve(item, base, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target, _, fragment = str(node["$ref"]).partition("#")
        path = (base.parent / target).resolve() if target else base
        if not path.exists():
            # SOL003's documents reference SOL002's, which the shared folder lacks.
            return {}
        return resolve(_pointer(_file(path), fragment), path, depth + 1)
    return {key: resolve(value, base, depth) for key, value in node.items()}


def available() -> bool:
    return ROOT.is_dir()


def operation(api: str, path: str, method: str) -> dict[str, Any]:
    document_path = DOCUMENTS[api]
    paths = _file(document_path)["paths"]
    found: dict[str, Any] = resolve(paths[path][method.lower()], document_path)
    return found


def response_schema(api: str, path: str, method: str, status: int) -> dict[str, Any] | None:
    responses = operation(api, path, method)["responses"]
    if str(status) not in responses and status >= 400:
        # ETSI's documents omit some errors the text of SOL005 names (412 on a PATCH
        # with If-Match, 413, 415, 422 on several operations): check ProblemDetails.
        return problem_details()
    assert str(status) in responses, f"ETSI declares no {status} for {method} {path}"
    content = responses[str(status)].get("content") or {}
    for media in ("application/json", "application/problem+json"):
        if media in content:
            schema: dict[str, Any] = content[media]["schema"]
            return schema
    return None


def validate(api: str, path: str, method: str, status: int, body: Any) -> None:
    schema = response_schema(api, path, method, status)
    if schema is not None and body is not None:
        jsonschema.Draft4Validator(schema).validate(body)


def definition(api: str, name: str) -> dict[str, Any]:
    base = DOCUMENTS[api].parent / "definitions"
    path = next(base.glob("*.yaml"))
    found: dict[str, Any] = resolve(_file(path)["definitions"][name], path)
    return found


def validate_definition(api: str, name: str, body: Any) -> None:
    """``body`` against the definition ``name`` of ``api`` (e.g. a notification's)."""
    jsonschema.Draft4Validator(definition(api, name)).validate(body)


def problem_details() -> dict[str, Any]:
    path = ROOT / "definitions/SOL005_def.yaml"
    found: dict[str, Any] = resolve(_file(path)["definitions"]["ProblemDetails"], path)
    return found
