"""Schemathesis drives every operation of ``/openapi.json`` against a real ``nfvo serve``
(the catalogue and the VNF manager it mounts).

The server runs as ``nfvo serve`` does in production (a subprocess, authentication on);
the schema is read from its own ``/openapi.json``, so the document is checked against
the behaviour as much as the behaviour against the document. Each case carries the
admin token and its API's ``Version``, and names either generated ids or resources
seeded before the round. Every response must pass schemathesis' default checks (no
5xx; status codes, content types, headers and bodies as documented; schema-invalid
requests refused with a 4xx, schema-valid bodies accepted) and ours: every 4xx is
``application/problem+json`` with a non-empty ``detail``.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, CheckContext, GenerationMode, Response
from schemathesis.core.failures import Failure

from descriptors.build import build_package
from nfvo.store.embedded import free_port
from tests.integration.catalog.conftest import SHIPPED

NFVO = str(Path(sys.executable).parent / "nfvo")
PASSWORD = "fuzz-secret-pomelo-42"
PROBLEM = "application/problem+json"
# Not fuzzed (PUT, POST only; the GETs on the same paths are): the binary uploads
# (schemathesis can only send random bytes as a zip, which onboarding records as a
# failed job, not as a response to check) and the two operations that make the server
# call a URL from the body: upload_from_uri fetches addressInformation and the
# subscription POST tests its callbackUri, so fuzzing them would connect to
# arbitrary hosts.
NOT_FUZZED = (
    ("PUT", r"/(package|nsd|pnfd)_content$"),
    ("POST", r"/upload_from_uri$"),
    ("POST", r"^/(nsd|vnfpkgm|vnflcm|nslcm)/v2/subscriptions$"),
)
# Operations whose schema-valid bodies name other resources (an NSD, a VNFD, a flavour,
# an aspect, VNFCs, external CPs, day-1 variables, a VNF instance): naming one that does
# not exist or does not fit is a 422 (SOL013 clause 6.4), which no JSON Schema can
# foresee, so schemathesis' acceptance check does not apply there.
REFERENCING = (
    ("POST", r"^/vnflcm/v2/vnf_instances(/[^/]+/\w+)?$"),
    ("POST", r"^/nslcm/v2/ns_instances(/[^/]+/(instantiate|scale|heal|terminate))?$"),
    ("POST", r"^/grant/v1/grants$"),
)
# The VNF manager nfvo serve mounts reads packages with a client of its own.
VNFM_CLIENT = (
    '[{"client_id": "vnfm", "client_secret": "fuzz-vnfm-secret", "project": "vnfm",'
    ' "scopes": ["vnfpkgm:read-onboarded"]}]'
)


@dataclass(frozen=True)
class Served:
    url: str
    token: str
    versions: dict[str, str]  # apiName -> the version its requests name
    csar: Path  # a shipped VNF package, built

    def headers(self, path: str) -> dict[str, str]:
        api = path.strip("/").split("/")[0]
        return {"Authorization": f"Bearer {self.token}", "Version": self.versions[api]}


@pytest.fixture(scope="module")
def served(redis_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    port = free_port()
    data = tmp_path_factory.mktemp("fuzz")
    env = {
        **os.environ,
        "NFVO_REDIS_URL": redis_url,
        "NFVO_KEY_PREFIX": f"test-{uuid.uuid4().hex[:12]}",
        "NFVO_DATA_DIR": str(data / "data"),
        "NFVO_ADMIN_PASSWORD": PASSWORD,
        "NFVO_AUTH_CLIENTS": VNFM_CLIENT,
        "NFVO_VNFM_CLIENT_ID": "vnfm",
        "NFVO_VNFM_CLIENT_SECRET": "fuzz-vnfm-secret",
    }
    url = f"http://127.0.0.1:{port}"
    with (data / "serve.log").open("w") as log:
        process = subprocess.Popen(
            [NFVO, "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == f"READY {url}"
        try:
            csar = build_package(SHIPPED / "nrf", data)
            yield Served(url, _token(url), _versions(url), csar)
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0


def _token(url: str) -> str:
    answer = requests.post(
        f"{url}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=("admin", PASSWORD),
        timeout=10,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def _versions(url: str) -> dict[str, str]:
    """Each API's highest version, read as a client would from its api_versions."""
    versions = {}
    for api in ("vnfpkgm", "nsd", "vnflcm", "nslcm", "grant", "callbacks"):
        info = requests.get(f"{url}/{api}/api_versions", timeout=10).json()
        versions[api] = info["apiVersions"][-1]["version"]
    return versions


@pytest.fixture
def seeds(served: Served) -> dict[str, str]:
    """Resources the round's cases may name (path parameter -> id): an onboarded VNF
    package (the one a previous round left, unless it deleted it), an NSD, a PNFD."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {served.token}"

    def send(method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**served.headers(path), **kwargs.pop("headers", {})}
        return session.request(method, served.url + path, headers=headers, timeout=30, **kwargs)

    def create(container: str) -> str:
        answer = send("POST", container, json={})
        assert answer.status_code == 201, answer.text
        created: str = answer.json()["id"]
        return created

    onboarded = {"filter": "(eq,onboardingState,ONBOARDED)"}
    packages = send("GET", "/vnfpkgm/v2/vnf_packages", params=onboarded).json()
    if not packages:
        item = f"/vnfpkgm/v2/vnf_packages/{create('/vnfpkgm/v2/vnf_packages')}"
        zip_body = {
            "data": served.csar.read_bytes(),
            "headers": {"Content-Type": "application/zip"},
        }
        uploaded = send("PUT", f"{item}/package_content", **zip_body)
        assert uploaded.status_code == 202, uploaded.text
        deadline = time.monotonic() + 60
        while not packages:
            assert time.monotonic() < deadline, send("GET", item).text
            time.sleep(0.2)
            packages = send("GET", "/vnfpkgm/v2/vnf_packages", params=onboarded).json()
    instance = send("POST", "/vnflcm/v2/vnf_instances", json={"vnfdId": packages[0]["vnfdId"]})
    assert instance.status_code == 201, instance.text
    instance_id = instance.json()["id"]
    merge = {"Content-Type": "application/merge-patch+json"}
    renamed = send(
        "PATCH", f"/vnflcm/v2/vnf_instances/{instance_id}", json={"vnfInstanceName": "fuzzed"},
        headers=merge,
    )  # fmt: skip
    assert renamed.status_code == 202, renamed.text
    return {
        "vnfPkgId": packages[0]["id"],
        "vnfdId": packages[0]["vnfdId"],
        "nsdInfoId": create("/nsd/v2/ns_descriptors"),
        "pnfdInfoId": create("/nsd/v2/pnf_descriptors"),
        "vnfInstanceId": instance_id,
        "vnfLcmOpOccId": renamed.headers["Location"].rsplit("/", 1)[-1],
    }


def problem_details_on_4xx(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every client error is ProblemDetails (SOL013 clause 6.4) saying what was wrong."""
    if not 400 <= response.status_code < 500:
        return None
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if media_type != PROBLEM:
        raise Failure(
            operation=case.operation.label,
            title="4xx is not ProblemDetails",
            message=f"{response.status_code} with Content-Type {media_type!r}, not {PROBLEM}",
        )
    detail = response.json().get("detail")
    if not isinstance(detail, str) or not detail.strip():
        raise Failure(
            operation=case.operation.label,
            title="ProblemDetails without a detail",
            message=f"{response.status_code} {response.text[:200]}",
        )
    return True


def cases(
    served: Served, seeds: dict[str, str], operation: APIOperation, mode: GenerationMode
) -> Any:
    """Cases with generated path parameters, and as many naming the seeded resources."""
    headers = served.headers(operation.path)
    generated = operation.as_strategy(mode, headers=headers)
    names = {parameter.name for parameter in operation.path_parameters}
    seeded = {name: seeds[name] for name in names & seeds.keys()}
    if not seeded:
        return generated
    real = operation.as_strategy(mode, headers=headers, path_parameters=seeded)
    return st.one_of(generated, real)


def fuzz(
    served: Served,
    seeds: dict[str, str],
    operation: APIOperation,
    mode: GenerationMode,
    examples: int,
) -> str:
    """Run ``examples`` cases of ``operation``; the failure report, or "" if all passed."""
    headers = served.headers(operation.path)

    @given(case=cases(served, seeds, operation, mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def run(case: Case) -> None:
        # The query parameters' grammars (SOL013 filter expressions, selector
        # combinations, signed paging markers) are more than JSON Schema can say, so
        # a schema-valid query may rightly be a 400; bodies and paths stay checked.
        # Likewise a body naming what does not exist (REFERENCING) is rightly a 422.
        referencing = any(
            case.method.upper() == method and re.search(pattern, case.path)
            for method, pattern in REFERENCING
        )
        excluded = (
            [schemathesis.checks.positive_data_acceptance] if case.query or referencing else []
        )
        case.call_and_validate(
            base_url=served.url,
            headers=headers,
            additional_checks=[problem_details_on_4xx],
            excluded_checks=excluded,
        )

    try:
        run()
    except Unsatisfiable:
        # Negative mode on an operation whose every input is a free string (path
        # parameters, the fixed headers): there is nothing invalid to send.
        return ""
    except BaseExceptionGroup as failures:
        return f"{operation.label} [{mode.value}]:\n{failures}"
    except Failure as failure:
        return f"{operation.label} [{mode.value}]:\n{failure}"
    return ""


def fuzz_all(served: Served, seeds: dict[str, str], mode: GenerationMode, examples: int) -> None:
    schema = schemathesis.openapi.from_url(f"{served.url}/openapi.json")
    for method, pattern in NOT_FUZZED:
        schema = schema.exclude(method=method, path_regex=pattern)
    reports = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # Deletions last, so the seeded resources serve every other operation first.
    for operation in sorted(operations, key=lambda operation: operation.method == "delete"):
        report = fuzz(served, seeds, operation, mode, examples)
        if report:
            reports.append(report)
    assert not reports, "\n\n".join(reports)


@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_answers_as_documented(
    served: Served, seeds: dict[str, str], mode: GenerationMode
) -> None:
    fuzz_all(served, seeds, mode, examples=10)


@pytest.mark.deep
@pytest.mark.parametrize("mode", list(GenerationMode), ids=str)
def test_every_operation_answers_as_documented_deep(
    served: Served, seeds: dict[str, str], mode: GenerationMode
) -> None:
    fuzz_all(served, seeds, mode, examples=200)
