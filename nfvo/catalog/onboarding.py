"""Onboarding as a durable job: PROCESSING -> ONBOARDED | ERROR (SOL005 clauses 9.4.5, 5.4.4).

The job may run twice (docs/jobs.md): every step first reads the record and does
nothing unless it is still PROCESSING, blob writes are by fixed keys, and the final
record write is fenced by the job's lease. Package parsing runs in a thread, one at
a time, because tosca-parser collects errors in module-global state.

The last step, ``notify``, queues the outcome's notification (``nfvo.catalog.notices``)
once the record is stored. Run again after a crash it queues it again, with the same
notification id: subscribers get it at least once. A notification that cannot be
queued is retried, then logged; it never changes the outcome of onboarding.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError

from descriptors.loader import LoadedPackage, load_package
from descriptors.package_security import SignaturePolicy
from descriptors.problems import DescriptorError, Problem, Severity
from descriptors.stored import stored_document
from nfvo.catalog.fetch import fetch_step
from nfvo.catalog.files import collect_files, package_path, pnfd_summary, write_source
from nfvo.catalog.notices import Event, Notices
from nfvo.catalog.records import CatalogRecord, Kind, StoredImage, StoredProblem
from nfvo.catalog.signatures import policy_from, stored_signature
from nfvo.catalog.store import CatalogStore, noun
from nfvo.catalog.wire import OnboardingState, OperationalState
from nfvo.sol.notifications import NOTIFIER
from nfvo.store.blobs import BLOBS
from nfvo.store.errors import LeaseLost, StoreUnavailable, TransientError
from nfvo.store.scratch import SCRATCH
from nfvo.store.secrets import SECRETS
from nfvo.store.steps import JobRegistry, Step, StepContext, sequence

LOG = logging.getLogger("nfvo.catalog")
ONBOARD_JOB = "catalog.onboard"
ONBOARD_TIMEOUT = 900.0
NOTIFY_ATTEMPTS = 3
_OUTCOMES = {
    OnboardingState.ONBOARDED: Event.ONBOARDED,
    OnboardingState.ERROR: Event.ONBOARDING_FAILED,
}
_PARSER_LOCK = threading.Lock()


def _load(source: Path, workdir: Path, policy: SignaturePolicy) -> LoadedPackage:
    with _PARSER_LOCK:
        return load_package(source, workdir, signatures=policy)


def _problem(message: str, code: str = "invalid") -> Problem:
    return Problem(message=message, code=code)


def _stored(problems: Sequence[Problem]) -> list[StoredProblem]:
    errors = [p for p in problems if p.severity is Severity.ERROR] or list(problems)
    return [StoredProblem(**problem.model_dump(mode="json")) for problem in errors]


async def _vnf_fields(
    store: CatalogStore, record: CatalogRecord, loaded: LoadedPackage
) -> tuple[dict[str, Any], list[Problem]]:
    vnfd = loaded.vnfd
    if vnfd is None:
        return {}, [_problem("this is not a VNF package: its descriptor has no VNF node", "kind")]
    duplicates = [
        other.id
        for other in await store.composable(vnfd.descriptor_id, record.owner)
        if other.owner == record.owner and other.id != record.id
    ]
    if duplicates:
        # A vnfdId names one package per project (the SOL003 face and NSDs find
        # packages by it).
        text = f"VNFD {vnfd.descriptor_id} is already onboarded as VNF package {duplicates[0]}"
        return {}, [_problem(text, "duplicate")]
    images = [
        StoredImage(
            id=f"{flavour.flavour_id}:{vdu.vdu_id}" if len(vnfd.flavours) > 1 else vdu.vdu_id,
            name=image.name,
            provider=image.provider or vnfd.provider,
            version=image.version,
            algorithm=image.checksum.algorithm,
            hash=image.checksum.hash,
            container_format=image.container_format,
            disk_format=image.disk_format,
            min_disk=image.min_disk_bytes // 2**30,
            min_ram=(image.min_ram_bytes or 0) // 2**20,
            size=image.size_bytes,
            image_path=package_path(loaded, image.file) if image.file else "",
        )
        for flavour in vnfd.flavours
        for vdu in flavour.vdus
        if (image := vdu.image) is not None
    ]
    fields = {
        "descriptor_id": vnfd.descriptor_id,
        "descriptor_version": vnfd.descriptor_version,
        "provider": vnfd.provider,
        "product_name": vnfd.product_name,
        "software_version": vnfd.software_version,
        "vnfm_info": list(vnfd.vnfm_info),
        "images": images,
    }
    return fields, []


async def _nsd_fields(
    store: CatalogStore, record: CatalogRecord, loaded: LoadedPackage, late_binding: bool
) -> tuple[dict[str, Any], list[Problem]]:
    nsd = loaded.nsd
    if nsd is None:
        return {}, [_problem("this is not an NSD archive: its descriptor has no NS node", "kind")]
    names = {p.vnfd_id: p.product_name for f in nsd.flavours for p in f.vnf_profiles}
    wanted = sorted(names)
    package_ids: list[str] = []
    missing: list[str] = []
    for vnfd_id in wanted:
        found = await store.composable(vnfd_id, record.owner)
        package_ids += [package.id for package in found[:1]]
        if not found:
            missing.append(f"{names[vnfd_id]} (vnfdId {vnfd_id})" if names[vnfd_id] else vnfd_id)
    if missing and not late_binding:
        text = (
            f"the NSD names VNFs whose packages are not onboarded: {', '.join(missing)}; "
            "onboard them first"
        )
        return {}, [_problem(text, "missing-vnfd")]
    fields = {
        "descriptor_id": nsd.descriptor_id,
        "descriptor_version": nsd.version,
        "provider": nsd.designer,
        "product_name": nsd.name,
        "invariant_id": nsd.invariant_id,
        "referenced_vnfd_ids": wanted,
        "vnf_package_ids": package_ids,
    }
    return fields, []


async def _process(
    store: CatalogStore,
    record: CatalogRecord,
    work: Path,
    late_binding: bool,
    policy: SignaturePolicy,
) -> tuple[CatalogRecord, dict[str, Any] | None]:
    """The record onboarded or in ERROR, and the descriptor model to store."""
    assert record.content_key is not None
    source = await write_source(store.blobs, record.content_key, work)
    if record.kind is Kind.PNFD:
        summary = await asyncio.to_thread(pnfd_summary, source, work / "open", policy)
        fields, problems, root = summary
        loaded = None
    else:
        try:
            loaded = await asyncio.to_thread(_load, source, work / "open", policy)
        except DescriptorError as exc:
            return _failed(record, exc.problems, exc.metadata), None
        root = loaded.files.root
        if record.kind is Kind.VNF_PACKAGE:
            fields, problems = await _vnf_fields(store, record, loaded)
        else:
            fields, problems = await _nsd_fields(store, record, loaded, late_binding)
        fields["signature"] = stored_signature(loaded.files.security)
    if problems:
        manifest = loaded.files.manifest if loaded is not None else None
        return _failed(record, problems, manifest.metadata if manifest else {}), None
    described = record.but(**fields)
    files = await collect_files(store.blobs, described, root, loaded)
    done = described.but(
        onboarding_state=OnboardingState.ONBOARDED,
        # PNFDs have no operational state (SOL005 clause 5.5.2.5): they stay deletable.
        operational_state=(
            OperationalState.DISABLED if record.kind is Kind.PNFD else OperationalState.ENABLED
        ),
        files=files,
        failure=None,
    )
    return done, stored_document(loaded) if loaded else None


def _failed(
    record: CatalogRecord, problems: Sequence[Problem], metadata: Mapping[str, str] | None = None
) -> CatalogRecord:
    """In ERROR with every problem, and what the package said of itself (its manifest's
    metadata) so that lists can still name it."""
    return record.but(
        onboarding_state=OnboardingState.ERROR,
        failure=_stored(problems),
        failure_metadata=dict(metadata or {}),
    )


async def onboard_step(ctx: StepContext) -> Mapping[str, Any]:
    store = CatalogStore(ctx.redis, ctx.keyspace, ctx[BLOBS])
    kind = Kind(ctx.params["kind"])
    record = await store.find(kind, ctx.params["id"])
    if record is None or record.onboarding_state is not OnboardingState.PROCESSING:
        return {"skipped": True}  # deleted, or a previous run already finished it
    with ctx[SCRATCH].directory("onboard") as work:
        try:
            late = bool(ctx.params.get("lateBinding"))
            policy = policy_from(ctx.params)
            done, model = await _process(store, record, Path(work), late, policy)
        except (LeaseLost, TransientError, StoreUnavailable, ConnectionError, TimeoutError):
            raise  # the runner retries or hands the job over
        except Exception:
            # A bug, not the package's fault: the record must not stay PROCESSING.
            LOG.exception("onboarding %s %s failed unexpectedly", kind.value, record.id)
            text = f"onboarding failed unexpectedly; quote job {ctx.job_id} to the operator"
            done, model = _failed(record, [_problem(text, "internal")]), None
    if model is not None:
        await store.put_model(record.id, model, guards=[ctx.fence])
    await store.save(done, version=None, guards=[ctx.fence])
    return {"state": done.onboarding_state.value}


async def notify_step(ctx: StepContext) -> Mapping[str, Any]:
    """Queue the notification of the stored outcome (ONBOARDED or ERROR)."""
    store = CatalogStore(ctx.redis, ctx.keyspace, ctx[BLOBS])
    record = await store.find(Kind(ctx.params["kind"]), ctx.params["id"])
    event = _OUTCOMES.get(record.onboarding_state) if record else None
    if record is None or event is None:
        return {"skipped": True}  # deleted meanwhile, or onboarding did not finish
    try:
        queued = await Notices(ctx[NOTIFIER]).publish(record, event)
    except (RedisError, StoreUnavailable, ConnectionError, TimeoutError) as exc:
        if ctx.attempt < NOTIFY_ATTEMPTS:
            raise TransientError(f"notifications not queued: {exc}") from exc
        LOG.warning("the %s notification of %s %s was not queued: %s", event, noun(record.kind),
                    record.id, exc)  # fmt: skip
        return {"queued": 0, "error": str(exc)}
    except Exception:
        # A bug in building the notification: onboarding itself is done and stored.
        LOG.exception("the %s notification of %s %s failed", event, noun(record.kind), record.id)
        return {"queued": 0, "error": "unexpected"}
    return {"queued": queued}


def _plan(params: Mapping[str, Any]) -> list[Step]:
    onboard = Step("onboard", onboard_step, timeout=ONBOARD_TIMEOUT, max_attempts=3)
    notify = Step("notify", notify_step, max_attempts=NOTIFY_ATTEMPTS)
    if params.get("uri"):
        return sequence(Step("fetch", fetch_step, max_attempts=2), onboard, notify)
    return sequence(onboard, notify)


def register_onboarding(registry: JobRegistry) -> None:
    registry.register(
        ONBOARD_JOB, _plan, timeout=ONBOARD_TIMEOUT + 600, needs=(BLOBS, NOTIFIER, SECRETS, SCRATCH)
    )
