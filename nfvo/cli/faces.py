"""How each kind of API resource is addressed; light, so commands can name them at
import without loading an HTTP client."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Face:
    """One kind of resource: its container and interface version (the ``Version``
    header); for catalogue entries also their content, state attributes, table
    columns, and the attributes an operator may name an entry by besides its id."""

    container: str
    content: str
    version: str
    state: str
    operational: str
    columns: tuple[str, ...]
    names: tuple[str, ...] = ()
    command: str = ""  # the command group that manages them, for hints


PACKAGES = Face(
    "/vnfpkgm/v2/vnf_packages",
    "package_content",
    "2.4.0",
    "onboardingState",
    "operationalState",
    ("id", "vnfProductName", "vnfSoftwareVersion", "onboardingState", "operationalState"),
    ("vnfProductName", "vnfdId"),
    "nfvo package",
)
NSDS = Face(
    "/nsd/v2/ns_descriptors",
    "nsd_content",
    "2.3.0",
    "nsdOnboardingState",
    "nsdOperationalState",
    ("id", "nsdName", "nsdVersion", "nsdOnboardingState", "nsdOperationalState"),
    ("nsdName", "nsdId"),
    "nfvo nsd",
)
FINAL_STATES = ("ONBOARDED", "ERROR")
#: What the onboarding job does in each state (SOL005 states; the job's steps in order).
STEP_OF_STATE = {
    "CREATED": "waiting for content",
    "UPLOADING": "fetching the content",
    "PROCESSING": "checking the package and storing its files",
}
