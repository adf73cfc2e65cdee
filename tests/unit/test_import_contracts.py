"""The import-linter contracts of pyproject.toml bite.

The contracts this project added for its layering (nfvo's layers, exhaustive;
openstacksdk and keystoneauth only in the VIM package; neither Redis nor OpenStack in
the API) are read from pyproject.toml, renamed onto a small package
tree written into a temporary directory, and checked by ``lint-imports`` there: kept
on the tree as it should be, each broken by its own deliberate violation. The real
project's contracts must all be kept.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
FIXTURE = "shop"  # stands for nfvo in the tree below

LAYERS = "nfvo layers point downwards"
VIM_ONLY = "openstacksdk and keystoneauth only behind the VIM facade"
API_CLEAN = "the API layer speaks neither Redis nor OpenStack"

# A tree shaped like nfvo, importing downwards only.
TREE = {
    "__main__.py": "from shop.cli import main\n",
    "cli/__init__.py": "from shop import api\n\ndef main() -> None: ...\n",
    "api/__init__.py": "from shop import runtime, sol\n",
    "runtime.py": "from shop import catalog, monitor, platform\n",
    "monitor/__init__.py": "from shop import lcm\n",
    "lcm/__init__.py": "from shop import catalog, placement\n",
    "catalog/__init__.py": "from shop import sol, store\n",
    "placement/__init__.py": "from shop import vim\n",
    "platform.py": "from shop import sol, vim\n",
    "sol/__init__.py": "from shop import config, log, store\n",
    "vim/__init__.py": "import keystoneauth1\nimport openstack\n\nfrom shop import store\n",
    "store/__init__.py": "import redis\n\nfrom shop import config\n",
    "config.py": "",
    "log.py": "",
}
# Each violation: the file that commits it, and what the report must name.
VIOLATIONS = {
    LAYERS: [
        ("store/upward.py", "from shop import catalog\n", "shop.store.upward -> shop.catalog"),
        ("sol/sideways.py", "from shop import vim\n", "shop.sol.sideways -> shop.vim"),
        ("unlisted/__init__.py", "", "shop.unlisted"),
    ],
    VIM_ONLY: [
        ("placement/cloud.py", "import openstack\n", "shop.placement.cloud -> openstack"),
        ("cli/auth.py", "import keystoneauth1\n", "shop.cli.auth -> keystoneauth1"),
    ],
    API_CLEAN: [
        ("api/handlers.py", "import redis\n", "shop.api.handlers -> redis"),
        ("api/servers.py", "import openstack\n", "shop.api.servers -> openstack"),
    ],
}


def _renamed(value: Any) -> Any:
    """A contract's option with nfvo's modules named as the fixture's."""
    if isinstance(value, list):
        return [_renamed(item) for item in value]
    if isinstance(value, str) and (value == "nfvo" or value.startswith("nfvo.")):
        return FIXTURE + value[len("nfvo") :]
    return value


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_config(directory: Path) -> Path:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts = {contract["name"]: contract for contract in project["contracts"]}
    lines = ["[tool.importlinter]", f'root_packages = ["{FIXTURE}"]']
    lines.append("include_external_packages = true")
    for name in VIOLATIONS:
        lines.append("[[tool.importlinter.contracts]]")
        lines += [f"{key} = {_toml(_renamed(value))}" for key, value in contracts[name].items()]
    config = directory / "contracts.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def _write_tree(directory: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = directory / FIXTURE / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        for parent in path.relative_to(directory).parents:
            if parent != Path(".") and not (directory / parent / "__init__.py").exists():
                (directory / parent / "__init__.py").write_text("")


def _lint(directory: Path, config: Path | None = None) -> subprocess.CompletedProcess[str]:
    command = [str(LINT_IMPORTS), "--no-cache"]
    command += [str(config)] if config else []
    return subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=60, check=False
    )


def _verdicts(output: str) -> dict[str, str]:
    """Contract name -> KEPT or BROKEN, from the report's summary lines."""
    verdicts = {}
    for line in output.splitlines():
        name, _, verdict = line.rpartition(" ")
        if verdict in {"KEPT", "BROKEN"}:
            verdicts[name] = verdict
    return verdicts


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    _write_tree(tmp_path, TREE)
    return tmp_path


def test_the_contracts_keep_a_tree_that_follows_them(tree: Path) -> None:
    result = _lint(tree, _write_config(tree))
    assert _verdicts(result.stdout) == dict.fromkeys(VIOLATIONS, "KEPT"), result.stdout
    assert result.returncode == 0


def test_each_contract_reports_its_violations(tree: Path) -> None:
    config = _write_config(tree)
    _write_tree(tree, {path: text for found in VIOLATIONS.values() for path, text, _ in found})
    result = _lint(tree, config)
    assert _verdicts(result.stdout) == dict.fromkeys(VIOLATIONS, "BROKEN"), result.stdout
    report = result.stdout.split("Broken contracts", 1)[1]
    sections = {name: report.split(name, 1)[1] for name in VIOLATIONS}
    for name, found in VIOLATIONS.items():
        section = sections[name]
        for other in VIOLATIONS:  # cut the section at the next contract's heading
            if other != name and other in section:
                section = section.split(other, 1)[0]
        for _, _, reported in found:
            assert reported in section, f"{name}: {reported} not reported in\n{section}"
    assert result.returncode != 0


def test_the_project_keeps_every_contract() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = _verdicts(result.stdout)
    assert set(VIOLATIONS) <= set(verdicts) and set(verdicts.values()) == {"KEPT"}
