"""The VNF manager's job types, registered in its own runtime's registry."""

from __future__ import annotations

from nfvo.store.steps import JobRegistry
from nfvo.vim.registry import VIMS
from vnfm import instantiation, operating, scaling, termination
from vnfm.lifecycle import LIFECYCLE, ROLLBACK_JOB
from vnfm.nfvo_client import NFVO
from vnfm.packages import PACKAGES

NEEDS = (LIFECYCLE, PACKAGES, NFVO, VIMS)


def register_jobs(registry: JobRegistry) -> None:
    registry.register(instantiation.JOB_TYPE, instantiation.plan, needs=NEEDS)
    registry.register("vnfm.terminate", termination.TERMINATE, needs=NEEDS)
    registry.register(ROLLBACK_JOB, termination.ROLLBACK, needs=NEEDS)
    registry.register(scaling.JOB_TYPE, scaling.plan, needs=NEEDS)
    registry.register(operating.OPERATE_JOB, operating.plan_operate, needs=NEEDS)
    registry.register(operating.HEAL_JOB, operating.plan_heal, needs=NEEDS)
