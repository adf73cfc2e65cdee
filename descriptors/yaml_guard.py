"""A strict look at every text file of a package before tosca-parser is allowed near it.

tosca-parser loads YAML with whatever loader it was written against and walks the
result recursively, so a file that is harmless to *parse* can still hurt it: an alias
bomb (a few lines that expand to billions of nodes when walked), a recursive anchor
(a structure that contains itself), nesting deep enough to exhaust the stack. Two
passes keep that away:

1. the event stream (flat, never recursive) bounds nesting depth, alias count and the
   size the document would have with every alias expanded, and refuses any explicit
   tag that is not one of YAML's plain data types (``!!python/object`` and friends);
2. a safe load whose constructor refuses duplicate keys, which PyYAML otherwise
   resolves silently by keeping the last one.

Every finding names the file and the 1-based line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

from descriptors.archive import Limits
from descriptors.problems import Problem

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

YAML_CORE = "tag:yaml.org,2002:"
ALLOWED_TAGS = frozenset(
    {"!"}
    | {YAML_CORE + t for t in ("str", "int", "float", "bool", "null", "map", "seq")}
    | {YAML_CORE + "timestamp"}
)
MERGE_TAG = YAML_CORE + "merge"


class _StrictLoader(_BaseLoader):
    """Safe loader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[tuple[type, Any], int] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                identity = (type(key), key)
                hash(identity)
            except TypeError:
                raise ConstructorError(
                    None, None, "mapping key is not a plain value", key_node.start_mark
                ) from None
            if identity in first_line:
                raise ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first written at line {first_line[identity]})",
                    key_node.start_mark,
                )
            first_line[identity] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class YamlRefusedError(Exception):
    """Raised inside the event pass; carries the line for the Problem."""

    def __init__(self, code: str, message: str, line: int | None) -> None:
        super().__init__(message)
        self.code = code
        self.line = line


@dataclass
class _Frame:
    anchor: str | None
    size: int = 1


class _EventScan:
    """Walks the event stream once, counting what an expanded walk would cost."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.frames: list[_Frame] = []
        self.anchors: dict[str, int] = {}
        self.open_anchors: set[str] = set()
        self.aliases = 0
        self.total = 0

    def _done(self, size: int, line: int) -> None:
        if self.frames:
            self.frames[-1].size += size
            size = self.frames[-1].size
        else:
            self.total += size
            size = self.total
        if size > self.limits.yaml_max_nodes:
            raise YamlRefusedError(
                "alias-bomb",
                f"document expands to more than {self.limits.yaml_max_nodes} nodes",
                line,
            )

    def _check_tag(self, tag: str | None, line: int) -> None:
        if tag is not None and tag not in ALLOWED_TAGS:
            raise YamlRefusedError(
                "yaml-tag", f"tag {tag!r} is not allowed (plain data only)", line
            )

    def _alias(self, anchor: str, line: int) -> None:
        self.aliases += 1
        if self.aliases > self.limits.yaml_max_aliases:
            raise YamlRefusedError(
                "alias-bomb", f"more than {self.limits.yaml_max_aliases} aliases", line
            )
        if anchor in self.open_anchors:
            raise YamlRefusedError("recursive-alias", f"alias *{anchor} refers to itself", line)
        if anchor not in self.anchors:
            raise YamlRefusedError("yaml-syntax", f"alias *{anchor} names no anchor", line)
        self._done(self.anchors[anchor], line)

    def _start(self, event: yaml.CollectionStartEvent, line: int) -> None:
        self._check_tag(event.tag, line)
        if len(self.frames) >= self.limits.yaml_max_depth:
            raise YamlRefusedError(
                "yaml-too-deep", f"nesting deeper than {self.limits.yaml_max_depth}", line
            )
        self.frames.append(_Frame(event.anchor))
        if event.anchor:
            self.open_anchors.add(event.anchor)

    def _end(self, line: int) -> None:
        frame = self.frames.pop()
        if frame.anchor:
            self.anchors[frame.anchor] = frame.size
            self.open_anchors.discard(frame.anchor)
        self._done(frame.size, line)

    def feed(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.DocumentStartEvent):
            self.anchors.clear()
        elif isinstance(event, yaml.ScalarEvent):
            self._check_tag(event.tag, line)
            if event.anchor:
                self.anchors[event.anchor] = 1
            self._done(1, line)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(str(event.anchor), line)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._start(event, line)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._end(line)


def _mark_line(error: yaml.YAMLError, text: str) -> int | None:
    if isinstance(error, yaml.reader.ReaderError):
        return text[: error.position].count("\n") + 1
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else None


def _yaml_message(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None)
    context = getattr(error, "context", None)
    text = " ".join(str(p) for p in (context, problem) if p) or str(error)
    return text.splitlines()[0] if text else type(error).__name__


def check_yaml(text: str, file: str, limits: Limits) -> tuple[list[Any], list[Problem]]:
    """The documents of ``text`` loaded as plain data, or the reason they may not be."""
    scan = _EventScan(limits)
    try:
        for event in yaml.parse(text, Loader=_BaseLoader):
            scan.feed(event)
        return list(yaml.load_all(text, Loader=_StrictLoader)), []
    except YamlRefusedError as refused:
        return [], [Problem(code=refused.code, message=str(refused), file=file, line=refused.line)]
    except ConstructorError as error:
        code = "duplicate-key" if "duplicate key" in str(error) else "yaml-tag"
        if "not a plain value" in str(error):
            code = "yaml-key"
        line = _mark_line(error, text)
        return [], [Problem(code=code, message=_yaml_message(error), file=file, line=line)]
    except yaml.YAMLError as error:
        message = _yaml_message(error)
        return [], [
            Problem(code="yaml-syntax", message=message, file=file, line=_mark_line(error, text))
        ]
    except (ValueError, TypeError, OverflowError) as error:
        message = f"value cannot be read as plain data ({error})"
        return [], [Problem(code="yaml-value", message=message, file=file)]


def decode_text(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Text files of a package must be UTF-8; say on which line they are not."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        message = f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        return None, [Problem(code="not-utf8", message=message, file=file, line=line)]
    return text.removeprefix("\ufeff"), []


def read_text(path: Path, file: str, limits: Limits) -> tuple[str | None, list[Problem]]:
    """Read one text file of a package within the size bound, as UTF-8."""
    size = path.stat().st_size
    if size > limits.max_text_bytes:
        message = f"text file of {size} bytes (limit {limits.max_text_bytes})"
        return None, [Problem(code="file-too-large", message=message, file=file)]
    return decode_text(path.read_bytes(), file)


def check_yaml_file(path: Path, file: str, limits: Limits) -> tuple[list[Any], list[Problem]]:
    """Read, decode and check one YAML file of a package."""
    text, problems = read_text(path, file, limits)
    if text is None:
        return [], problems
    return check_yaml(text, file, limits)
