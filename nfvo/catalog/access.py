"""Who may read or change a catalogue entry (tenancy, docs/api.md).

An entry belongs to the project that created it. ``None`` as the viewer is the
orchestrator itself (onboarding jobs, lifecycle code), which sees everything. The
VNFM's client (``vnfpkgm:read-onboarded``) reads every ONBOARDED VNF package, whoever
owns it, and changes none it does not own.
"""

from __future__ import annotations

from nfvo.catalog.records import CatalogRecord, Kind
from nfvo.catalog.wire import OnboardingState
from nfvo.sol.tenancy import OWNER, READ_ONBOARDED_SCOPE, visible
from nfvo.sol.tokens import Principal

Viewer = Principal | None


def may_change(viewer: Viewer, record: CatalogRecord) -> bool:
    return viewer is None or visible(viewer, {OWNER: record.owner})


def may_read(viewer: Viewer, record: CatalogRecord) -> bool:
    if may_change(viewer, record):
        return True
    assert viewer is not None
    return (
        READ_ONBOARDED_SCOPE in viewer.scopes
        and record.kind is Kind.VNF_PACKAGE
        and record.onboarding_state is OnboardingState.ONBOARDED
    )
