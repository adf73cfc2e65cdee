"""EPA-aware placement (docs/placement.md).

Public API: :func:`nfvo.placement.engine.plan` / :func:`~nfvo.placement.engine.place`
over a :class:`nfvo.vim.infrastructure.CapacityView`, and
:func:`nfvo.placement.flavours.grant_placement` for the Grant's fields.
"""
