"""Item 8: no file of the host is reachable through a descriptor's TOSCA imports.

A package or a plain-YAML NSD imports a file outside the package: by absolute path, by
climbing out with ``../``, a file of ``/proc`` or a device that never ends. Each is
refused before it is read, onboarding ends ERROR naming the import, and nothing of the
file reaches ``onboardingFailureDetails`` (tosca-parser echoed keys and values of
whatever it read). An import of a file inside the package that is not YAML is refused
too: only YAML files passed the size cap and the YAML guard.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from descriptors.build import build_package
from tests.integration.catalog.conftest import SHIPPED, create, onboard, wait_state
from tests.security.conftest import Client, ServeFactory, text_of

CANARY = """\
tosca_definitions_version: tosca_simple_yaml_1_3
canary-secret-8c1f5e: hunter-credential-value
node_types:
  canary.Type8c1f5e:
    derived_from: secret.db.password.tr0ub4dor
"""
CANARY_MARKS = ("canary-secret", "hunter-credential", "tr0ub4dor", "Type8c1f5e")
NSD = """\
tosca_definitions_version: tosca_simple_yaml_1_3
imports:
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_common_types.yaml
  - https://forge.etsi.org/rep/nfv/SOL001/raw/v4.2.1/etsi_nfv_sol001_nsd_types.yaml
  - {target}
topology_template:
  node_templates:
    ns:
      type: tosca.nodes.nfv.NS
      properties:
        descriptor_id: 5ec0a11d-0000-4000-8000-000000000001
        designer: tests
        version: "1.0"
        name: imports
        invariant_id: 5ec0a11d-0000-4000-8000-000000000002
        flavour_id: default
"""


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "canary.yaml"
    path.parent.mkdir()
    path.write_text(CANARY)
    return path


def _codes(body: dict[str, Any]) -> list[str]:
    details = body.get("onboardingFailureDetails") or {}
    return [problem["code"] for problem in details.get("problems", [])]


def _assert_nothing_of(body: dict[str, Any], *marks: str) -> None:
    text = text_of(body)
    leaked = [mark for mark in marks if mark in text]
    assert not leaked, f"file content reached the client: {leaked}"


async def _onboard_nsd_text(client: Client, text: str) -> dict[str, Any]:
    href = (await create(client, "nsd"))["_links"]["self"]["href"]
    headers = {"Version": "2.3.0", "Content-Type": "text/plain"}
    response = await client.put(f"{href}/nsd_content", data=text.encode(), headers=headers)
    assert response.status == 202, await response.text()
    return await wait_state(client, href, "nsd", within=30)


async def test_an_nsd_importing_files_of_the_host_is_refused_unread(
    serve_catalogue: ServeFactory, canary: Path
) -> None:
    client = await serve_catalogue()
    escape = "../" * 16 + str(canary).lstrip("/")
    for target in (str(canary), escape, "/proc/self/environ", "/etc/hostname", "/dev/zero"):
        body = await _onboard_nsd_text(client, NSD.format(target=target))
        assert body["nsdOnboardingState"] == "ERROR", target
        assert "outside-import" in _codes(body), (target, body["onboardingFailureDetails"])
        _assert_nothing_of(body, *CANARY_MARKS, Path("/etc/hostname").read_text().strip())
        if target == "/proc/self/environ":
            _assert_nothing_of(body, "PATH=", "REDIS_URL=", "HOME=")


def _package_importing(tmp_path: Path, imports: list[str], extra: dict[str, str]) -> Path:
    """The shipped AMF package, its VNFD importing ``imports`` too, rebuilt (manifest
    digests included) so that only the imports are wrong with it."""
    source = tmp_path / "amf"
    shutil.copytree(SHIPPED / "amf", source)
    vnfd = source / "Definitions" / "amf_vnfd.yaml"
    added = "".join(f"  - {name}\n" for name in imports)
    vnfd.write_text(
        vnfd.read_text().replace("  - nfvo_5gc_types.yaml\n", "  - nfvo_5gc_types.yaml\n" + added)
    )
    for name, content in extra.items():
        (source / name).write_text(content)
    out = tmp_path / "built"
    out.mkdir()
    return build_package(source, out)


async def test_a_vnf_package_climbing_out_of_itself_is_refused_unread(
    serve_catalogue: ServeFactory, canary: Path, tmp_path: Path
) -> None:
    client = await serve_catalogue()
    escape = "../" * 16 + str(canary).lstrip("/")
    body = await onboard(client, _package_importing(tmp_path, [escape], {}))
    assert body["onboardingState"] == "ERROR"
    assert "outside-import" in _codes(body)
    _assert_nothing_of(body, *CANARY_MARKS)


async def test_a_package_importing_its_own_non_yaml_file_is_refused(
    serve_catalogue: ServeFactory, tmp_path: Path
) -> None:
    client = await serve_catalogue()
    notes = CANARY.replace("canary", "notes")
    package = _package_importing(tmp_path, ["../Files/notes.txt"], {"Files/notes.txt": notes})
    body = await onboard(client, package)
    assert body["onboardingState"] == "ERROR"
    assert "import-not-yaml" in _codes(body)
    _assert_nothing_of(body, "notes-secret", "hunter-credential")
