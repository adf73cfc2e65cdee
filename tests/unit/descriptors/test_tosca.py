"""tosca-parser runs quietly and offline; what it says becomes located Problems."""

from __future__ import annotations

import logging
import urllib.request
from pathlib import Path

import pytest
import toscaparser.imports
import toscaparser.tosca_template
from toscaparser.common.exception import ExceptionCollector

from descriptors.imports import ImportSession, TypeLibrary
from descriptors.problems import Severity
from descriptors.tosca import nodes_of, parse_template, properties, size_in

HEADER = """tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_vnfd_types.yaml
"""
VDU = """topology_template:
  node_templates:
    vdu1:
      type: tosca.nodes.nfv.Vdu.Compute
      properties:
        name: vdu1
        description: a VDU
        vdu_profile: {{min_number_of_instances: 1, max_number_of_instances: {maximum}}}
      capabilities:
        virtual_compute:
          properties:
            virtual_memory: {{virtual_mem_size: 2 GiB, numa_enabled: false}}
            virtual_cpu: {{num_virtual_cpu: {vcpus}}}
"""


def write(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "Definitions" / "vnfd.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body)
    return path


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an import was fetched")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def test_a_valid_template_parses_with_type_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, VDU.format(maximum=2, vcpus=2))
    session = ImportSession(TypeLibrary.project(), tmp_path)
    template = parse_template(path, session)
    assert template is not None and session.problems == []
    [vdu] = nodes_of(template, "tosca.nodes.nfv.Vdu.Compute")
    assert properties(vdu)["boot_order"] is False  # a 3.x default
    memory = properties(vdu.get_capability("virtual_compute"))["virtual_memory"]
    assert size_in(memory["virtual_mem_size"], "MiB") == 2048


def test_errors_are_all_reported_located_and_silent(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    body = VDU.format(maximum=2, vcpus=0) + "    stray:\n      type: no.such.Type\n"
    body = body.replace("name: vdu1", "name: vdu1\n        colour: blue")
    path = write(tmp_path, body)
    session = ImportSession(TypeLibrary.project(), tmp_path)
    with caplog.at_level(logging.DEBUG):
        assert parse_template(path, session) is None
    errors = [p for p in session.problems if p.severity is Severity.ERROR]
    assert len(errors) >= 3
    assert all(p.file == "Definitions/vnfd.yaml" for p in errors)
    cpu = next(p for p in errors if "num_virtual_cpu" in p.message)
    assert cpu.line is not None and cpu.path is not None and cpu.path.endswith("num_virtual_cpu")
    stray = next(p for p in errors if "no.such.Type" in p.message)
    assert stray.path == "topology_template.node_templates.stray.type"
    colour = next(p for p in errors if "colour" in p.message)
    assert colour.line == 11 and colour.path.endswith("vdu1.properties.colour")  # type: ignore[union-attr]
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not [r for r in caplog.records if r.name.startswith(("tosca", "toscaparser"))]


def test_unmapped_url_is_reported_and_parser_state_restored(tmp_path: Path) -> None:
    header = HEADER + "  - https://example.com/vendor_types.yaml\n"
    path = write(tmp_path, VDU.format(maximum=1, vcpus=1), header)
    session = ImportSession(TypeLibrary.project(), tmp_path)
    parse_template(path, session)
    assert any(p.code == "unmapped-import" for p in session.problems)
    assert ExceptionCollector.exceptions == []
    assert toscaparser.imports.YAML_LOADER is toscaparser.tosca_template.YAML_LOADER
    assert toscaparser.imports.YAML_LOADER.__module__ == "toscaparser.utils.yamlparser"


def test_a_parser_crash_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    body = (
        "topology_template:\n  node_templates:\n    x:\n      type: tosca.nodes.nfv.Vdu.Compute\n"
    )
    body += "      interfaces:\n        Unknown:\n          create: {}\n"
    path = write(tmp_path, body)
    session = ImportSession(TypeLibrary.project(), tmp_path)
    assert parse_template(path, session) is None
    assert any(p.severity is Severity.ERROR for p in session.problems)


def test_a_bad_value_is_located_by_its_text(tmp_path: Path) -> None:
    path = write(tmp_path, VDU.format(maximum="many", vcpus=1))
    session = ImportSession(TypeLibrary.project(), tmp_path)
    assert parse_template(path, session) is None
    many = next(p for p in session.problems if '"many"' in p.message)
    assert many.line is not None and "vdu_profile.max_number_of_instances" in (many.path or "")


def test_a_repository_import_is_not_fetched_either(tmp_path: Path) -> None:
    header = HEADER.replace(
        "imports:\n",
        "repositories:\n  vendor: {url: 'https://vendor.example.com/types'}\nimports:\n",
    )
    header += "  - vendor: {file: vendor_types.yaml, repository: vendor}\n"
    path = write(tmp_path, VDU.format(maximum=1, vcpus=1), header)
    session = ImportSession(TypeLibrary.project(), tmp_path)
    assert parse_template(path, session) is None
    [problem] = session.problems
    assert problem.code == "unmapped-import"
    assert "https://vendor.example.com/types/vendor_types.yaml" in problem.message


def test_a_crash_after_findings_is_their_consequence_not_a_finding(tmp_path: Path) -> None:
    path = write(tmp_path, VDU.format(maximum=1, vcpus="eight"))
    session = ImportSession(TypeLibrary.project(), tmp_path)
    assert parse_template(path, session) is None
    messages = [p.message for p in session.problems]
    assert any('"eight" is not an integer' in text for text in messages), messages
    assert not any("not supported between" in text for text in messages), messages
