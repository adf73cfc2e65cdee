"""Where a finding is, in the operator's own files: the file, the YAML path and the line.

tosca-parser's messages name a template, a value, a property or a data type, never a
place. :func:`locate_message` searches the package's templates for what a message
quotes; type files (ours, or ETSI's copies a package ships) are never the answer, since
the operator did not write them. A data type's message (``Data value of type
"tosca.datatypes.nfv.VirtualMemory" is missing required field ...``) is placed at the
property of that type in the template; a value's message at the value, whose key also
replaces tosca-parser's ``property "None"``.

Consistency findings (a level outside a VDU profile, a missing scaling delta) are made
from the model, not the text; they carry an :class:`Anchor` that :func:`locate_anchor`
finds in the flavour's file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from descriptors.yaml_paths import child, compose, line_at, named

_QUOTED = re.compile(r'"([^"]+)"')
_VALUE_OF_PROPERTY = re.compile(r'value "(?P<value>[^"]*)" of property "(?P<prop>[^"]+)"')
_DATA_VALUE = re.compile(
    r'Data value of type "(?P<type>[^"]+)" (?:is missing required field "(?P<missing>[^"]+)"'
    r'|contains unknown field "(?P<unknown>[^"]+)")'
)
_TEMPLATE_FIELD = re.compile(
    r'"(?P<section>\w+)" of template "(?P<node>[^"]+)" (?:is missing required field '
    r'"(?P<missing>[^"]+)"|contains unknown field "(?P<unknown>[^"]+)")'
)
_NONE_PROPERTY = ' of property "None"'
TEMPLATE_SECTIONS = ("node_templates", "policies", "groups", "inputs")
ETSI_TYPE_FILE = re.compile(r"^etsi_nfv_sol001_\w+_types\.ya?ml$")


@dataclass(frozen=True)
class Location:
    file: str
    path: str
    line: int


def is_operator_file(path: Path) -> bool:
    """A file the package's author wrote: not a copy of ETSI's type definitions."""
    return ETSI_TYPE_FILE.match(path.name) is None


def property_index(definitions: Mapping[str, Any]) -> dict[str, set[str]]:
    """Data type -> the property names that hold a value of it, from type definitions
    (tosca-parser's ``custom_defs``): a list's entries count as the list's type."""
    index: dict[str, set[str]] = {}
    for definition in definitions.values():
        properties = definition.get("properties") if isinstance(definition, dict) else None
        for name, schema in (properties or {}).items():
            if not isinstance(schema, dict):
                continue
            entry = schema.get("entry_schema")
            entry_type = entry.get("type") if isinstance(entry, dict) else entry
            for type_name in (schema.get("type"), entry_type):
                if isinstance(type_name, str):
                    index.setdefault(type_name, set()).add(str(name))
    return index


def locate_message(
    message: str, files: Iterable[Path], index: Mapping[str, set[str]]
) -> tuple[tuple[Path, str, int] | None, str]:
    """Where ``message`` points among ``files`` (path, YAML path, line), and the message
    with ``property "None"`` named."""
    candidates = [file for file in files if is_operator_file(file)]
    roots = {file: compose(file) for file in candidates}
    names = _QUOTED.findall(message)
    template_fields = _TEMPLATE_FIELD.search(message)
    if template_fields is not None:  # flavours may name nodes alike: the one the fields fit
        for file, root in roots.items():
            found = _template_fields(root, template_fields)
            if found is not None:
                return (file, *found), message
    for name in names:
        for file, root in roots.items():
            found = _template_entry(root, name, names)
            if found is not None:
                return (file, *found), message
    data = _DATA_VALUE.search(message)
    if data is not None:
        fields = re.findall(r"'([^']+)'", data["missing"] or "") or [data["unknown"] or ""]
        for file, root in roots.items():
            found = _data_value(root, index.get(data["type"], set()), fields, bool(data["missing"]))
            if found is not None:
                return (file, *found), message
    value = _VALUE_OF_PROPERTY.search(message)
    pairs: list[tuple[str | None, str]] = []
    if value is not None:
        pairs.append((None if value["prop"] == "None" else value["prop"], value["value"]))
    pairs += [(None, name) for name in names]  # "many" is not an integer: find the value
    for key, text in pairs:
        for file, root in roots.items():
            hit = _key_value(root, key, text, "")
            if hit is not None:
                path, line, holder = hit
                named_message = message.replace(_NONE_PROPERTY, f' of property "{holder}"')
                return (file, path, line), named_message
    return None, message


def fallback(file: Path) -> tuple[str, int]:
    """Where a finding nothing more precise was found for sits: the template's topology."""
    root = compose(file)
    line = line_at(root, ["topology_template"])
    return ("topology_template", line) if line is not None else ("", 1)


def _template_entry(root: Any, name: str, names: list[str]) -> tuple[str, int] | None:
    topology = child(root, "topology_template")
    for section in TEMPLATE_SECTIONS:
        entry = named(child(topology, section), name)
        if entry is None:
            continue
        key, value = entry
        where = f"topology_template.{section}.{name}"
        for other in names:  # go one step further when a property is named too
            prop = child(child(value, "properties"), other)
            if prop is not None and other != name:
                return f"{where}.properties.{other}", prop.start_mark.line + 1
        return where, key.start_mark.line + 1
    return None


def _template_fields(root: Any, fields: re.Match[str]) -> tuple[str, int] | None:
    """The node template the message names, in the file where it lacks the missing
    fields (or has the unknown one): the only file the message can be about."""
    node = fields["node"]
    entry = named(child(child(root, "topology_template"), "node_templates"), node)
    if entry is None:
        return None
    key, body = entry
    section = child(body, fields["section"])
    present = (
        {k.value for k, _ in section.value} if isinstance(section, yaml.MappingNode) else set()
    )
    where = f"topology_template.node_templates.{node}"
    if fields["missing"]:
        missing = re.findall(r"'([^']+)'", fields["missing"]) or [fields["missing"]]
        return (where, key.start_mark.line + 1) if not present & set(missing) else None
    unknown = fields["unknown"]
    if unknown not in present:
        return None
    return f"{where}.{fields['section']}.{unknown}", line_at(section, [unknown]) or 1


def _data_value(
    root: Any, holders: set[str], fields: list[str], missing: bool
) -> tuple[str, int] | None:
    """The first mapping under a key in ``holders`` lacking (or having) every field."""
    for path, line, node in _mappings_under(
        child(root, "topology_template"), holders, "topology_template"
    ):
        keys = {k.value for k, _ in node.value}
        if all((field not in keys) if missing else (field in keys) for field in fields):
            if not missing:
                field_line = line_at(node, [fields[0]])
                return f"{path}.{fields[0]}", field_line or line
            return path, line
    return None


def _mappings_under(node: Any, holders: set[str], prefix: str) -> Iterable[tuple[str, int, Any]]:
    """Every mapping held by a key in ``holders`` (or listed under one), depth first."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = f"{prefix}.{key.value}"
            if key.value in holders:
                if isinstance(value, yaml.MappingNode):
                    yield here, key.start_mark.line + 1, value
                elif isinstance(value, yaml.SequenceNode):
                    for number, item in enumerate(value.value):
                        if isinstance(item, yaml.MappingNode):
                            yield f"{here}[{number}]", item.start_mark.line + 1, item
            yield from _mappings_under(value, holders, here)
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            yield from _mappings_under(item, holders, f"{prefix}[{number}]")


def _key_value(node: Any, key: str | None, value: str, prefix: str) -> tuple[str, int, str] | None:
    """The first ``key: value`` pair, or ``value`` listed under ``key`` (any key when
    None), under ``node``: its path, its line and the key that holds it."""
    if isinstance(node, yaml.MappingNode):
        for key_node, item in node.value:
            here = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            matches = key is None or key_node.value == key
            if matches and isinstance(item, yaml.ScalarNode) and item.value == value:
                return here, key_node.start_mark.line + 1, str(key_node.value)
            if matches and isinstance(item, yaml.SequenceNode):
                for number, entry in enumerate(item.value):
                    if isinstance(entry, yaml.ScalarNode) and entry.value == value:
                        return f"{here}[{number}]", entry.start_mark.line + 1, str(key_node.value)
            found = _key_value(item, key, value, here)
            if found is not None:
                return found
    elif isinstance(node, yaml.SequenceNode):
        for number, item in enumerate(node.value):
            found = _key_value(item, key, value, f"{prefix}[{number}]")
            if found is not None:
                return found
    return None


@dataclass(frozen=True)
class Anchor:
    """A place in a template named by what is there: a node template, or a policy of a
    type (that targets ``target``, when given); then ``keys`` further down."""

    node: str | None = None
    policy_type: str | None = None
    target: str | None = None
    keys: tuple[str, ...] = ()


def locate_anchor(file: Path, anchor: Anchor) -> tuple[str, int] | None:
    """The YAML path and line of ``anchor`` in ``file`` (as far down as it is found)."""
    root = compose(file)
    topology = child(root, "topology_template")
    if anchor.node is not None:
        entry = named(child(topology, "node_templates"), anchor.node)
        base = ("topology_template", "node_templates", anchor.node)
    else:
        entry, name = _policy(child(topology, "policies"), anchor)
        base = ("topology_template", "policies", name or "")
    if entry is None:
        return None
    keys: list[str] = list(base)
    line, node = entry[0].start_mark.line + 1, entry[1]
    for key in anchor.keys:
        value = child(node, key)
        if value is None:
            break
        keys.append(key)
        found_line = line_at(node, [key])
        line, node = found_line or line, value
    return ".".join(keys), line


def _policy(policies: Any, anchor: Anchor) -> tuple[tuple[Any, Any] | None, str | None]:
    """The first policy of the anchor's type (and target): (key node, body), its name."""
    entries: list[tuple[Any, Any]] = []
    if isinstance(policies, yaml.MappingNode):
        entries = list(policies.value)
    elif isinstance(policies, yaml.SequenceNode):
        entries = [
            pair
            for item in policies.value
            if isinstance(item, yaml.MappingNode)
            for pair in item.value
        ]
    for key, body in entries:
        kind = child(body, "type")
        if not isinstance(kind, yaml.ScalarNode) or not kind.value.endswith(
            anchor.policy_type or ""
        ):
            continue
        targets = child(body, "targets")
        named_targets = (
            [t.value for t in targets.value] if isinstance(targets, yaml.SequenceNode) else []
        )
        if anchor.target is None or anchor.target in named_targets or not named_targets:
            return (key, body), str(key.value)
    return None, None
