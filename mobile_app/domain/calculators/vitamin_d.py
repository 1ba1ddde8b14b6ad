"""Vitamin D status by serum 25(OH)D and the repletion / maintenance plan.

Sources (figures in ``calculators/vitamin_d_plan.json``):

* Holick MF et al. J Clin Endocrinol Metab 2011;96:1911-30: deficiency below 20 ng/mL
  (50 nmol/L), insufficiency 21–29 ng/mL, repletion 50,000 IU weekly × 8 weeks or 6000 IU/day,
  then maintenance.
* Demay MB et al. J Clin Endocrinol Metab 2024;109:1907-47: no longer endorses the ≥30 ng/mL
  "sufficiency" target; shown as a caveat on every result.

The level is classified in the unit it was entered in, with the cut-offs published for that
unit (74.9 nmol/L is insufficient although it converts to 30.01 ng/mL).
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.models import Cited, Frozen, Note, Result, Step, worst_evidence
from mobile_app.domain.units import VITAMIN_D, VitaminDUnit, format_number

__all__ = ["VITAMIN_D_PLAN", "VitaminDInput", "VitaminDParams", "VitaminDResult", "vitamin_d_plan"]

Category = Literal["deficient", "insufficient", "sufficient"]


class VitaminDInput(CalculatorInput):
    """Serum 25-hydroxyvitamin D."""

    level: float = Field(title="25(OH)D level", description="Serum 25-hydroxyvitamin D")
    unit: VitaminDUnit = Field(VitaminDUnit.NG_ML, title="Unit")

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        VITAMIN_D.check("level", self.level, self.unit)
        return self


class Cutoffs(Frozen):
    """Cut-offs in one unit.

    Deficient below ``deficient_below``; sufficient from ``sufficient_from``; insufficient in
    between.
    """

    deficient_below: float = Field(gt=0)
    sufficient_from: float = Field(gt=0)
    high_above: float = Field(gt=0)
    """Above this, supplements are stopped and calcium checked."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.deficient_below < self.sufficient_from < self.high_above:
            raise ValueError("vitamin D cut-offs must increase")
        return self


class VitaminDCutoffs(Cited):
    """Cut-offs published in each unit."""

    ng_ml: Cutoffs
    nmol_l: Cutoffs


class Plan(Cited):
    """What to do for one category (``refs``: the source of its wording and cut-offs)."""

    label: str
    severity: Literal["normal", "info", "warning", "danger"]
    interpretation: str
    repletion: tuple[Note, ...] = ()
    maintenance: tuple[Note, ...] = ()
    recheck: tuple[Note, ...] = ()


class VitaminDParams(Frozen):
    """Knowledge-base parameters of the vitamin D plan."""

    cutoffs: VitaminDCutoffs
    plans: dict[Category, Plan]
    high_level: tuple[Note, ...] = Field(min_length=1)
    calcium_intake: tuple[Note, ...] = ()
    before_bone_agents: tuple[Note, ...] = ()
    caveats: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _every_category(self) -> Self:
        missing = {"deficient", "insufficient", "sufficient"} - set(self.plans)
        if missing:
            raise ValueError(f"vitamin D plans missing: {sorted(missing)}")
        return self


class VitaminDResult(Result):
    """Vitamin D category and plan."""

    level_ng_ml: float
    level_nmol_l: float
    unit: VitaminDUnit
    repletion: tuple[Note, ...]
    maintenance: tuple[Note, ...]
    recheck: tuple[Note, ...]
    calcium_intake: tuple[Note, ...]


def vitamin_d_plan(inp: VitaminDInput, params: VitaminDParams) -> VitaminDResult:
    """Classify 25(OH)D in the unit entered and return the plan for that category."""
    cut = params.cutoffs.ng_ml if inp.unit == VitaminDUnit.NG_ML else params.cutoffs.nmol_l
    if inp.level < cut.deficient_below:
        category: Category = "deficient"
    elif inp.level < cut.sufficient_from:
        category = "insufficient"
    else:
        category = "sufficient"
    plan = params.plans[category]
    ng = VITAMIN_D.convert(inp.level, inp.unit, VitaminDUnit.NG_ML)
    nmol = VITAMIN_D.convert(inp.level, inp.unit, VitaminDUnit.NMOL_L)
    other_unit = VITAMIN_D.other(inp.unit)
    other_value = nmol if inp.unit == VitaminDUnit.NG_ML else ng
    steps = (
        Step(label="25(OH)D", value=inp.level, unit=inp.unit),
        Step(label="25(OH)D (other unit)", value=other_value, unit=other_unit,
             detail="1 ng/mL = 2.496 nmol/L; display only, classification uses the entered unit"),
        Step(label="Cut-offs", value=category,
             detail=f"deficient < {format_number(cut.deficient_below)} {inp.unit}; sufficient ≥ "
             f"{format_number(cut.sufficient_from)} {inp.unit}"),
    )
    warnings = list(params.caveats)
    severity = plan.severity
    repletion, maintenance = plan.repletion, plan.maintenance
    if inp.level > cut.high_above:
        warnings = [*params.high_level, *warnings]
        severity = "warning"
        repletion, maintenance = (), ()
    notes = (*repletion, *maintenance, *plan.recheck, *params.calcium_intake, *warnings)
    return VitaminDResult(
        calculator="vitamin_d_plan",
        inputs={"level": inp.level, "unit": str(inp.unit)},
        category=category,
        category_label=plan.label,
        severity=severity,
        interpretation=plan.interpretation.replace(
            "{level}", f"{format_number(inp.level)} {inp.unit}"
        ).replace("{other}", f"{format_number(other_value)} {other_unit}"),
        next_steps=params.before_bone_agents,
        warnings=tuple(warnings),
        steps=steps,
        refs=params.cutoffs.refs,
        evidence=worst_evidence([params.cutoffs.evidence, *(n.evidence for n in notes)]),
        level_ng_ml=ng,
        level_nmol_l=nmol,
        unit=inp.unit,
        repletion=repletion,
        maintenance=maintenance,
        recheck=plan.recheck,
        calcium_intake=params.calcium_intake,
    )


VITAMIN_D_PLAN: CalculatorSpec[VitaminDInput, VitaminDParams, VitaminDResult] = CalculatorSpec(
    id="vitamin_d_plan",
    input_model=VitaminDInput,
    params_model=VitaminDParams,
    result_model=VitaminDResult,
    compute=vitamin_d_plan,
)
