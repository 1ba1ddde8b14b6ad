"""Cockcroft-Gault creatinine clearance and the zoledronic acid renal dose band.

Sources (figures in ``calculators/crcl_zoledronic.json``):

* Cockcroft DW, Gault MH. Nephron 1976;16(1):31-41:
  CrCl (mL/min) = (140 − age) × weight (kg) / (72 × SCr mg/dL), × 0.85 if female.
* Zometa US PI Table 1 and EU SmPC §4.2: dose by baseline CrCl (>60: 4.0 mg; 50–60: 3.5;
  40–49: 3.3; 30–39: 3.0; <30: not recommended), drawn as 5.0/4.4/4.1/3.8 mL of 4 mg/5 mL.

Project convention (clinical-reference §7): actual body weight, no creatinine floor, and the
band is chosen on the unrounded CrCl: ≥50–60 → 3.5 mg, ≥40–<50 → 3.3, ≥30–<40 → 3.0; exactly
60.0 is 3.5 mg because the 4 mg band is ">60". The arithmetic is exact (inputs as typed), so a
CrCl that is exactly on an edge is on the edge, and the CrCl is shown with enough digits to
fall in the band used (49.99 is not shown as "50"). Ideal and adjusted body weight are shown as
alternatives when height is given. A CrCl above, or a creatinine below, the adult reference
range gets a warning: low muscle mass makes Cockcroft-Gault overestimate clearance.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from itertools import pairwise
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.display import exact, format_decisive, format_number
from mobile_app.domain.models import (
    Cited,
    Figure,
    Frozen,
    Note,
    Result,
    Step,
    Table,
    worst_evidence,
)
from mobile_app.domain.units import CM_PER_INCH, CREATININE, CreatinineUnit

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
    creatinine: float = Field(title="Creatinine", description="Serum creatinine",
                              json_schema_extra={"unit_field": "creatinine_unit"})
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


class Plausibility(Cited):
    """Adult reference ranges behind the "check this result" warnings."""

    crcl_high_ml_min: float = Field(gt=0)
    """Above this, the CrCl is beyond the adult reference range (warn)."""
    creatinine_low_male_mg_dl: float = Field(gt=0)
    creatinine_low_female_mg_dl: float = Field(gt=0)
    """Lower limits of the adult serum creatinine reference range."""


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

    def contains(self, crcl: Fraction | float) -> bool:
        """Whether an unrounded CrCl falls in this band (compared exactly)."""
        value, low = exact(crcl), exact(self.low)
        above = value >= low if self.low_inclusive else value > low
        if self.high is None:
            return above
        high = exact(self.high)
        below = value <= high if self.high_inclusive else value < high
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

    def band(self, crcl: Fraction | float) -> DoseBand:
        """The band of an unrounded CrCl (the bands are proven contiguous)."""
        for band in self.bands:
            if band.contains(crcl):
                return band
        raise ValueError(f"no zoledronic band contains {crcl}")


class CrClParams(Frozen):
    """Knowledge-base parameters of the CrCl / zoledronic acid calculator."""

    formula: CockcroftGault
    weights: BodyWeights
    zoledronic: ZoledronicBands
    plausibility: Plausibility
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


def _dose_text(band: DoseBand, concentrate: str) -> str:
    if band.dose_mg is None:
        return "Not recommended"
    return (f"{format_number(band.dose_mg)} mg = {format_number(band.volume_ml or 0)} mL "
            f"of the {concentrate}")


def crcl_zoledronic(inp: CrClInput, params: CrClParams) -> CrClResult:
    """Cockcroft-Gault on actual body weight, then the label's dose band."""
    f, z, p = params.formula, params.zoledronic, params.plausibility
    scr = CREATININE.convert_exact(inp.creatinine, inp.creatinine_unit, CreatinineUnit.MG_DL)
    female = inp.sex == "female"
    sex_factor = exact(f.female_factor) if female else Fraction(1)
    age_term = exact(f.age_constant) - exact(inp.age_years)

    def cg(weight: Fraction) -> Fraction:
        return age_term * weight / (exact(f.divisor) * scr) * sex_factor

    def shown(crcl: Fraction) -> str:
        return f"{format_decisive(crcl, 1, lambda x: z.band(x).label)} mL/min"

    crcl = cg(exact(inp.weight_kg))
    band = z.band(crcl)
    factor = format_number(CREATININE.si_per_conventional)
    steps = [
        Step(label="Serum creatinine", value=float(scr), unit="mg/dL",
             detail="" if inp.creatinine_unit == CreatinineUnit.MG_DL
             else f"{format_number(inp.creatinine, 6)} µmol/L ÷ {factor}"),
        Step(label="Age term", value=float(age_term), unit="years",
             detail=f"{format_number(f.age_constant)} − age"),
        Step(label="Weight (actual)", value=inp.weight_kg, unit="kg"),
        Step(label="Sex factor", value=float(sex_factor),
             detail=f"× {format_number(f.female_factor)} if female"),
        Step(label="CrCl", value=float(crcl), unit="mL/min",
             detail=f"({format_number(f.age_constant)} − age) × weight / "
             f"({format_number(f.divisor)} × creatinine mg/dL) × sex factor"),
        Step(label="Zoledronic acid band", value=band.label,
             detail="chosen on the unrounded CrCl"),
    ]
    evidences = [f.evidence, z.evidence]
    warnings: list[Note] = []
    low_scr = p.creatinine_low_female_mg_dl if female else p.creatinine_low_male_mg_dl
    if scr < exact(low_scr):
        evidences.append(p.evidence)
        warnings.append(Note(
            text=f"Creatinine {format_number(scr, 2)} mg/dL is below the adult reference range "
            f"(from {format_number(low_scr)} mg/dL for a {inp.sex} adult): with low muscle mass "
            "(cachexia, frailty, immobility, amputation) Cockcroft-Gault overestimates "
            "clearance, so the dose band may be too high. Check the unit and the value, and "
            "weigh a measured clearance.", refs=p.refs, evidence=p.evidence))
    if crcl > exact(p.crcl_high_ml_min):
        evidences.append(p.evidence)
        warnings.append(Note(
            text=f"CrCl {shown(crcl)} is above {format_number(p.crcl_high_ml_min)} mL/min, "
            "beyond the adult reference range: check weight, age and the creatinine unit; "
            "a low creatinine from low muscle mass overestimates clearance.",
            refs=p.refs, evidence=p.evidence))
    warnings.extend(params.caveats)

    alternatives: list[CrClAlternative] = []
    alt_crcl: list[Fraction] = []
    bmi = ibw = None
    if inp.height_cm is not None:
        w = params.weights
        evidences.append(w.evidence)
        height_cm = exact(inp.height_cm)
        height_in = height_cm / exact(CM_PER_INCH)
        base = w.ibw_base_female_kg if female else w.ibw_base_male_kg
        ibw_x = exact(base) + exact(w.ibw_kg_per_inch) * (height_in - exact(w.ibw_base_height_in))
        bmi_x = exact(inp.weight_kg) / (height_cm / 100) ** 2
        ibw, bmi = float(ibw_x), float(bmi_x)
        steps.append(Step(label="BMI", value=bmi, unit="kg/m²"))
        steps.append(Step(label="Ideal body weight (Devine)", value=ibw, unit="kg",
                          detail=f"{format_number(base)} + {format_number(w.ibw_kg_per_inch)} "
                          f"× (height in − {format_number(w.ibw_base_height_in)})"))
        if height_in < exact(w.ibw_base_height_in):
            warnings.append(Note(
                text=f"Height under {format_number(w.ibw_base_height_in)} in "
                f"({format_number(w.ibw_base_height_in * CM_PER_INCH, 1)} cm): the Devine ideal "
                "weight is extrapolated; interpret the alternatives with care.",
                refs=w.refs, evidence=w.evidence))
        if ibw_x > 0:
            adj = ibw_x + exact(w.adjusted_fraction) * (exact(inp.weight_kg) - ibw_x)
            options: list[tuple[Literal["ideal", "adjusted", "bmi_rule"], str, Fraction]] = [
                ("ideal", "Ideal body weight", ibw_x)]
            if exact(inp.weight_kg) > ibw_x:
                options.append(("adjusted", "Adjusted body weight", adj))
            if bmi_x < exact(w.bmi_underweight_below):
                options.append(("bmi_rule", "BMI rule: actual weight (BMI < "
                                f"{format_number(w.bmi_underweight_below)})",
                                exact(inp.weight_kg)))
            elif bmi_x < exact(w.bmi_overweight_from):
                options.append(("bmi_rule", "BMI rule: lower of ideal and actual (BMI "
                                f"{format_number(w.bmi_underweight_below)} to under "
                                f"{format_number(w.bmi_overweight_from)})",
                                min(ibw_x, exact(inp.weight_kg))))
            else:
                options.append(("bmi_rule", "BMI rule: adjusted weight (BMI ≥ "
                                f"{format_number(w.bmi_overweight_from)})", adj))
            for basis, label, weight in options:
                c = cg(weight)
                alt_crcl.append(c)
                alternatives.append(CrClAlternative(
                    basis=basis, label=label, weight_kg=float(weight), crcl_ml_min=float(c),
                    zoledronic_acid_dose_mg=z.band(c).dose_mg))
        moved = {a.zoledronic_acid_dose_mg for a in alternatives} - {band.dose_mg}
        if moved:
            warnings.append(Note(
                text="The weight basis changes the zoledronic acid band for this patient: "
                "compare the alternatives before prescribing.",
                refs=w.refs, evidence=w.evidence))

    crcl_text = shown(crcl)
    dose_text = _dose_text(band, z.concentrate)
    if band.dose_mg is None:
        category, severity = "not_recommended", "danger"
        interpretation = (f"CrCl {crcl_text} (Cockcroft-Gault, actual weight): zoledronic acid "
                          "is not recommended.")
        next_steps = list(params.not_recommended)
    else:
        full = max(b.dose_mg for b in z.bands if b.dose_mg is not None)
        category = "full_dose" if band.dose_mg == full else "reduced_dose"
        severity = "normal" if category == "full_dose" else "warning"
        interpretation = (f"CrCl {crcl_text} (Cockcroft-Gault, actual weight): zoledronic acid "
                          f"{dose_text}.")
        next_steps = [*params.administration, *params.monitoring]
    tables: list[Table] = []
    if alternatives:
        tables.append(_alternatives_table(inp, crcl, band, alternatives, alt_crcl, shown, z))
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
        refs=tuple(dict.fromkeys((*f.refs, *z.refs))),
        evidence=worst_evidence(evidences),
        figures=(
            Figure(key="crcl", label="CrCl", detail="Cockcroft-Gault, actual weight",
                   text=crcl_text,
                   value=float(crcl), unit="mL/min", summary=True),
            Figure(key="zoledronic_acid", label="Zoledronic acid", text=dose_text,
                   value=band.dose_mg, unit="mg", summary=True, tone=severity,
                   short=dose_text.replace(f" of the {z.concentrate}", "")),
        ),
        tables=tuple(tables),
        crcl_ml_min=float(crcl),
        creatinine_mg_dl=float(scr),
        zoledronic_acid_dose_mg=band.dose_mg,
        concentrate_volume_ml=band.volume_ml,
        dose_band=band.label,
        bmi_kg_m2=bmi,
        ideal_body_weight_kg=ibw,
        alternatives=tuple(alternatives),
    )


def _alternatives_table(inp: CrClInput, crcl: Fraction, band: DoseBand,
                        alternatives: list[CrClAlternative], alt_crcl: list[Fraction],
                        shown: Callable[[Fraction], str], z: ZoledronicBands) -> Table:
    def dose(b: DoseBand) -> str:
        return "not recommended" if b.dose_mg is None else f"{format_number(b.dose_mg)} mg"

    rows = [("Actual weight (used for the dose)", f"{format_number(inp.weight_kg, 1)} kg",
             shown(crcl), dose(band))]
    rows += [(a.label, f"{format_number(a.weight_kg, 1)} kg", shown(c), dose(z.band(c)))
             for a, c in zip(alternatives, alt_crcl, strict=True)]
    return Table(key="weight_alternatives", title="Weight alternatives",
                 columns=("Weight basis", "Weight", "CrCl", "Zoledronic acid"),
                 rows=tuple(rows), highlight=0)


CRCL_ZOLEDRONIC: CalculatorSpec[CrClInput, CrClParams, CrClResult] = CalculatorSpec(
    id="crcl_zoledronic",
    input_model=CrClInput,
    params_model=CrClParams,
    compute=crcl_zoledronic,
)
