"""Every calculator of the app, by public id.

The figures each one uses live in the knowledge base (``knowledge/data/calculators/<id>.json``);
:mod:`mobile_app.knowledge.loader` binds them to these specs.

:data:`CALCULATORS` is the one list: id → ``module:NAME`` of its
:class:`~mobile_app.domain.calculators.base.CalculatorSpec`. A calculator's module (its
pydantic models and compute code) is imported the first time its spec is asked for, so a
screen that only lists calculators never imports them (issue 12: start-up time).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from mobile_app.domain.calculators.base import CalculatorSpec

__all__ = ["CALCULATORS", "REGISTRY", "CalculatorSpec", "spec_of"]

CALCULATORS: Mapping[str, str] = {
    "sins": "scores:SINS",
    "mirels": "scores:MIRELS",
    "corrected_calcium": "corrected_calcium:CORRECTED_CALCIUM",
    "crcl_zoledronic": "crcl_zoledronic:CRCL_ZOLEDRONIC",
    "vitamin_d_plan": "vitamin_d:VITAMIN_D_PLAN",
    "calcium_dosing": "calcium_dosing:CALCIUM_DOSING",
    "bed_eqd2": "bed_eqd2:BED_EQD2",
}
"""Calculator id → ``module:NAME`` (module relative to this package)."""


@cache
def spec_of(calc_id: str) -> CalculatorSpec[Any, Any, Any]:
    """The spec of calculator ``calc_id``, importing its module on first use.

    Raises:
        KeyError: No calculator has this id.
        LookupError: The module's spec has another id than the one it is listed under.
    """
    module, _, name = CALCULATORS[calc_id].partition(":")
    spec: CalculatorSpec[Any, Any, Any] = getattr(
        importlib.import_module(f"{__name__}.{module}"), name)
    if spec.id != calc_id:
        raise LookupError(f"{module}.{name} has id {spec.id!r}, listed as {calc_id!r}")
    return spec


class _Registry(Mapping[str, CalculatorSpec[Any, Any, Any]]):
    """Id → spec, read-only; ids are known without importing, specs are imported on access."""

    def __getitem__(self, calc_id: str) -> CalculatorSpec[Any, Any, Any]:
        return spec_of(calc_id)

    def __iter__(self) -> Iterator[str]:
        return iter(CALCULATORS)

    def __len__(self) -> int:
        return len(CALCULATORS)

    def __contains__(self, calc_id: object) -> bool:
        return calc_id in CALCULATORS


REGISTRY: Mapping[str, CalculatorSpec[Any, Any, Any]] = _Registry()
"""Every calculator by id (a spec is imported when it is first looked up)."""
