"""Albumin-corrected calcium with CTCAE grading.

Sources (figures in ``calculators/corrected_calcium.json`` and ``shared/calcium.json``):

* Payne RB et al. BMJ 1973;4(5893):643-6, as commonly simplified:
  Ca_corr (mg/dL) = Ca + 0.8 × (4.0 − albumin g/dL);
  Ca_corr (mmol/L) = Ca + 0.02 × (40 − albumin g/L).
* NCI CTCAE v4.03/v5.0 hypercalcaemia and hypocalcaemia grades (graded in the unit entered,
  because the published mg/dL and mmol/L cut-offs are not exact conversions of each other).
* The default reference range is defined once in one unit and converted exactly, so it
  classifies the same patient the same way in either unit.

The formula is applied in the calcium's own unit system; albumin is converted exactly
(1 g/dL = 10 g/L) when the two are entered in different systems. Arithmetic is exact; nothing
is rounded, and the corrected value is shown with enough digits to fall in the grade used.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.calculators.calcium_common import (
    HcmThreshold,
    LabRange,
    ReferenceRange,
    SevereThreshold,
    check_lab_limits,
    lab_range,
)
from mobile_app.domain.display import exact, format_decisive, format_number
from mobile_app.domain.errors import InputError, InputErrors
from mobile_app.domain.models import Cited, Figure, Frozen, Note, Result, Step, worst_evidence
from mobile_app.domain.units import ALBUMIN, CALCIUM, AlbuminUnit, CalciumUnit

__all__ = [
    "CORRECTED_CALCIUM",
    "CorrectedCalciumInput",
    "CorrectedCalciumParams",
    "CorrectedCalciumResult",
    "corrected_calcium",
]


class CorrectedCalciumInput(CalculatorInput):
    """Total serum calcium and albumin, each with its unit."""

    calcium: float = Field(title="Calcium", description="Total serum calcium",
                           json_schema_extra={"unit_field": "calcium_unit"})
    calcium_unit: CalciumUnit = Field(CalciumUnit.MG_DL, title="Calcium unit")
    albumin: float = Field(title="Albumin", description="Serum albumin",
                           json_schema_extra={"unit_field": "albumin_unit"})
    albumin_unit: AlbuminUnit = Field(AlbuminUnit.G_DL, title="Albumin unit")
    lower_limit: float | None = Field(
        None,
        title="Lab lower limit of normal",
        description="Your lab's lower reference limit for calcium, in the calcium unit "
        "(default: the typical range in the knowledge base)",
        json_schema_extra={"unit_field": "calcium_unit", "advanced": True},
    )
    upper_limit: float | None = Field(
        None,
        title="Lab upper limit of normal",
        description="Your lab's upper reference limit for calcium, in the calcium unit",
        json_schema_extra={"unit_field": "calcium_unit", "advanced": True},
    )

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        errors: list[InputError] = []
        for quantity, name, value, unit in (
                (CALCIUM, "calcium", self.calcium, self.calcium_unit),
                (ALBUMIN, "albumin", self.albumin, self.albumin_unit)):
            try:
                quantity.check(name, value, unit)
            except InputError as exc:
                errors.append(exc)
        errors += check_lab_limits(self.lower_limit, self.upper_limit, self.calcium_unit)
        if errors:
            raise InputErrors.of(errors)
        return self


class UnitPair(Frozen):
    """A figure published in both calcium units."""

    mg_dl: float = Field(gt=0)
    mmol_l: float = Field(gt=0)

    def in_unit(self, unit: CalciumUnit) -> Fraction:
        """The figure in ``unit`` (as published, not converted)."""
        return exact(self.mg_dl if unit == CalciumUnit.MG_DL else self.mmol_l)


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


class CorrectedCalciumParams(Frozen):
    """Knowledge-base parameters of the corrected-calcium calculator."""

    formula: CorrectionFormula
    grades: CtcaeCalciumGrades
    reference_range: ReferenceRange
    hypercalcemia_of_malignancy: HcmThreshold
    hcm_note: Note
    """What meeting the label definition of hypercalcaemia of malignancy means."""
    severe_hypocalcemia: SevereThreshold
    severe_note: Note
    """What severe hypocalcaemia means (shown below the severe threshold)."""
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
    lower_limit: float
    """Lower limit of the reference range used (in ``unit``)."""
    upper_limit: float
    """Upper limit of the reference range used (in ``unit``)."""


Direction = Literal["low", "normal", "high"]


def _grade(value: Fraction, unit: CalciumUnit, rng: LabRange, grades: CtcaeCalciumGrades
           ) -> tuple[Direction, int]:
    hyper = [e.in_unit(unit) for e in grades.hyper_upper_edges]
    hypo = [e.in_unit(unit) for e in grades.hypo_lower_edges]
    # Hypocalcaemia: G4 < edge3; G3 < edge2; G2 < edge1; G1 below the lab's LLN.
    if value < hypo[2]:
        return "low", 4
    if value < hypo[1]:
        return "low", 3
    if value < hypo[0]:
        return "low", 2
    if value < rng.lower:
        return "low", 1
    # Hypercalcaemia: G4 > edge3; G3 > edge2; G2 > edge1; G1 above the lab's ULN.
    if value > hyper[2]:
        return "high", 4
    if value > hyper[1]:
        return "high", 3
    if value > hyper[0]:
        return "high", 2
    if value > rng.upper:
        return "high", 1
    return "normal", 0


def _decimals(unit: CalciumUnit) -> int:
    return 2 if unit == CalciumUnit.MMOL_L else 1


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
        alb_unit, normal, slope = AlbuminUnit.G_DL, f.normal_albumin_g_dl, f.slope_mg_dl_per_g_dl
    else:
        alb_unit, normal, slope = AlbuminUnit.G_L, f.normal_albumin_g_l, f.slope_mmol_l_per_g_l
    alb = ALBUMIN.convert_exact(inp.albumin, inp.albumin_unit, alb_unit)
    if alb_unit != inp.albumin_unit:
        steps.append(Step(label="Albumin (converted)", value=float(alb), unit=alb_unit))
    correction = exact(slope) * (exact(normal) - alb)
    value = exact(inp.calcium) + correction
    steps.append(Step(
        label="Correction", value=float(correction), unit=unit,
        detail=f"{format_number(slope, 3)} × ({format_number(normal)} − albumin {alb_unit})"))
    steps.append(Step(label="Corrected calcium", value=float(value), unit=unit,
                      detail="measured + correction"))
    other = CalciumUnit.MMOL_L if unit == CalciumUnit.MG_DL else CalciumUnit.MG_DL
    mg_dl = CALCIUM.convert_exact(value, unit, CalciumUnit.MG_DL)
    mmol_l = CALCIUM.convert_exact(value, unit, CalciumUnit.MMOL_L)

    rr = params.reference_range
    limit_errors = check_lab_limits(inp.lower_limit, inp.upper_limit, unit, rr)
    if limit_errors:
        raise InputErrors.of(limit_errors)
    rng = lab_range(inp.lower_limit, inp.upper_limit, unit, rr)
    direction, grade = _grade(value, unit, rng, params.grades)
    hcm = params.hypercalcemia_of_malignancy

    def classify(x: Fraction) -> tuple[Direction, int, bool]:
        return (*_grade(x, unit, rng, params.grades), x >= hcm.in_unit(unit))

    shown = f"{format_decisive(value, _decimals(unit), classify)} {unit}"
    range_text = rng.text()
    evidences = [f.evidence, params.grades.evidence]
    warnings: list[Note] = list(params.caveats)
    if rng.default:
        if grade <= 1:
            evidences.append(rr.evidence)
        warnings.append(Note(
            text=f"Reference range {range_text} is a typical adult range; enter your "
            "laboratory's limits for grade 1.", refs=rr.refs, evidence=rr.evidence))
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
        if mmol_l < exact(sev.below_mmol_l):
            severity = "danger"
            next_steps.insert(0, params.severe_note)
            evidences.append(sev.evidence)
    else:
        category = f"hypercalcemia_grade_{grade}"
        label = f"Hypercalcaemia, CTCAE grade {grade}"
        severity = "danger" if grade >= 3 else "warning"
        interpretation = f"Corrected calcium {shown} is above {range_text}: {label.lower()}."
        if value >= hcm.in_unit(unit):
            next_steps.append(params.hcm_note)
            evidences.append(hcm.evidence)
        next_steps.extend(params.hyper_advice)
    steps.append(Step(label="CTCAE grade", value=grade,
                      detail=f"graded in {unit}; reference range {range_text}"))
    other_value = mmol_l if unit == CalciumUnit.MG_DL else mg_dl
    figures = (
        Figure(key="corrected_calcium", label="Corrected calcium", text=shown,
               value=float(value), unit=unit, summary=True, tone=severity),
        Figure(key="corrected_calcium_other", label=f"Corrected calcium in {other}",
               text=f"{format_number(other_value, _decimals(other) + 1)} {other} "
               f"(graded in {unit})", value=float(other_value), unit=other),
        Figure(key="ctcae_grade", label="CTCAE grade",
               text=f"{'Hypo' if direction == 'low' else 'Hyper'}calcaemia grade {grade}"
               if grade else "None (within range)", value=grade, summary=True),
        Figure(key="reference_range", label="Reference range used",
               text=range_text + (" (default)" if rng.default else " (your lab)"),
               evidence=rr.evidence if rng.default else "confirmed"),
    )
    refs = dict.fromkeys((*f.refs, *params.grades.refs))
    return CorrectedCalciumResult(
        calculator="corrected_calcium",
        inputs={
            "calcium": inp.calcium,
            "calcium_unit": str(unit),
            "albumin": inp.albumin,
            "albumin_unit": str(inp.albumin_unit),
            "lower_limit": float(rng.lower),
            "upper_limit": float(rng.upper),
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
        figures=figures,
        corrected_calcium=float(value),
        unit=unit,
        corrected_calcium_mg_dl=float(mg_dl),
        corrected_calcium_mmol_l=float(mmol_l),
        ctcae_grade=grade,
        direction=direction,
        lower_limit=float(rng.lower),
        upper_limit=float(rng.upper),
    )


CORRECTED_CALCIUM: CalculatorSpec[
    CorrectedCalciumInput, CorrectedCalciumParams, CorrectedCalciumResult
] = CalculatorSpec(
    id="corrected_calcium",
    input_model=CorrectedCalciumInput,
    params_model=CorrectedCalciumParams,
    compute=corrected_calcium,
)
