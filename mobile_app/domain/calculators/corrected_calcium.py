"""Albumin-corrected calcium with CTCAE grading.

Sources (figures in ``calculators/corrected_calcium.json``):

* Payne RB et al. BMJ 1973;4(5893):643-6, as commonly simplified:
  Ca_corr (mg/dL) = Ca + 0.8 × (4.0 − albumin g/dL);
  Ca_corr (mmol/L) = Ca + 0.02 × (40 − albumin g/L).
* NCI CTCAE v4.03/v5.0 hypercalcaemia and hypocalcaemia grades (graded in the unit entered,
  because the published mg/dL and mmol/L cut-offs are not exact conversions of each other).

The formula is applied in the calcium's own unit system; albumin is converted exactly
(1 g/dL = 10 g/L) when the two are entered in different systems. Nothing is rounded.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.errors import InputError
from mobile_app.domain.models import Cited, Frozen, Note, Result, Step, worst_evidence
from mobile_app.domain.units import ALBUMIN, CALCIUM, AlbuminUnit, CalciumUnit, format_number

__all__ = [
    "CORRECTED_CALCIUM",
    "CorrectedCalciumInput",
    "CorrectedCalciumParams",
    "CorrectedCalciumResult",
    "corrected_calcium",
]


class CorrectedCalciumInput(CalculatorInput):
    """Total serum calcium and albumin, each with its unit."""

    calcium: float = Field(title="Calcium", description="Total serum calcium")
    calcium_unit: CalciumUnit = Field(CalciumUnit.MG_DL, title="Calcium unit")
    albumin: float = Field(title="Albumin", description="Serum albumin")
    albumin_unit: AlbuminUnit = Field(AlbuminUnit.G_DL, title="Albumin unit")
    lower_limit: float | None = Field(
        None,
        title="Lab lower limit of normal",
        description="Your lab's lower reference limit for calcium, in the calcium unit "
        "(default: the typical range in the knowledge base)",
    )
    upper_limit: float | None = Field(
        None,
        title="Lab upper limit of normal",
        description="Your lab's upper reference limit for calcium, in the calcium unit",
    )

    @model_validator(mode="after")
    def _plausible(self) -> CorrectedCalciumInput:
        CALCIUM.check("calcium", self.calcium, self.calcium_unit)
        ALBUMIN.check("albumin", self.albumin, self.albumin_unit)
        for name in ("lower_limit", "upper_limit"):
            value = getattr(self, name)
            if value is not None:
                CALCIUM.check(name, value, self.calcium_unit)
        if (
            self.lower_limit is not None
            and self.upper_limit is not None
            and self.lower_limit >= self.upper_limit
        ):
            raise InputError(
                "lower_limit",
                self.lower_limit,
                f"Lab lower limit ({format_number(self.lower_limit)}) must be below the upper "
                f"limit ({format_number(self.upper_limit)}) {self.calcium_unit}.",
            )
        return self


class UnitPair(Frozen):
    """A figure published in both calcium units."""

    mg_dl: float = Field(gt=0)
    mmol_l: float = Field(gt=0)

    def in_unit(self, unit: CalciumUnit) -> float:
        """The figure in ``unit`` (as published, not converted)."""
        return self.mg_dl if unit == CalciumUnit.MG_DL else self.mmol_l


class CorrectionFormula(Cited):
    """Payne's correction, as commonly simplified."""

    normal_albumin_g_dl: float = Field(gt=0)
    slope_mg_dl_per_g_dl: float = Field(gt=0)
    normal_albumin_g_l: float = Field(gt=0)
    slope_mmol_l_per_g_l: float = Field(gt=0)


class CtcaeCalciumGrades(Cited):
    """CTCAE cut-offs in both units.

    The upper edge of hypercalcaemia grades 1-3 and the lower edge of hypocalcaemia grades
    1-3; grade 4 lies beyond the grade 3 edge.
    """

    hyper_upper_edges: tuple[UnitPair, UnitPair, UnitPair]
    hypo_lower_edges: tuple[UnitPair, UnitPair, UnitPair]


class ReferenceRange(Cited):
    """Default lab reference range (used when the lab's own limits are not given)."""

    lower: UnitPair
    upper: UnitPair


class Threshold(Cited):
    """A cited threshold in both units with what it means."""

    value: UnitPair
    note: str


class SevereThreshold(Cited):
    """Severe hypocalcaemia threshold.

    Published in mmol/L only; compared after exact conversion of the corrected value.
    """

    below_mmol_l: float = Field(gt=0)
    note: str


class CorrectedCalciumParams(Frozen):
    """Knowledge-base parameters of the corrected-calcium calculator."""

    formula: CorrectionFormula
    grades: CtcaeCalciumGrades
    reference_range: ReferenceRange
    hypercalcemia_of_malignancy: Threshold
    """Label definition of hypercalcaemia of malignancy (zoledronic acid PI): at or above."""
    severe_hypocalcemia: SevereThreshold
    """Society for Endocrinology: severe below this value (or symptomatic)."""
    caveats: tuple[Note, ...] = ()
    hypo_advice: tuple[Note, ...] = ()
    hyper_advice: tuple[Note, ...] = ()


class CorrectedCalciumResult(Result):
    """Corrected calcium in the calcium's unit, with the other unit alongside."""

    corrected_calcium: float
    unit: CalciumUnit
    corrected_calcium_mg_dl: float
    corrected_calcium_mmol_l: float
    ctcae_grade: int
    """0 when within the reference range."""
    direction: Literal["low", "normal", "high"]


def _grade(
    value: float, unit: CalciumUnit, lln: float, uln: float, grades: CtcaeCalciumGrades
) -> tuple[Literal["low", "normal", "high"], int]:
    hyper = [e.in_unit(unit) for e in grades.hyper_upper_edges]
    hypo = [e.in_unit(unit) for e in grades.hypo_lower_edges]
    # Hypocalcaemia: G4 < edge3; G3 < edge2; G2 < edge1; G1 below the lab's LLN.
    if value < hypo[2]:
        return "low", 4
    if value < hypo[1]:
        return "low", 3
    if value < hypo[0]:
        return "low", 2
    if value < lln:
        return "low", 1
    # Hypercalcaemia: G4 > edge3; G3 > edge2; G2 > edge1; G1 above the lab's ULN.
    if value > hyper[2]:
        return "high", 4
    if value > hyper[1]:
        return "high", 3
    if value > hyper[0]:
        return "high", 2
    if value > uln:
        return "high", 1
    return "normal", 0


def corrected_calcium(
    inp: CorrectedCalciumInput, params: CorrectedCalciumParams
) -> CorrectedCalciumResult:
    """Albumin-corrected total calcium, graded by CTCAE in the unit entered."""
    f = params.formula
    unit = inp.calcium_unit
    steps = [
        Step(label="Calcium (measured)", value=inp.calcium, unit=unit),
        Step(label="Albumin", value=inp.albumin, unit=inp.albumin_unit),
    ]
    if unit == CalciumUnit.MG_DL:
        alb = ALBUMIN.convert(inp.albumin, inp.albumin_unit, AlbuminUnit.G_DL)
        normal, slope, alb_unit = f.normal_albumin_g_dl, f.slope_mg_dl_per_g_dl, AlbuminUnit.G_DL
    else:
        alb = ALBUMIN.convert(inp.albumin, inp.albumin_unit, AlbuminUnit.G_L)
        normal, slope, alb_unit = f.normal_albumin_g_l, f.slope_mmol_l_per_g_l, AlbuminUnit.G_L
    if alb_unit != inp.albumin_unit:
        steps.append(Step(label="Albumin (converted)", value=alb, unit=alb_unit))
    correction = slope * (normal - alb)
    value = inp.calcium + correction
    steps.append(
        Step(
            label="Correction",
            value=correction,
            unit=unit,
            detail=f"{format_number(slope, 3)} × ({format_number(normal)} − albumin {alb_unit})",
        )
    )
    steps.append(
        Step(label="Corrected calcium", value=value, unit=unit, detail="measured + correction")
    )
    mg_dl = CALCIUM.convert(value, unit, CalciumUnit.MG_DL)
    mmol_l = CALCIUM.convert(value, unit, CalciumUnit.MMOL_L)

    rr = params.reference_range
    lln = inp.lower_limit if inp.lower_limit is not None else rr.lower.in_unit(unit)
    uln = inp.upper_limit if inp.upper_limit is not None else rr.upper.in_unit(unit)
    default_range = inp.lower_limit is None or inp.upper_limit is None
    direction, grade = _grade(value, unit, lln, uln, params.grades)

    shown = f"{format_number(value)} {unit}"
    range_text = f"{format_number(lln)}–{format_number(uln)} {unit}"
    evidences = [f.evidence, params.grades.evidence]
    warnings: list[Note] = list(params.caveats)
    if default_range:
        if grade <= 1:
            evidences.append(rr.evidence)
        warnings.append(
            Note(
                text=f"Reference range {range_text} is a typical adult range; enter your "
                "laboratory's limits for grade 1.",
                refs=rr.refs,
                evidence=rr.evidence,
            )
        )
    next_steps: list[Note] = []
    if direction == "normal":
        category, label, severity = "normal", "Within reference range", "normal"
        interpretation = f"Corrected calcium {shown} is within {range_text}."
    elif direction == "low":
        category = f"hypocalcemia_grade_{grade}"
        label = f"Hypocalcaemia, CTCAE grade {grade}"
        severity = "danger" if grade >= 3 else "warning"
        interpretation = f"Corrected calcium {shown} is below {range_text}: {label.lower()}."
        next_steps.extend(params.hypo_advice)
        sev = params.severe_hypocalcemia
        if mmol_l < sev.below_mmol_l:
            severity = "danger"
            next_steps.insert(0, Note(text=sev.note, refs=sev.refs, evidence=sev.evidence))
            evidences.append(sev.evidence)
    else:
        category = f"hypercalcemia_grade_{grade}"
        label = f"Hypercalcaemia, CTCAE grade {grade}"
        severity = "danger" if grade >= 3 else "warning"
        interpretation = f"Corrected calcium {shown} is above {range_text}: {label.lower()}."
        hcm = params.hypercalcemia_of_malignancy
        if value >= hcm.value.in_unit(unit):
            next_steps.append(Note(text=hcm.note, refs=hcm.refs, evidence=hcm.evidence))
            evidences.append(hcm.evidence)
        next_steps.extend(params.hyper_advice)
    steps.append(
        Step(label="CTCAE grade", value=grade, detail=f"graded in {unit}; lab range {range_text}")
    )
    refs = dict.fromkeys((*f.refs, *params.grades.refs))
    return CorrectedCalciumResult(
        calculator="corrected_calcium",
        inputs={
            "calcium": inp.calcium,
            "calcium_unit": str(unit),
            "albumin": inp.albumin,
            "albumin_unit": str(inp.albumin_unit),
            "lower_limit": lln,
            "upper_limit": uln,
        },
        category=category,
        category_label=label,
        severity=severity,
        interpretation=interpretation,
        next_steps=tuple(next_steps),
        warnings=tuple(warnings),
        steps=tuple(steps),
        refs=tuple(refs),
        evidence=worst_evidence(evidences),
        corrected_calcium=value,
        unit=unit,
        corrected_calcium_mg_dl=mg_dl,
        corrected_calcium_mmol_l=mmol_l,
        ctcae_grade=grade,
        direction=direction,
    )


CORRECTED_CALCIUM: CalculatorSpec[
    CorrectedCalciumInput, CorrectedCalciumParams, CorrectedCalciumResult
] = CalculatorSpec(
    id="corrected_calcium",
    input_model=CorrectedCalciumInput,
    params_model=CorrectedCalciumParams,
    result_model=CorrectedCalciumResult,
    compute=corrected_calcium,
)
