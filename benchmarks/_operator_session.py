"""An operator's first hour with the real ``openstack`` CLI (python-openstackclient and
osc-placement), as a list of commands, each with the exit code and the key fields a
real cloud gives. ``run_session`` plays it against any cloud of a clouds.yaml (the
simulator's, normally) and says which commands behaved as on a real cloud.

Commands run in batches through ``benchmarks._osc_batch`` (one process per batch, each
command as the ``openstack`` executable runs it); a command naming a value that an
earlier command saves (``{server_id}``) starts a new batch once that value is known.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import string
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

REPO = Path(__file__).resolve().parents[1]
EVERYDAY, ISSUE = "everyday", "issue"  # the second: named by the operator's-first-hour issue
PLACEMENT_VERSION = "1.39"

Check = Callable[[Any, str, dict[str, str]], object]


@dataclass(frozen=True)
class Step:
    command: str  # without ``openstack``; ``{name}`` fields come from saved values
    # (stdout, parsed when -f json; stderr; the values saved so far) -> truthy
    check: Check | None = None
    exit_code: int = 0
    kind: str = EVERYDAY
    save: dict[str, Callable[[Any], str]] = field(default_factory=dict)


@dataclass
class Outcome:
    step: Step
    command: str
    exit_code: int | None
    passed: bool
    reason: str = ""


def names(rows: Any, key: str = "Name") -> list[str]:
    return sorted(str(row[key]) for row in rows)


def _fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ":".join(digest[i : i + 2] for i in range(0, 32, 2))


def _by(rows: Any, key: str, value: str) -> Any:
    return next(row for row in rows if row[key] == value)


def steps(files: dict[str, str]) -> list[Step]:
    """The session; ``files`` names the public key, a broken key and an image file."""
    key = Path(files["public_key"]).read_text().strip()
    image = Path(files["image"]).read_bytes()
    s = Step
    return [
        # Who am I, what is there
        s("token issue -f json", lambda o, e, v: o["project_id"] and o["id"]),
        s(
            "catalog list -f json",
            lambda o, e, v: {"compute", "network", "placement"} <= {r["Type"] for r in o},
        ),
        s("catalog show compute -f json", lambda o, e, v: "/compute/v2.1" in str(o["endpoints"])),
        s(
            "endpoint list -f json",
            lambda o, e, v: len(o) >= 21 and "placement" in {r["Service Type"] for r in o},
            kind=ISSUE,
        ),
        s(
            "endpoint list --service compute --interface public -f json",
            lambda o, e, v: len(o) == 1,
            kind=ISSUE,
        ),
        s(
            "service list -f json",
            lambda o, e, v: {"nova", "neutron", "glance", "placement", "keystone"} <= set(names(o)),
            kind=ISSUE,
        ),
        s("service show compute -f json", lambda o, e, v: o["name"] == "nova", kind=ISSUE),
        s("region list -f json", lambda o, e, v: names(o, "Region") == ["RegionOne"]),
        s("domain list -f json", lambda o, e, v: names(o) == ["Default"]),
        s("project list -f json", lambda o, e, v: {"admin", "tenant-a"} <= set(names(o))),
        s(
            "project show tenant-a -f json",
            lambda o, e, v: o["name"] == "tenant-a",
            save={"tenant": lambda o: o["id"]},
        ),
        s(
            "project show admin -f json",
            lambda o, e, v: o["enabled"],
            save={"admin_project": lambda o: o["id"]},
        ),
        s("user list -f json", lambda o, e, v: {"admin", "operator-a"} <= set(names(o))),
        s("user show operator-a -f json", lambda o, e, v: o["name"] == "operator-a"),
        s("role list -f json", lambda o, e, v: {"admin", "member", "reader"} <= set(names(o))),
        s(
            "role assignment list --names -f json",
            lambda o, e, v: any(
                r["Role"] == "admin"
                and r["User"] == "admin@Default"
                and r["Project"] == "admin@Default"
                for r in o
            ),
            kind=ISSUE,
        ),
        s(
            "role assignment list --effective --user operator-a --names -f json",
            lambda o, e, v: sorted(r["Role"] for r in o) == ["member", "reader"],
            kind=ISSUE,
        ),
        # Compute basics
        s("flavor list -f json", lambda o, e, v: {"m1.small", "m1.medium"} <= set(names(o))),
        s("flavor show m1.small -f json", lambda o, e, v: (o["vcpus"], o["ram"]) == (1, 2048)),
        s(
            "flavor create --vcpus 2 --ram 2048 --disk 20"
            " --property hw:cpu_policy=dedicated cli.pinned -f json",
            lambda o, e, v: o["properties"]["hw:cpu_policy"] == "dedicated",
        ),
        s("flavor set --property hw:mem_page_size=1GB cli.pinned"),
        s(
            "flavor show cli.pinned -f json",
            lambda o, e, v: (
                o["properties"] == {"hw:cpu_policy": "dedicated", "hw:mem_page_size": "1GB"}
            ),
        ),
        s(
            f"keypair create --public-key {files['public_key']} cli-key -f json",
            lambda o, e, v: o["fingerprint"] == _fingerprint(key),
        ),
        s("keypair list -f json", lambda o, e, v: "cli-key" in names(o)),
        s("keypair show cli-key -f json", lambda o, e, v: o["fingerprint"] == _fingerprint(key)),
        s(
            f"keypair create --public-key {files['broken_key']} cli-broken",
            lambda o, e, v: "Keypair data is invalid" in e,
            exit_code=1,
            kind=ISSUE,
        ),
        s("image list -f json", lambda o, e, v: "cirros" in names(o)),
        s(
            "image show cirros -f json",
            lambda o, e, v: (o["disk_format"], o["status"]) == ("qcow2", "active"),
        ),
        s(
            f"image create --file {files['image']} --disk-format qcow2"
            " --container-format bare cli-image -f json",
            lambda o, e, v: o["checksum"] == hashlib.md5(image, usedforsecurity=False).hexdigest(),
        ),
        s("image set --property os_distro=cirros cli-image"),
        s("image show cli-image -f json", lambda o, e, v: o["properties"]["os_distro"] == "cirros"),
        # Networks
        s(
            "network list -f json",
            lambda o, e, v: {"mgmt", "n3-sriov", "n6-sriov", "public"} <= set(names(o)),
        ),
        s(
            "network show n3-sriov -f json",
            lambda o, e, v: (
                (o["provider:network_type"], o["provider:segmentation_id"]) == ("vlan", 300)
            ),
        ),
        s("network create cli-net -f json", lambda o, e, v: o["status"] == "ACTIVE"),
        s(
            "subnet create --network cli-net --subnet-range 10.10.0.0/24 cli-subnet -f json",
            lambda o, e, v: o["gateway_ip"] == "10.10.0.1",
        ),
        s("subnet list -f json", lambda o, e, v: "cli-subnet" in names(o)),
        s("subnet show cli-subnet -f json", lambda o, e, v: o["cidr"] == "10.10.0.0/24"),
        s(
            "port create --network n3-sriov --vnic-type direct cli-sriov -f json",
            lambda o, e, v: o["binding_vnic_type"] == "direct",
        ),
        s(
            "port create --network cli-net cli-port -f json",
            lambda o, e, v: o["fixed_ips"][0]["ip_address"].startswith("10.10.0."),
        ),
        s("port list -f json", lambda o, e, v: {"cli-sriov", "cli-port"} <= set(names(o))),
        s("port set --name cli-port-2 cli-port"),
        s("security group create cli-sg -f json", lambda o, e, v: o["name"] == "cli-sg"),
        s(
            "security group rule create --protocol tcp --dst-port 22 cli-sg -f json",
            lambda o, e, v: o["port_range_min"] == 22,
        ),
        s("security group list -f json", lambda o, e, v: {"default", "cli-sg"} <= set(names(o))),
        s("security group rule list cli-sg -f json", lambda o, e, v: len(o) == 2),
        s(
            "extension list --network -f json",
            lambda o, e, v: (
                {"binding", "quotas", "availability_zone", "agent"} <= {r["Alias"] for r in o}
            ),
        ),
        s(
            "network agent list -f json",
            lambda o, e, v: (
                {"DHCP agent", "Open vSwitch agent", "NIC Switch agent"}
                <= {r["Agent Type"] for r in o}
                and all(r["Alive"] for r in o)
            ),
            kind=ISSUE,
        ),
        s(
            "availability zone list -f json",
            lambda o, e, v: {"az-1", "az-2", "nova"} <= set(names(o, "Zone Name")),
            kind=ISSUE,
        ),
        s(
            "availability zone list --network -f json",
            lambda o, e, v: names(o, "Zone Name") == ["nova"],
            kind=ISSUE,
        ),
        # Servers
        s(
            "server create --flavor m1.small --image cirros --network mgmt"
            " --key-name cli-key --wait cli-vm -f json",
            lambda o, e, v: o["status"] == "ACTIVE",
            save={"server": lambda o: o["id"], "first_host": lambda o: o["OS-EXT-SRV-ATTR:host"]},
        ),
        s(
            "server create --flavor cli.pinned --image cirros --nic port-id=cli-sriov"
            " --wait cli-sriov-vm -f json",
            lambda o, e, v: o["status"] == "ACTIVE",
        ),
        s("server list -f json", lambda o, e, v: {"cli-vm", "cli-sriov-vm"} <= set(names(o))),
        s(
            "server show cli-vm -f json",
            lambda o, e, v: o["key_name"] == "cli-key" and "mgmt" in o["addresses"],
        ),
        s(
            "port show cli-sriov -f json",
            lambda o, e, v: (
                (o["binding_vif_type"], o["binding_vif_details"]["vlan"]) == ("hw_veb", "300")
            ),
            kind=ISSUE,
        ),
        s("server set --property role=test cli-vm"),
        s("server show cli-vm -f json", lambda o, e, v: o["properties"] == {"role": "test"}),
        s("server stop cli-vm"),
        s("server show cli-vm -f json", lambda o, e, v: o["status"] == "SHUTOFF"),
        s("server start cli-vm"),
        s("server reboot --wait cli-vm"),
        s("server show cli-vm -f json", lambda o, e, v: o["status"] == "ACTIVE"),
        s(
            "server event list cli-vm -f json",
            lambda o, e, v: {"create", "stop", "start", "reboot"} <= {r["Action"] for r in o},
        ),
        s(
            "console url show cli-vm -f json",
            lambda o, e, v: o["type"] == "novnc" and "token" in o["url"],
            kind=ISSUE,
        ),
        s(
            "server group create --policy anti-affinity cli-group -f json",
            lambda o, e, v: o["policy"] == "anti-affinity",
        ),
        s("server group list -f json", lambda o, e, v: "cli-group" in names(o)),
        # Volumes
        s("volume type list -f json", lambda o, e, v: names(o) == ["__DEFAULT__"]),
        s("volume create --size 1 cli-vol -f json", lambda o, e, v: o["size"] == 1),
        s("volume list -f json", lambda o, e, v: "cli-vol" in names(o)),
        s("server add volume cli-vm cli-vol"),
        s("volume show cli-vol -f json", lambda o, e, v: o["status"] == "in-use"),
        s("server remove volume cli-vm cli-vol"),
        s("volume show cli-vol -f json", lambda o, e, v: o["status"] == "available"),
        # The infrastructure
        s("hypervisor list -f json", lambda o, e, v: len(o) == 5),
        s(
            "hypervisor show compute-01 -f json",
            lambda o, e, v: {"agg-sriov", "az-1"} <= set(o["aggregates"]) and o["uptime"],
            kind=ISSUE,
        ),
        s(
            "compute service list -f json",
            lambda o, e, v: len(o) == 5 and {r["Binary"] for r in o} == {"nova-compute"},
        ),
        s(
            "aggregate list -f json",
            lambda o, e, v: {"agg-sriov", "agg-dpdk", "az-1", "az-2"} <= set(names(o)),
            kind=ISSUE,
        ),
        s(
            "aggregate show agg-sriov -f json",
            lambda o, e, v: (
                o["hosts"] == ["compute-01", "compute-02"] and o["properties"] == {"sriov": "true"}
            ),
            kind=ISSUE,
            save={"sriov_aggregate": lambda o: o["uuid"]},
        ),
        s(
            "quota show -f json",
            lambda o, e, v: (
                _by(o, "Resource", "instances")["Limit"] == 100
                and _by(o, "Resource", "ports")["Limit"] == 1000
            ),
            kind=ISSUE,
        ),
        s(
            "quota show --usage -f json",
            lambda o, e, v: (
                _by(o, "Resource", "instances")["In Use"] == 2
                and _by(o, "Resource", "volumes")["In Use"] == 1
            ),
            kind=ISSUE,
        ),
        s(
            "limits show --absolute -f json",
            lambda o, e, v: (
                {
                    "max_total_instances": 100,
                    "total_instances_used": 2,
                    "max_total_volumes": 100,
                    "total_volumes_used": 1,
                }.items()
                <= {r["Name"]: r["Value"] for r in o}.items()
            ),
            kind=ISSUE,
        ),
        # Quotas enforced, on tenant-a's member
        s("quota set --instances 1 --ports 1 --volumes 0 tenant-a", kind=ISSUE),
        s(
            "quota show tenant-a -f json",
            lambda o, e, v: _by(o, "Resource", "instances")["Limit"] == 1,
            kind=ISSUE,
        ),
        s(
            "--os-cloud sim-member server create --flavor m1.small --image cirros"
            " --network mgmt --wait member-vm -f json",
            lambda o, e, v: o["status"] == "ACTIVE",
        ),
        s(
            "--os-cloud sim-member server create --flavor m1.small --image cirros"
            " --network mgmt member-vm-2",
            lambda o, e, v: (
                "Quota exceeded for instances: Requested 1, but already used 1 of 1 instances" in e
            ),
            exit_code=1,
            kind=ISSUE,
        ),
        s(
            "--os-cloud sim-member port create --network mgmt member-port",
            lambda o, e, v: "Quota exceeded for resources: ['port']" in e,
            exit_code=1,
            kind=ISSUE,
        ),
        s(
            "--os-cloud sim-member volume create --size 1 member-vol",
            lambda o, e, v: "Maximum number of volumes allowed (0) exceeded" in e,
            exit_code=1,
            kind=ISSUE,
        ),
        s("quota delete tenant-a", kind=ISSUE),
        s(
            "quota show tenant-a -f json",
            lambda o, e, v: _by(o, "Resource", "instances")["Limit"] == 100,
            kind=ISSUE,
        ),
        # Moving a server: cold migration and resize, confirmed and reverted
        s("server migrate --wait cli-vm", kind=ISSUE),
        s(
            "server show cli-vm -f json",
            lambda o, e, v: (
                o["status"] == "VERIFY_RESIZE" and o["OS-EXT-SRV-ATTR:host"] != v["first_host"]
            ),
            kind=ISSUE,
        ),
        s(
            "server migration list --server cli-vm -f json",
            lambda o, e, v: (o[0]["Status"], o[0]["Type"]) == ("finished", "migration"),
            kind=ISSUE,
        ),
        s("server migration confirm cli-vm", kind=ISSUE),
        s("server show cli-vm -f json", lambda o, e, v: o["status"] == "ACTIVE", kind=ISSUE),
        s("server resize --flavor m1.medium --wait cli-vm", kind=ISSUE),
        s(
            "server show cli-vm -f json",
            lambda o, e, v: (o["status"], o["flavor"]["name"]) == ("VERIFY_RESIZE", "m1.medium"),
            kind=ISSUE,
        ),
        s("server resize revert cli-vm", kind=ISSUE),
        s(
            "server show cli-vm -f json",
            lambda o, e, v: (o["status"], o["flavor"]["name"]) == ("ACTIVE", "m1.small"),
            kind=ISSUE,
        ),
        s("server resize --flavor m1.medium --wait cli-vm", kind=ISSUE),
        s("server resize confirm cli-vm", kind=ISSUE),
        s(
            "server show cli-vm -f json",
            lambda o, e, v: (o["status"], o["flavor"]["name"]) == ("ACTIVE", "m1.medium"),
            kind=ISSUE,
        ),
        # Placement (at the version an operator exports, and once at osc-placement's default)
        s(
            "--os-placement-api-version 1.0 resource provider list -f json",
            lambda o, e, v: len(o) == 5,
        ),
        s(
            "resource provider list --name compute-01 -f json",
            lambda o, e, v: o[0]["generation"] >= 1,
            save={"rp": lambda o: o[0]["uuid"]},
        ),
        s(
            "resource provider list -f json",
            lambda o, e, v: max(r["generation"] for r in o) > 1,
            kind=ISSUE,
        ),
        s(
            "resource provider list --resource PCPU=40 -f json",
            lambda o, e, v: (
                names(o, "name") == ["compute-01", "compute-02", "compute-04", "compute-05"]
            ),
            kind=ISSUE,
        ),
        s(
            "resource provider list --required CUSTOM_OVS_DPDK -f json",
            lambda o, e, v: names(o, "name") == ["compute-04"],
            kind=ISSUE,
        ),
        s(
            "resource provider list --forbidden HW_CPU_HYPERTHREADING -f json",
            lambda o, e, v: names(o, "name") == ["compute-03"],
            kind=ISSUE,
        ),
        s(
            "resource provider list --member-of {sriov_aggregate} -f json",
            lambda o, e, v: names(o, "name") == ["compute-01", "compute-02"],
            kind=ISSUE,
        ),
        s(
            "resource provider show --allocations {rp} -f json",
            lambda o, e, v: o["name"] == "compute-01",
        ),
        s(
            "resource provider inventory list {rp} -f json",
            lambda o, e, v: (
                {"VCPU", "PCPU", "MEMORY_MB", "DISK_GB"} == set(names(o, "resource_class"))
            ),
        ),
        s(
            "resource provider usage show {rp} -f json",
            lambda o, e, v: {"VCPU", "PCPU"} <= set(names(o, "resource_class")),
        ),
        s(
            "resource provider trait list {rp} -f json",
            lambda o, e, v: {"COMPUTE_NODE", "HW_CPU_HYPERTHREADING"} <= set(names(o, "name")),
        ),
        s(
            "resource provider aggregate list {rp} -f json",
            lambda o, e, v: v["sriov_aggregate"] in names(o, "uuid"),
        ),
        s(
            "allocation candidate list --resource VCPU=1 --resource MEMORY_MB=1024"
            " --required CUSTOM_OVS_DPDK -f json",
            lambda o, e, v: len(o) == 1 and "CUSTOM_OVS_DPDK" in o[0]["traits"],
            kind=ISSUE,
        ),
        s(
            "resource provider allocation show {server} -f json",
            lambda o, e, v: o[0]["resources"] == {"VCPU": 2, "MEMORY_MB": 4096, "DISK_GB": 40},
        ),
        s(
            "resource class list -f json",
            lambda o, e, v: {"VCPU", "PCPU", "MEMORY_MB", "SRIOV_NET_VF"} <= set(names(o, "name")),
            kind=ISSUE,
        ),
        s(
            "trait list --name startswith:CUSTOM -f json",
            lambda o, e, v: names(o, "name") == ["CUSTOM_OVS_DPDK"],
            kind=ISSUE,
        ),
        s(
            "trait list -f json",
            lambda o, e, v: len(o) > 100 and "HW_CPU_X86_AVX2" in names(o, "name"),
            kind=ISSUE,
        ),
        s(
            "resource usage show {admin_project} -f json",
            lambda o, e, v: (
                _by(o, "resource_class", "all")["usage"]
                == {"VCPU": 2, "PCPU": 2, "MEMORY_MB": 6144, "DISK_GB": 60}
            ),
        ),
        # Cleaning up
        s("server delete --wait cli-vm cli-sriov-vm"),
        s("--os-cloud sim-member server delete --wait member-vm"),
        s("volume delete cli-vol"),
        s("port delete cli-port-2 cli-sriov"),
        s("subnet delete cli-subnet"),
        s("network delete cli-net"),
        s("security group delete cli-sg"),
        s("server group delete cli-group"),
        s("image delete cli-image"),
        s("flavor delete cli.pinned"),
        s("keypair delete cli-key"),
        s("server list -f json", lambda o, e, v: o == []),
    ]


def _needed(command: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(command) if name}


def _batches(session: list[Step]) -> Iterator[list[Step]]:
    """Split where a command needs a value a command of the same batch saves."""
    batch: list[Step] = []
    pending: set[str] = set()
    for step in session:
        if _needed(step.command) & pending:
            yield batch
            batch, pending = [], set()
        batch.append(step)
        pending |= set(step.save)
    if batch:
        yield batch


def _run_batch(commands: list[str], env: dict[str, str]) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks._osc_batch"],
        input="\n".join(commands) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
        check=False,
    )
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _judge(
    step: Step, command: str, result: dict[str, Any] | None, saved: dict[str, str]
) -> Outcome:
    if result is None:
        return Outcome(step, command, None, False, "never ran")
    code, out, err = result["exit_code"], result["stdout"], result["stderr"]
    if code != step.exit_code:
        return Outcome(step, command, code, False, f"exit {code}: {err.strip()[:300]}")
    try:
        parsed = json.loads(out) if " -f json" in command else out
        if step.check is not None and not step.check(parsed, err, saved):
            return Outcome(step, command, code, False, f"unexpected output: {out[:300]}")
        for name, read in step.save.items():
            saved[name] = str(read(parsed))
    except (KeyError, IndexError, TypeError, ValueError, StopIteration) as exc:
        return Outcome(step, command, code, False, f"{type(exc).__name__}: {exc}; {out[:300]}")
    return Outcome(step, command, code, True)


def run_session(clouds_yaml: Path, cloud: str = "sim") -> list[Outcome]:
    """Play the session against ``cloud`` of ``clouds_yaml``; one outcome per step."""
    with tempfile.TemporaryDirectory(prefix="osc-session-") as tmp:
        files = _files(Path(tmp))
        env = {
            **os.environ,
            "OS_CLIENT_CONFIG_FILE": str(clouds_yaml),
            "OS_CLOUD": cloud,
            "OS_PLACEMENT_API_VERSION": PLACEMENT_VERSION,
        }
        saved: dict[str, str] = {}
        outcomes: list[Outcome] = []
        for batch in _batches(steps(files)):
            commands = [_fill(step.command, saved) for step in batch]
            results = _run_batch(commands, env)
            for index, (step, command) in enumerate(zip(batch, commands, strict=True)):
                result = results[index] if index < len(results) else None
                outcomes.append(_judge(step, command, result, saved))
        return outcomes


def _fill(text: str, saved: dict[str, str]) -> str:
    return text.format_map({**{k: f"<{k}?>" for k in _needed(text)}, **saved})


def _files(tmp: Path) -> dict[str, str]:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    public = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    (tmp / "key.pub").write_bytes(public + b" operator@site\n")
    (tmp / "broken.pub").write_text("ssh-rsa AAAAnot-a-key operator@site\n")
    (tmp / "image.qcow2").write_bytes(os.urandom(4096))
    return {
        "public_key": str(tmp / "key.pub"),
        "broken_key": str(tmp / "broken.pub"),
        "image": str(tmp / "image.qcow2"),
    }
