"""Finding where something is written in a YAML file: the path an operator reads
(``topology_template.node_templates.amf.properties``) and the 1-based line.

Works on composed node trees (``yaml.compose``), which keep every key's position;
a file that cannot be composed gives ``None`` and every search finds nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose(file: Path) -> Any:
    try:
        return yaml.compose(file.read_bytes(), Loader=_YAML_LOADER)
    except (OSError, yaml.YAMLError):
        return None


def child(node: Any, key: str) -> Any:
    """The value under ``key`` of a mapping node, or None."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == key:
                return value
    return None


def named(node: Any, name: str) -> tuple[Any, Any] | None:
    """A (key, value) pair of a mapping, or of a list of one-key mappings (policies)."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value in node.value:
            if key_node.value == name:
                return key_node, value
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            found = named(item, name)
            if found is not None:
                return found
    return None


def line_at(root: Any, keys: Sequence[str]) -> int | None:
    """The line of the deepest of ``keys`` found walking down from ``root``."""
    node, line = root, None
    for key in keys:
        found = named(node, key) if isinstance(node, yaml.SequenceNode) else None
        if found is None and isinstance(node, yaml.MappingNode):
            found = next(((k, v) for k, v in node.value if k.value == key), None)
        if found is None:
            break
        line, node = found[0].start_mark.line + 1, found[1]
    return line


def find_key_value(
    node: Any, key: str | None, value: str, prefix: str = ""
) -> tuple[str, int] | None:
    """The first ``key: value`` pair (any key when None) under ``node``: path and line."""
    if isinstance(node, yaml.MappingNode):
        for key_node, item in node.value:
            here = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            matches = key is None or key_node.value == key
            if matches and isinstance(item, yaml.ScalarNode) and item.value == value:
                return here, key_node.start_mark.line + 1
            found = find_key_value(item, key, value, here)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found = find_key_value(item, key, value, f"{prefix}[{index}]")
            if found is not None:
                return found
    return None
