"""Every calculator of the app, by public id.

The figures each one uses live in the knowledge base (``knowledge/data/calculators/<id>.json``);
:mod:`mobile_app.knowledge.loader` binds them to these specs.
"""

from __future__ import annotations

from typing import Any

from mobile_app.domain.calculators.base import CalculatorSpec
from mobile_app.domain.calculators.bed_eqd2 import BED_EQD2
from mobile_app.domain.calculators.calcium_dosing import CALCIUM_DOSING
from mobile_app.domain.calculators.corrected_calcium import CORRECTED_CALCIUM
from mobile_app.domain.calculators.crcl_zoledronic import CRCL_ZOLEDRONIC
from mobile_app.domain.calculators.scores import MIRELS, SINS
from mobile_app.domain.calculators.vitamin_d import VITAMIN_D_PLAN

__all__ = ["REGISTRY", "CalculatorSpec"]

REGISTRY: dict[str, CalculatorSpec[Any, Any, Any]] = {
    spec.id: spec
    for spec in (
        SINS,
        MIRELS,
        CORRECTED_CALCIUM,
        CRCL_ZOLEDRONIC,
        VITAMIN_D_PLAN,
        CALCIUM_DOSING,
        BED_EQD2,
    )
}
