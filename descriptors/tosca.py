"""Running tosca-parser quietly, offline, and turning what it says into Problems.

tosca-parser prints, logs, downloads URL imports, collects its errors in a
process-global list and raises one exception with a report. Here it runs under a lock
(that global list), with its import loading redirected to
:class:`descriptors.imports.ImportSession` (nothing is fetched, type files come from
the cache), with stdout, stderr and its loggers silenced, and every error it collected
becomes a :class:`Problem` located by file, template path and line where the message
names a template we can find.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import toscaparser.imports
import toscaparser.tosca_template
import yaml
from toscaparser.common.exception import ExceptionCollector
from toscaparser.elements.scalarunit import ScalarUnit_Size
from toscaparser.functions import Function
from toscaparser.properties import Property
from toscaparser.tosca_template import ToscaTemplate

from descriptors.images import SW_IMAGE
from descriptors.imports import ImportSession, load_yaml
from descriptors.locations import fallback, locate_message, property_index
from descriptors.problems import Problem, Severity
from descriptors.yaml_paths import compose, line_at

_LOCK = threading.Lock()
_ACTIVE: ImportSession | None = None
_ORIGINAL_IMPORT = toscaparser.imports.ImportsLoader._load_import_template
_ORIGINAL_LOADERS = (toscaparser.imports.YAML_LOADER, toscaparser.tosca_template.YAML_LOADER)
_QUIET_LOGGERS = ("tosca", "toscaparser")
_QUOTED = re.compile(r'"([^"]+)"')
_VALUE_OF_PROPERTY = re.compile(r'value "(?P<value>[^"]*)" of property "(?P<prop>[^"]+)"')
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: tosca-parser >= 2.13 wants every requirement fulfilled in the template itself, but
#: SOL001 leaves the top-level VNF node's requirements to the flavour's substitution
#: mappings, and a flavour's exposed external CPs to the NSD.
_OCCURRENCES = re.compile(
    r'Relationship "(?P<req>[^"]+)" in template "(?P<node>[^"]+)" has a wrong'
)


def _load(path: str, a_file: bool = True) -> Any:
    """tosca-parser's YAML loader, replaced: local files from the cache, never a URL."""
    session = _ACTIVE
    if not a_file:
        if session is not None:
            session.resolve(None, path)  # records the unmapped-URL problem
        return None
    if session is None:
        return load_yaml(path)
    try:
        return session.load(path)
    except (OSError, yaml.YAMLError) as exc:
        session.add(Problem(message=f"cannot be read as YAML: {exc}", file=session.relative(path)))
        return None


def _load_import(self: Any, import_name: Any, import_uri_def: Any) -> tuple[Any, Any]:
    """ImportsLoader._load_import_template, replaced: resolution by the session."""
    session = _ACTIVE
    uses_repository = isinstance(import_uri_def, dict) and import_uri_def.get("repository")
    target = import_uri_def.get("file") if isinstance(import_uri_def, dict) else import_uri_def
    if session is None or uses_repository or not isinstance(target, str) or not self.path:
        return _ORIGINAL_IMPORT(self, import_name, import_uri_def)  # type: ignore[no-any-return]
    local = session.resolve(self.path, target)
    if local is None:
        return None, None
    return str(local), _load(str(local))


@contextlib.contextmanager
def _patched(session: ImportSession) -> Iterator[io.StringIO]:
    """tosca-parser with our loaders and its noise captured, one parse at a time."""
    global _ACTIVE
    noise = io.StringIO()
    loggers = [logging.getLogger(name) for name in _QUIET_LOGGERS]
    with _LOCK:
        saved = [(logger.disabled, logger.propagate) for logger in loggers]
        _ACTIVE = session
        toscaparser.imports.YAML_LOADER = _load
        toscaparser.tosca_template.YAML_LOADER = _load
        toscaparser.imports.ImportsLoader._load_import_template = _load_import
        for logger in loggers:
            logger.disabled, logger.propagate = True, False
        try:
            with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
                yield noise
        finally:
            toscaparser.imports.ImportsLoader._load_import_template = _ORIGINAL_IMPORT
            toscaparser.imports.YAML_LOADER = _ORIGINAL_LOADERS[0]
            toscaparser.tosca_template.YAML_LOADER = _ORIGINAL_LOADERS[1]
            _ACTIVE = None
            for logger, (disabled, propagate) in zip(loggers, saved, strict=True):
                logger.disabled, logger.propagate = disabled, propagate


def parse_template(
    path: Path, session: ImportSession, params: Mapping[str, Any] | None = None
) -> Any | None:
    """The ToscaTemplate for ``path``, or None; every finding lands in ``session``."""
    found: list[Problem] = []
    template: Any | None = None
    before = len(session.problems)
    with _patched(session):
        try:
            template = _QuietTemplate(str(path), parsed_params=dict(params or {}))
            errors: list[BaseException] = list(ExceptionCollector.getExceptions())
        except Exception as exc:  # any parser failure is a finding, not a crash
            # A crash after findings is their consequence (a "eight" where a number
            # belongs ends in a TypeError further on): the findings say it, not the crash.
            errors = list(ExceptionCollector.getExceptions()) or [exc]
            template = None
        finally:
            ExceptionCollector.clear()
        definitions = template.topology_template.custom_defs if template is not None else {}
        index = property_index(definitions or {}) if errors else {}
        found = [_problem(error, path, session, index) for error in errors]
        if template is not None:
            found += artifact_problems(template, path, session)
    for problem in found:
        session.add(problem)
    if any(p.severity is Severity.ERROR for p in session.problems[before:]):
        return None  # an import that could not be resolved counts too
    if template is None:
        session.add(Problem(message="could not be parsed", file=session.relative(path)))
    return template


def artifact_problems(template: Any, path: Path, session: ImportSession) -> list[Problem]:
    """Artifact properties checked against their type, which tosca-parser skips (SOL001
    4.x describes a VDU's image on its ``SwImage`` artifact)."""
    custom = template.topology_template.custom_defs or {}
    root = compose(path)
    found: list[Problem] = []
    for node in template.nodetemplates or []:
        artifacts = (node.entity_tpl or {}).get("artifacts") or {}
        described = "sw_image_data" in ((node.entity_tpl or {}).get("properties") or {})
        for name, artifact in artifacts.items():
            if not isinstance(artifact, dict):
                continue
            if described and artifact.get("type") == SW_IMAGE and not artifact.get("properties"):
                continue  # SOL001 2.x and 3.3.1: the node's sw_image_data describes the image
            schema = _artifact_schema(session.artifact_types, artifact.get("type"))
            keys = ["topology_template", "node_templates", node.name, "artifacts", name]
            for message, key in _property_findings(
                schema, artifact.get("properties") or {}, custom
            ):
                where = [*keys, "properties", key] if key else keys
                found.append(
                    Problem(
                        message=f'artifact "{name}" of "{node.name}": {message}',
                        file=session.relative(path),
                        path=".".join(where),
                        line=line_at(root, where),
                        code="tosca",
                    )
                )
    return found


def _artifact_schema(custom: Mapping[str, Any], type_name: Any) -> dict[str, Any]:
    """Property definitions of an artifact type, inherited ones first."""
    chain: list[dict[str, Any]] = []
    while isinstance(type_name, str) and type_name in custom and len(chain) < 20:
        chain.append(custom[type_name] or {})
        type_name = custom[type_name].get("derived_from")
    schema: dict[str, Any] = {}
    for definition in reversed(chain):
        schema.update(definition.get("properties") or {})
    return schema


def _property_findings(
    schema: Mapping[str, Any], values: Mapping[str, Any], custom: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    for name, definition in schema.items():
        required = definition.get("required", True) and "default" not in definition
        if required and name not in values:
            yield f'the required property "{name}" is missing', ""
    for name, value in values.items():
        if name not in schema:
            yield f'"{name}" is not a property of this artifact type', str(name)
            continue
        ExceptionCollector.start()
        try:
            Property(name, value, schema[name], custom).validate()
            errors: list[BaseException] = list(ExceptionCollector.getExceptions())
        except Exception as exc:  # a wrong type can make the validator itself fail
            errors = [exc]
        finally:
            ExceptionCollector.stop()
            ExceptionCollector.clear()
        for error in errors:
            yield str(getattr(error, "message", "") or error), str(name)


class _QuietTemplate(ToscaTemplate):  # type: ignore[misc]
    """A ToscaTemplate that leaves its collected errors to us instead of raising them."""

    def verify_template(self) -> None:
        return None


def _problem(
    error: BaseException, path: Path, session: ImportSession, index: Mapping[str, set[str]]
) -> Problem:
    message = str(getattr(error, "message", "") or error).strip() or type(error).__name__
    files = [path, *(p for p in session.loaded.values() if p != path)]
    found, message = locate_message(message, files, index)
    if found is None:  # still in the operator's file: the template being read
        where, line = fallback(path)
        found = (path, where, line)
    severity = Severity.ERROR
    code = "tosca"
    occurrences = _OCCURRENCES.search(message)
    if occurrences and _left_to_substitution(path, occurrences["node"], occurrences["req"]):
        severity, code = Severity.WARNING, "left-to-substitution"
        message = (
            f'requirement "{occurrences["req"]}" of "{occurrences["node"]}" is not fulfilled '
            "in this template; it is left to substitution (the deployment flavour, or the "
            "NS virtual link the VNF is connected to)"
        )
    if isinstance(error, AttributeError | KeyError | TypeError):
        message = f"the TOSCA parser could not read this template ({message})"
    file, where, line = found
    return Problem(
        message=message,
        file=session.relative(file),
        path=where or None,
        line=line,
        severity=severity,
        code=code,
    )


def _left_to_substitution(path: Path, node_name: str, requirement: str) -> bool:
    """Whether the requirement is the VNF node's, or one the substitution mappings expose."""
    topology = (load_yaml(path) or {}).get("topology_template") or {}
    node = (topology.get("node_templates") or {}).get(node_name) or {}
    if isinstance(node, dict) and "VNF" in str(node.get("type", "")):
        return True
    exposed = (topology.get("substitution_mappings") or {}).get("requirements") or {}
    return any(
        isinstance(target, list) and target[:2] == [node_name, requirement]
        for target in exposed.values()
    )


# Reading tosca-parser's objects: property values with functions resolved, requirements
# as (name, target) pairs, policies by type with group targets expanded.


def plain(value: Any) -> Any:
    """A property value with TOSCA functions (get_input, ...) replaced by their result."""
    if isinstance(value, Function):
        return plain(value.result())
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def properties(entity: Any) -> dict[str, Any]:
    """An entity's properties (type defaults included), functions resolved."""
    return {name: plain(prop.value) for name, prop in entity.get_properties().items()}


def layer_protocols(props: dict[str, Any]) -> list[str]:
    """A virtual link's ``connectivity_type.layer_protocols`` (VNF and NS links alike)."""
    return [str(p) for p in (props.get("connectivity_type") or {}).get("layer_protocols", [])]


def requirements(node: Any) -> list[tuple[str, str]]:
    """A node template's requirements as (requirement name, target node name)."""
    found: list[tuple[str, str]] = []
    for requirement in node.requirements or []:
        for name, target in requirement.items():
            if isinstance(target, dict):
                target = target.get("node")
            if isinstance(target, str):
                found.append((name, target))
    return found


def nodes_of(template: Any, type_name: str) -> list[Any]:
    return [n for n in template.nodetemplates or [] if n.is_derived_from(type_name)]


def policies_of(template: Any, type_name: str) -> list[Any]:
    return [p for p in template.policies or [] if p.is_derived_from(type_name)]


def policy_targets(template: Any, policy: Any) -> list[str]:
    """A policy's target node names, a group standing for its members."""
    groups = {g.name: list(g.members or []) for g in template.topology_template.groups or []}
    targets: list[str] = []
    for name in policy.targets or []:
        targets.extend(groups.get(name, [name]))
    return targets


def size_in(value: Any, unit: str) -> int:
    """A TOSCA scalar-unit.size (``"4 GiB"``) as a whole number of ``unit``."""
    if value is None:
        return 0
    return int(ScalarUnit_Size(value).get_num_from_scalar_unit(unit))
