"""Package signatures in the catalogue: the policy an onboarding job verifies under, and
the record of who signed what.

The policy is fixed when the job is queued (``package_signature_policy`` and the trust
anchors of the package's project, docs/configuration.md) and travels in the job's
parameters, so whichever worker runs the job verifies the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from descriptors.package_security import PackageSecurity, SignatureMode, SignaturePolicy
from nfvo.catalog.records import StoredSignature

PARAM = "signatures"


def policy_params(mode: str, trust_anchors: Path | None) -> dict[str, Any]:
    return {"mode": mode, "trustAnchors": str(trust_anchors) if trust_anchors else None}


def policy_from(params: Mapping[str, Any]) -> SignaturePolicy:
    """The policy a job was queued with (the default one for a job queued without)."""
    given = params.get(PARAM) or {}
    anchors = given.get("trustAnchors")
    return SignaturePolicy(
        mode=SignatureMode(given.get("mode", SignatureMode.VERIFY_IF_PRESENT)),
        trust_anchors=Path(anchors) if anchors else None,
    )


def stored_signature(security: PackageSecurity) -> StoredSignature | None:
    """Who signed the package, as stored on its record; None when it is not signed."""
    if security.option is None or not security.signatures:
        return None
    first = security.signatures[0]
    return StoredSignature(
        security_option=security.option.value,
        signer=first.signer,
        issuer=first.issuer,
        certificate_sha256=first.certificate_sha256,
        chain=list(first.chain),
        signing_time=first.signing_time.isoformat() if first.signing_time else None,
        artifacts={artifact.covers: artifact.signer for artifact in security.artifacts},
    )
