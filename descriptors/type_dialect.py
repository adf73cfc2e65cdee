"""Type definitions as TOSCA means them, before tosca-parser reads them.

Two things ETSI's own SOL001 files say (and vendors ship) that tosca-parser reads
otherwise than TOSCA 1.3 does, mended on the parsed document instead of in a fork:

- ``status: deprecated`` on a property definition (TOSCA 1.3 clause 3.6.10 allows
  ``supported``, ``unsupported``, ``experimental`` and ``deprecated``; tosca-parser
  knows only the first and third and refuses the file). A deprecated property is still
  a property, so it is read as ``supported``.
- a property that is required but has a default (``numa_enabled``, ``rdma_enabled``:
  ``required: true, default: false``). TOSCA fills the default when the author leaves
  the property out; tosca-parser does so for node properties but, for data types,
  only when the default is truthy, and then reports ``false`` defaults as missing. A
  property with a default is therefore marked not required: the author need not write
  it, and a reader that finds it absent uses the default.
"""

from __future__ import annotations

from typing import Any

TYPE_SECTIONS = (
    "artifact_types",
    "data_types",
    "capability_types",
    "interface_types",
    "relationship_types",
    "node_types",
    "group_types",
    "policy_types",
)
STATUS_READ_AS = {"deprecated": "supported"}


def tolerate(document: Any) -> Any:
    """``document`` (a freshly parsed YAML file) with its type definitions mended."""
    if not isinstance(document, dict):
        return document
    for section in TYPE_SECTIONS:
        types = document.get(section)
        if not isinstance(types, dict):
            continue
        for definition in types.values():
            if isinstance(definition, dict):
                _mend(definition.get("properties"))
    return document


def _mend(properties: Any) -> None:
    if not isinstance(properties, dict):
        return
    for definition in properties.values():
        if not isinstance(definition, dict):
            continue
        status = definition.get("status")
        if isinstance(status, str) and status in STATUS_READ_AS:
            definition["status"] = STATUS_READ_AS[status]
        if definition.get("default") is not None and definition.get("required", True) is True:
            definition["required"] = False
