"""Cockcroft-Gault creatinine clearance and the zoledronic acid renal dose band.

Sources (figures in ``calculators/crcl_zoledronic.json``):

* Cockcroft DW, Gault MH. Nephron 1976;16(1):31-41:
  CrCl (mL/min) = (140 − age) × weight (kg) / (72 × SCr mg/dL), × 0.85 if female.
* Zometa US PI Table 1 and EU SmPC §4.2: dose by baseline CrCl (>60: 4.0 mg; 50–60: 3.5;
  40–49: 3.3; 30–39: 3.0; <30: not recommended), drawn as 5.0/4.4/4.1/3.8 mL of 4 mg/5 mL.

Project convention (clinical-reference §7): actual body weight, no creatinine floor, and the
band is chosen on the unrounded CrCl: ≥50–60 → 3.5 mg, ≥40–<50 → 3.3, ≥30–<40 → 3.0; exactly
60.0 is 3.5 mg because the 4 mg band is ">60". Ideal and adjusted body weight are shown as
alternatives when height is given.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.models import Cited, Frozen, Note, Result, Step, worst_evidence
from mobile_app.domain.units import CM_PER_INCH, CREATININE, CreatinineUnit, format_number

__all__ = [
    "CRCL_ZOLEDRONIC",
    "CrClAlternative",
    "CrClInput",
    "CrClParams",
    "CrClResult",
    "DoseBand",
    "crcl_zoledronic",
]


class CrClInput(CalculatorInput):
    """Patient data for Cockcroft-Gault."""

    age_years: float = Field(
        ge=18, le=120, title="Age", json_schema_extra={"unit": "years"},
        description="Cockcroft-Gault is for adults",
    )
    weight_kg: float = Field(
        ge=20, le=350, title="Weight", json_schema_extra={"unit": "kg"},
        description="Actual body weight",
    )
    sex: Literal["female", "male"] = Field(title="Sex")
    creatinine: float = Field(title="Serum creatinine")
    creatinine_unit: CreatinineUnit = Field(CreatinineUnit.MG_DL, title="Creatinine unit")
    height_cm: float | None = Field(
        None, ge=100, le=250, title="Height", json_schema_extra={"unit": "cm"},
        description="Optional: shows ideal and adjusted body weight alternatives",
    )

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        CREATININE.check("creatinine", self.creatinine, self.creatinine_unit)
        return self


class CockcroftGault(Cited):
    """Constants of the Cockcroft-Gault equation."""

    age_constant: float = Field(gt=0)
    divisor: float = Field(gt=0)
    female_factor: float = Field(gt=0, le=1)


class BodyWeights(Cited):
    """Ideal (Devine) and adjusted body weight, and the BMI rule of MDCalc-style tools."""

    ibw_base_male_kg: float = Field(gt=0)
    ibw_base_female_kg: float = Field(gt=0)
    ibw_base_height_in: float = Field(gt=0)
    ibw_kg_per_inch: float = Field(gt=0)
    adjusted_fraction: float = Field(gt=0, lt=1)
    bmi_underweight_below: float = Field(gt=0)
    bmi_overweight_from: float = Field(gt=0)


class DoseBand(Frozen):
    """A CrCl interval and its zoledronic acid dose (``dose_mg`` null: not recommended)."""

    low: float = Field(ge=0)
    """Lower edge in mL/min (inclusive unless ``low_inclusive`` is false)."""
    low_inclusive: bool = True
    high: float | None = None
    """Upper edge in mL/min (exclusive unless ``high_inclusive``); null: no upper edge."""
    high_inclusive: bool = False
    label: str
    dose_mg: float | None
    volume_ml: float | None

    def contains(self, crcl: float) -> bool:
        """Whether an unrounded CrCl falls in this band."""
        above = crcl >= self.low if self.low_inclusive else crcl > self.low
        if self.high is None:
            return above
        below = crcl <= self.high if self.high_inclusive else crcl < self.high
        return above and below


class ZoledronicBands(Cited):
    """Renal dose bands of the label, contiguous from 0 upwards."""

    concentrate: str
    bands: tuple[DoseBand, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _contiguous(self) -> Self:
        bands = sorted(self.bands, key=lambda b: b.low)
        if bands[0].low != 0 or not bands[0].low_inclusive:
            raise ValueError("zoledronic bands must start at 0 inclusive")
        if bands[-1].high is not None:
            raise ValueError("the last zoledronic band must have no upper edge")
        for a, b in pairwise(bands):
            if a.high != b.low or a.high_inclusive == b.low_inclusive:
                raise ValueError(f"zoledronic bands leave a gap or overlap at {a.high}")
        return self


class CrClParams(Frozen):
    """Knowledge-base parameters of the CrCl / zoledronic acid calculator."""

    formula: CockcroftGault
    weights: BodyWeights
    zoledronic: ZoledronicBands
    administration: tuple[Note, ...] = ()
    monitoring: tuple[Note, ...] = ()
    not_recommended: tuple[Note, ...] = ()
    caveats: tuple[Note, ...] = ()


class CrClAlternative(Frozen):
    """CrCl with another weight basis (shown, never used for the band by default)."""

    basis: Literal["ideal", "adjusted", "bmi_rule"]
    label: str
    weight_kg: float
    crcl_ml_min: float
    zoledronic_acid_dose_mg: float | None


class CrClResult(Result):
    """Cockcroft-Gault CrCl (actual weight) and the zoledronic acid dose band."""

    crcl_ml_min: float
    creatinine_mg_dl: float
    weight_basis: Literal["actual"] = "actual"
    zoledronic_acid_dose_mg: float | None
    concentrate_volume_ml: float | None
    dose_band: str
    bmi_kg_m2: float | None = None
    ideal_body_weight_kg: float | None = None
    alternatives: tuple[CrClAlternative, ...] = ()


def _band(bands: ZoledronicBands, crcl: float) -> DoseBand:
    for band in bands.bands:
        if band.contains(crcl):
            return band
    raise ValueError(f"no zoledronic band contains {crcl}")  # bands proven contiguous


def crcl_zoledronic(inp: CrClInput, params: CrClParams) -> CrClResult:
    """Cockcroft-Gault on actual body weight, then the label's dose band."""
    f = params.formula
    scr = CREATININE.convert(inp.creatinine, inp.creatinine_unit, CreatinineUnit.MG_DL)
    sex_factor = f.female_factor if inp.sex == "female" else 1.0

    def cg(weight: float) -> float:
        return (f.age_constant - inp.age_years) * weight / (f.divisor * scr) * sex_factor

    crcl = cg(inp.weight_kg)
    band = _band(params.zoledronic, crcl)
    steps = [
        Step(label="Serum creatinine", value=scr, unit="mg/dL",
             detail="" if inp.creatinine_unit == CreatinineUnit.MG_DL
             else f"{format_number(inp.creatinine)} µmol/L ÷ 88.4"),
        Step(label="Age term", value=f.age_constant - inp.age_years, unit="years",
             detail=f"{format_number(f.age_constant)} − age"),
        Step(label="Weight (actual)", value=inp.weight_kg, unit="kg"),
        Step(label="Sex factor", value=sex_factor,
             detail=f"× {format_number(f.female_factor)} if female"),
        Step(label="CrCl", value=crcl, unit="mL/min",
             detail=f"(140 − age) × weight / ({format_number(f.divisor)} × SCr) × sex factor"),
        Step(label="Zoledronic acid band", value=band.label,
             detail="chosen on the unrounded CrCl"),
    ]
    evidences = [f.evidence, params.zoledronic.evidence]
    alternatives: list[CrClAlternative] = []
    bmi = ibw = None
    warnings = list(params.caveats)
    if inp.height_cm is not None:
        w = params.weights
        evidences.append(w.evidence)
        height_in = inp.height_cm / CM_PER_INCH
        base = w.ibw_base_female_kg if inp.sex == "female" else w.ibw_base_male_kg
        ibw = base + w.ibw_kg_per_inch * (height_in - w.ibw_base_height_in)
        bmi = inp.weight_kg / (inp.height_cm / 100) ** 2
        steps.append(Step(label="BMI", value=bmi, unit="kg/m²"))
        steps.append(Step(label="Ideal body weight (Devine)", value=ibw, unit="kg",
                          detail=f"{format_number(base)} + {format_number(w.ibw_kg_per_inch)} "
                          f"× (height in − {format_number(w.ibw_base_height_in)})"))
        if height_in < w.ibw_base_height_in:
            warnings.append(Note(
                text=f"Height under {format_number(w.ibw_base_height_in)} in "
                f"({format_number(w.ibw_base_height_in * CM_PER_INCH, 1)} cm): the Devine ideal "
                "weight is extrapolated; interpret the alternatives with care.",
                refs=w.refs, evidence=w.evidence))
        if ibw > 0:
            alternatives.append(_alt("ideal", "Ideal body weight", ibw, cg(ibw), params))
            if inp.weight_kg > ibw:
                adj = ibw + w.adjusted_fraction * (inp.weight_kg - ibw)
                alternatives.append(
                    _alt("adjusted", "Adjusted body weight", adj, cg(adj), params))
            if bmi < w.bmi_underweight_below:
                rule_w, rule_label = inp.weight_kg, "BMI rule: actual weight (BMI < 18.5)"
            elif bmi < w.bmi_overweight_from:
                rule_w = min(ibw, inp.weight_kg)
                rule_label = "BMI rule: lower of ideal and actual (BMI 18.5–24.9)"
            else:
                rule_w = ibw + w.adjusted_fraction * (inp.weight_kg - ibw)
                rule_label = "BMI rule: adjusted weight (BMI ≥ 25)"
            alternatives.append(_alt("bmi_rule", rule_label, rule_w, cg(rule_w), params))
        moved = {a.zoledronic_acid_dose_mg for a in alternatives} - {band.dose_mg}
        if moved:
            warnings.append(Note(
                text="The weight basis changes the zoledronic acid band for this patient: "
                "compare the alternatives before prescribing.",
                refs=w.refs, evidence=w.evidence))

    crcl_text = f"{format_number(crcl, 1)} mL/min"
    if band.dose_mg is None:
        category, severity = "not_recommended", "danger"
        interpretation = (f"CrCl {crcl_text} (Cockcroft-Gault, actual weight): zoledronic acid "
                          "is not recommended.")
        next_steps = list(params.not_recommended)
    else:
        category = "full_dose" if band.dose_mg == max(
            b.dose_mg for b in params.zoledronic.bands if b.dose_mg is not None
        ) else "reduced_dose"
        severity = "normal" if category == "full_dose" else "warning"
        interpretation = (f"CrCl {crcl_text} (Cockcroft-Gault, actual weight): zoledronic acid "
                          f"{format_number(band.dose_mg)} mg = {format_number(band.volume_ml or 0)}"
                          f" mL of the {params.zoledronic.concentrate}.")
        next_steps = [*params.administration, *params.monitoring]
    return CrClResult(
        calculator="crcl_zoledronic",
        inputs={
            "age_years": inp.age_years,
            "weight_kg": inp.weight_kg,
            "sex": inp.sex,
            "creatinine": inp.creatinine,
            "creatinine_unit": str(inp.creatinine_unit),
            "height_cm": inp.height_cm,
        },
        category=category,
        category_label=band.label,
        severity=severity,
        interpretation=interpretation,
        next_steps=tuple(next_steps),
        warnings=tuple(warnings),
        steps=tuple(steps),
        refs=tuple(dict.fromkeys((*f.refs, *params.zoledronic.refs))),
        evidence=worst_evidence(evidences),
        crcl_ml_min=crcl,
        creatinine_mg_dl=scr,
        zoledronic_acid_dose_mg=band.dose_mg,
        concentrate_volume_ml=band.volume_ml,
        dose_band=band.label,
        bmi_kg_m2=bmi,
        ideal_body_weight_kg=ibw,
        alternatives=tuple(alternatives),
    )


def _alt(
    basis: Literal["ideal", "adjusted", "bmi_rule"],
    label: str,
    weight: float,
    crcl: float,
    params: CrClParams,
) -> CrClAlternative:
    return CrClAlternative(
        basis=basis,
        label=label,
        weight_kg=weight,
        crcl_ml_min=crcl,
        zoledronic_acid_dose_mg=_band(params.zoledronic, crcl).dose_mg,
    )


CRCL_ZOLEDRONIC: CalculatorSpec[CrClInput, CrClParams, CrClResult] = CalculatorSpec(
    id="crcl_zoledronic",
    input_model=CrClInput,
    params_model=CrClParams,
    result_model=CrClResult,
    compute=crcl_zoledronic,
)
