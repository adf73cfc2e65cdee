"""Day-1 configuration: a VDU's ``boot_data`` rendered into cloud-init user data.

SOL001 2.x gives ``boot_data`` as a string; 3.x and later as a BootData map whose
``content_or_file_data.content`` is the template and ``kvp_data.data.template`` names
its language (``jinja2``, the only one rendered; without it the content is used as is).
The variables are the instantiation's ``additionalParams`` (scalars at its top level)
and what the VNFM learns while it builds the VNFC:

- ``<cp>_address``: the first fixed IP the port of VduCp ``<cp>`` really got (read back
  from Neutron), also under the CP id without its VDU's prefix (``upf_n3`` ->
  ``n3_address``), which is how the shipped packages name them;
- ``vnf_instance_id``, ``vdu_id``, ``vnfc_index``, ``hostname``.

Rendering is strict: an undefined variable is an error. :func:`missing_variables` finds
them before anything is created (at instantiate), naming the VDU and the variables.
The sandbox keeps templates from reaching Python objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import StrictUndefined, TemplateError, meta
from jinja2.sandbox import SandboxedEnvironment

from descriptors.model import Vdu, VduCp

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True)
BUILT_IN = ("vnf_instance_id", "vdu_id", "vnfc_index", "hostname")


class Day1Error(ValueError):
    """The boot data cannot be rendered; the message names the VDU and why."""


def template_of(vdu: Vdu) -> str | None:
    """The user-data template of ``vdu``, or None when it has no boot data."""
    boot = vdu.boot_data
    if boot is None or boot.content is None:
        return None
    return boot.content


def is_jinja(vdu: Vdu) -> bool:
    boot = vdu.boot_data
    language = (boot.kvp_data.get("template") if boot else None) or ""
    return language.lower() in ("jinja2", "jinja")


def address_names(vdu_id: str, cp_id: str) -> tuple[str, ...]:
    """The variables carrying the address of ``cp_id``'s port."""
    names = [f"{cp_id}_address"]
    short = cp_id.removeprefix(f"{vdu_id}_")
    if short != cp_id:
        names.append(f"{short}_address")
    return tuple(names)


def parameters(additional_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The scalar ``additionalParams`` a template may use."""
    return {
        name: value
        for name, value in (additional_params or {}).items()
        if isinstance(value, str | int | float | bool)
    }


def known_names(
    vdu: Vdu, cps: Iterable[VduCp], additional_params: Mapping[str, Any] | None
) -> set[str]:
    names = set(BUILT_IN) | set(parameters(additional_params))
    for cp in cps:
        if cp.vdu_id == vdu.vdu_id:
            names.update(address_names(vdu.vdu_id, cp.cp_id))
    return names


def missing_variables(
    vdu: Vdu, cps: Iterable[VduCp], additional_params: Mapping[str, Any] | None
) -> list[str]:
    """The variables ``vdu``'s template uses that nothing will define (sorted)."""
    template = template_of(vdu)
    if template is None or not is_jinja(vdu):
        return []
    try:
        used = meta.find_undeclared_variables(_ENVIRONMENT.parse(template))
    except TemplateError as error:
        raise Day1Error(
            f"VDU {vdu.vdu_id}: the boot data is not a valid template: {error}"
        ) from None
    return sorted(used - known_names(vdu, cps, additional_params))


def render(vdu: Vdu, variables: Mapping[str, Any]) -> str | None:
    """The user data of one VNFC of ``vdu``; Day1Error names an undefined variable."""
    template = template_of(vdu)
    if template is None or not is_jinja(vdu):
        return template
    try:
        return _ENVIRONMENT.from_string(template).render(**variables)
    except TemplateError as error:
        raise Day1Error(f"VDU {vdu.vdu_id}: the boot data cannot be rendered: {error}") from None
