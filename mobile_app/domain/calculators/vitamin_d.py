"""Vitamin D status by serum 25(OH)D and the repletion / maintenance plan.

Sources (figures in ``calculators/vitamin_d_plan.json``):

* Holick MF et al. J Clin Endocrinol Metab 2011;96:1911-30: deficiency below 20 ng/mL
  (50 nmol/L), insufficiency 21–29 ng/mL, repletion 50,000 IU weekly × 8 weeks or 6000 IU/day,
  then maintenance.
* Demay MB et al. J Clin Endocrinol Metab 2024;109:1907-47: no longer endorses the ≥30 ng/mL
  "sufficiency" target; shown as a caveat on every result.

The level is classified in the unit it was entered in, with the cut-offs published for that
unit (74.9 nmol/L is insufficient although it converts to 30.01 ng/mL), and shown with enough
digits to fall in the category used. Above the toxicity cut-off the plan gives no vitamin D at
all (not even the supplement that usually accompanies bone-targeted agents).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.display import exact, format_decisive, format_number
from mobile_app.domain.models import (
    Cited,
    Figure,
    Frozen,
    Note,
    PlanSection,
    Result,
    Step,
    worst_evidence,
)
from mobile_app.domain.units import VITAMIN_D, VitaminDUnit

__all__ = ["VITAMIN_D_PLAN", "VitaminDInput", "VitaminDParams", "VitaminDResult", "vitamin_d_plan"]

Category = Literal["deficient", "insufficient", "sufficient", "high"]
CATEGORIES: tuple[Category, ...] = ("deficient", "insufficient", "sufficient", "high")


class VitaminDInput(CalculatorInput):
    """Serum 25-hydroxyvitamin D."""

    level: float = Field(title="25(OH)D level", description="Serum 25-hydroxyvitamin D",
                         json_schema_extra={"unit_field": "unit"})
    unit: VitaminDUnit = Field(VitaminDUnit.NG_ML, title="Unit")

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        VITAMIN_D.check("level", self.level, self.unit)
        return self


class Cutoffs(Frozen):
    """Cut-offs in one unit.

    Deficient below ``deficient_below``; sufficient from ``sufficient_from``; insufficient in
    between; above ``high_above`` the level is in the potentially toxic range.
    """

    deficient_below: float = Field(gt=0)
    sufficient_from: float = Field(gt=0)
    high_above: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if not self.deficient_below < self.sufficient_from < self.high_above:
            raise ValueError("vitamin D cut-offs must increase")
        return self

    def category(self, level: Fraction) -> Category:
        """The category of a level in this unit."""
        if level < exact(self.deficient_below):
            return "deficient"
        if level < exact(self.sufficient_from):
            return "insufficient"
        if level > exact(self.high_above):
            return "high"
        return "sufficient"


class VitaminDCutoffs(Cited):
    """Cut-offs published in each unit."""

    ng_ml: Cutoffs
    nmol_l: Cutoffs


class Plan(Cited):
    """What to do for one category (``refs``: the source of its wording and cut-offs)."""

    label: str
    severity: Literal["normal", "info", "warning", "danger"]
    interpretation: str
    """May contain ``{level}`` and ``{other}`` (the level in the unit entered and the other)."""
    repletion: tuple[Note, ...] = ()
    maintenance: tuple[Note, ...] = ()
    recheck: tuple[Note, ...] = ()
    next_steps: tuple[Note, ...] | None = None
    """Replaces the usual "before bone-targeted agents" steps (the high category gives none
    that include vitamin D)."""
    calcium_intake: bool = True
    """Whether the usual calcium-intake advice applies."""


class VitaminDParams(Frozen):
    """Knowledge-base parameters of the vitamin D plan."""

    cutoffs: VitaminDCutoffs
    plans: dict[Category, Plan]
    calcium_intake: tuple[Note, ...] = ()
    before_bone_agents: tuple[Note, ...] = ()
    caveats: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _every_category(self) -> Self:
        missing = set(CATEGORIES) - set(self.plans)
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
    level = exact(inp.level)
    category = cut.category(level)
    plan = params.plans[category]
    ng = VITAMIN_D.convert_exact(inp.level, inp.unit, VitaminDUnit.NG_ML)
    nmol = VITAMIN_D.convert_exact(inp.level, inp.unit, VitaminDUnit.NMOL_L)
    other_unit = VITAMIN_D.other(inp.unit)
    other_value = nmol if inp.unit == VitaminDUnit.NG_ML else ng
    level_text = f"{format_decisive(level, 1, cut.category)} {inp.unit}"
    other_text = f"{format_number(other_value, 1)} {other_unit}"
    factor = format_number(VITAMIN_D.si_per_conventional, 3)
    steps = (
        Step(label="25(OH)D", value=inp.level, unit=inp.unit),
        Step(label="25(OH)D (other unit)", value=float(other_value), unit=other_unit,
             detail=f"1 ng/mL = {factor} nmol/L; display only, classification uses the "
             "entered unit"),
        Step(label="Cut-offs", value=category,
             detail=f"deficient < {format_number(cut.deficient_below)} {inp.unit}; sufficient ≥ "
             f"{format_number(cut.sufficient_from)} {inp.unit}; above "
             f"{format_number(cut.high_above)} {inp.unit}: potentially toxic"),
    )
    calcium_intake = params.calcium_intake if plan.calcium_intake else ()
    next_steps = params.before_bone_agents if plan.next_steps is None else plan.next_steps
    sections = [PlanSection(key=key, title=title, items=items) for key, title, items in (
        ("repletion", "Repletion", plan.repletion),
        ("maintenance", "Maintenance", plan.maintenance),
        ("recheck", "Recheck", plan.recheck),
        ("calcium_intake", "Calcium intake", calcium_intake),
    ) if items]
    notes = [n for s in sections for n in s.items]
    interpretation = plan.interpretation.replace("{level}", level_text).replace(
        "{other}", other_text)
    return VitaminDResult(
        calculator="vitamin_d_plan",
        inputs={"level": inp.level, "unit": str(inp.unit)},
        category=category,
        category_label=plan.label,
        severity=plan.severity,
        interpretation=interpretation,
        next_steps=next_steps,
        warnings=params.caveats,
        steps=steps,
        refs=tuple(dict.fromkeys((*params.cutoffs.refs, *plan.refs))),
        evidence=worst_evidence([params.cutoffs.evidence, plan.evidence,
                                 *(n.evidence for n in notes)]),
        figures=(
            Figure(key="level", label="25(OH)D", text=f"{level_text} = {other_text}",
                   value=inp.level, unit=str(inp.unit), summary=True),
            Figure(key="status", label="Status", text=plan.label, value=category,
                   summary=True, tone=plan.severity, evidence=params.cutoffs.evidence),
        ),
        plan=tuple(sections),
        level_ng_ml=float(ng),
        level_nmol_l=float(nmol),
        unit=inp.unit,
        repletion=plan.repletion,
        maintenance=plan.maintenance,
        recheck=plan.recheck,
        calcium_intake=calcium_intake,
    )


VITAMIN_D_PLAN: CalculatorSpec[VitaminDInput, VitaminDParams, VitaminDResult] = CalculatorSpec(
    id="vitamin_d_plan",
    input_model=VitaminDInput,
    params_model=VitaminDParams,
    compute=vitamin_d_plan,
)
