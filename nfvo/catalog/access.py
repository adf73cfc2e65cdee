"""Who may read or change a catalogue entry (tenancy, docs/api.md, docs/security.md).

An entry belongs to the project that created it. ``None`` as the viewer is the
orchestrator itself (onboarding jobs, lifecycle code), which sees everything. The
VNFM's client (``vnfpkgm:read-onboarded``) reads every ONBOARDED VNF package, whoever
owns it, and changes none it does not own.

A vnfdId names one VNF package per project. An NSD resolves its VNFDs among its own
project's packages, then among those an administrator published to every project by
setting ``userDefinedData`` key :data:`SHARED` to true; such a package, once ONBOARDED,
can be read by id from any project (it is listed only in its owner's).
"""

from __future__ import annotations

from nfvo.catalog.records import CatalogRecord, Kind
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.tenancy import OWNER, READ_ONBOARDED_SCOPE, visible
from nfvo.sol.tokens import Principal

Viewer = Principal | None
#: The ``userDefinedData`` key (true) that publishes a VNF package to every project.
SHARED = "nfvo.shared"


def is_shared(record: CatalogRecord) -> bool:
    return record.kind is Kind.VNF_PACKAGE and record.user_defined_data.get(SHARED) is True


def resolves_for(project: str, record: CatalogRecord) -> bool:
    """Whether an NSD of ``project`` may compose the onboarded VNF package ``record``."""
    onboarded = record.onboarding_state is OnboardingState.ONBOARDED
    return onboarded and (record.owner == project or is_shared(record))


def may_change(viewer: Viewer, record: CatalogRecord) -> bool:
    return viewer is None or visible(viewer, {OWNER: record.owner})


def may_read(viewer: Viewer, record: CatalogRecord) -> bool:
    if may_change(viewer, record):
        return True
    assert viewer is not None
    readable = READ_ONBOARDED_SCOPE in viewer.scopes or is_shared(record)
    return (
        readable
        and record.kind is Kind.VNF_PACKAGE
        and record.onboarding_state is OnboardingState.ONBOARDED
    )
