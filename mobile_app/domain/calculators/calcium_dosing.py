"""Weight-based calcium replacement.

IV calcium gluconate 10% bolus, maintenance infusion and oral elemental calcium by salt.

Sources (figures in ``calculators/calcium_dosing.json``):

* Society for Endocrinology emergency guidance (Turner, Gittoes, Selby. Endocr Connect
  2016;5:G7-G8 and 2019 addendum): severe = Ca < 1.9 mmol/L or symptomatic; 10–20 mL 10%
  calcium gluconate in 50–100 mL glucose 5% over 10 min with ECG monitoring; then 100 mL 10%
  calcium gluconate in 1 L at 50–100 mL/h.
* Calcium gluconate 10% US PI: 9.3 mg elemental calcium per mL.
* The team card's "10–15 mg/kg elemental calcium over 4–6 h" is unverified in any primary
  source: it is computed and shown with an "unverified" label next to the SfE rate.
* Oral 1–3 g elemental calcium/day in 2–3 doses (partly confirmed); carbonate 40% and citrate
  21% elemental calcium.
"""

from __future__ import annotations

import math
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.models import Cited, Frozen, Note, Result, Step, worst_evidence
from mobile_app.domain.units import CALCIUM, CalciumUnit, format_number

__all__ = [
    "CALCIUM_DOSING",
    "CalciumDosingInput",
    "CalciumDosingParams",
    "CalciumDosingResult",
    "calcium_dosing",
]


class CalciumDosingInput(CalculatorInput):
    """Weight, symptoms and (optionally) the corrected calcium."""

    weight_kg: float = Field(ge=20, le=350, title="Weight", json_schema_extra={"unit": "kg"})
    symptomatic: bool = Field(
        title="Symptomatic",
        description="Tetany, seizures, laryngospasm, arrhythmia or prolonged QT, paraesthesia",
    )
    corrected_calcium: float | None = Field(
        None, title="Corrected calcium", description="Albumin-corrected (or ionised-equivalent)"
    )
    calcium_unit: CalciumUnit = Field(CalciumUnit.MG_DL, title="Calcium unit")

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        if self.corrected_calcium is not None:
            CALCIUM.check("corrected_calcium", self.corrected_calcium, self.calcium_unit)
        return self


def _ordered(*pairs: tuple[float, float]) -> None:
    for low, high in pairs:
        if low > high:
            raise ValueError(f"range {low}–{high} is reversed")


class Gluconate(Cited):
    """Calcium gluconate 10% injection."""

    elemental_mg_per_ml: float = Field(gt=0)
    elemental_mmol_per_ml: float = Field(gt=0)
    ampoule_ml: float = Field(gt=0)


class Bolus(Cited):
    """Emergency IV bolus."""

    volume_ml_low: float = Field(gt=0)
    volume_ml_high: float = Field(gt=0)
    diluent: str
    minutes: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.volume_ml_low, self.volume_ml_high))
        return self


class SfeInfusion(Cited):
    """Society for Endocrinology maintenance infusion."""

    gluconate_ml: float = Field(gt=0)
    final_volume_ml: float = Field(gt=0)
    """Volume the gluconate is made up to (the SfE "in 1 L")."""
    rate_ml_h_low: float = Field(gt=0)
    rate_ml_h_high: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.rate_ml_h_low, self.rate_ml_h_high))
        if self.gluconate_ml > self.final_volume_ml:
            raise ValueError("SfE infusion: gluconate volume exceeds the final volume")
        return self


class WeightInfusion(Cited):
    """Weight-based maintenance (mg/kg elemental calcium over a number of hours)."""

    mg_per_kg_low: float = Field(gt=0)
    mg_per_kg_high: float = Field(gt=0)
    hours_low: float = Field(gt=0)
    hours_high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.mg_per_kg_low, self.mg_per_kg_high), (self.hours_low, self.hours_high))
        return self


class OralSalt(Frozen):
    """An oral calcium salt and an example tablet strength."""

    id: str
    label: str
    elemental_fraction: float = Field(gt=0, lt=1)
    tablet_salt_mg: float = Field(gt=0)


class Oral(Cited):
    """Oral elemental calcium."""

    mg_per_day_low: float = Field(gt=0)
    mg_per_day_high: float = Field(gt=0)
    doses_per_day_low: int = Field(ge=1)
    doses_per_day_high: int = Field(ge=1)
    max_mg_per_dose: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.mg_per_day_low, self.mg_per_day_high),
                 (self.doses_per_day_low, self.doses_per_day_high))
        return self


class Salts(Cited):
    """Elemental calcium content of oral salts (tablet strengths are examples)."""

    salts: tuple[OralSalt, ...] = Field(min_length=1)
    tablet_evidence_note: str


class Severity(Cited):
    """Severe hypocalcaemia threshold."""

    severe_below_mmol_l: float = Field(gt=0)


class CalciumDosingParams(Frozen):
    """Knowledge-base parameters of calcium dosing."""

    gluconate: Gluconate
    bolus: Bolus
    sfe_infusion: SfeInfusion
    weight_infusion: WeightInfusion
    oral: Oral
    salts: Salts
    severity: Severity
    general: tuple[Note, ...] = ()


class Range(Frozen):
    """A low–high pair in one unit."""

    low: float
    high: float
    unit: str


class InfusionOption(Frozen):
    """One dose × duration combination of the weight-based infusion."""

    mg_per_kg: float
    hours: float
    elemental_mg: float
    gluconate_ml: float
    elemental_mg_per_h: float
    gluconate_ml_per_h: float


class SaltDose(Frozen):
    """Daily amount of one oral salt."""

    salt: str
    label: str
    salt_mg_per_day: Range
    tablet_salt_mg: float
    tablet_elemental_mg: float
    tablets_per_day: Range
    """Whole tablets: the low end rounded up, the high end rounded down (never above range)."""


class CalciumDosingResult(Result):
    """Calcium replacement doses for this weight."""

    route: Literal["iv", "oral"]
    bolus_ml: Range
    bolus_elemental_mg: Range
    bolus_elemental_mmol: Range
    maintenance_elemental_mg: Range
    maintenance_gluconate_ml: Range
    maintenance_options: tuple[InfusionOption, ...]
    sfe_infusion_elemental_mg_per_h: Range
    sfe_infusion_mg_per_kg_per_h: Range
    oral_elemental_mg_per_day: Range
    oral_elemental_mg_per_dose: Range
    oral_salts: tuple[SaltDose, ...]


def _rng(low: float, high: float, unit: str) -> Range:
    return Range(low=low, high=high, unit=unit)


def calcium_dosing(inp: CalciumDosingInput, params: CalciumDosingParams) -> CalciumDosingResult:
    """Compute every replacement option for this weight and say which route is indicated."""
    g, b, s, w, o = (params.gluconate, params.bolus, params.sfe_infusion,
                     params.weight_infusion, params.oral)
    wt = inp.weight_kg

    bolus_ml = _rng(b.volume_ml_low, b.volume_ml_high, "mL")
    bolus_mg = _rng(b.volume_ml_low * g.elemental_mg_per_ml,
                    b.volume_ml_high * g.elemental_mg_per_ml, "mg")
    bolus_mmol = _rng(b.volume_ml_low * g.elemental_mmol_per_ml,
                      b.volume_ml_high * g.elemental_mmol_per_ml, "mmol")

    maint_mg = _rng(w.mg_per_kg_low * wt, w.mg_per_kg_high * wt, "mg")
    maint_ml = _rng(maint_mg.low / g.elemental_mg_per_ml, maint_mg.high / g.elemental_mg_per_ml,
                    "mL")
    options = []
    for mg_kg in (w.mg_per_kg_low, w.mg_per_kg_high):
        for hours in (w.hours_low, w.hours_high):
            mg = mg_kg * wt
            ml = mg / g.elemental_mg_per_ml
            options.append(InfusionOption(mg_per_kg=mg_kg, hours=hours, elemental_mg=mg,
                                          gluconate_ml=ml, elemental_mg_per_h=mg / hours,
                                          gluconate_ml_per_h=ml / hours))

    conc = s.gluconate_ml * g.elemental_mg_per_ml / s.final_volume_ml
    sfe_mg_h = _rng(conc * s.rate_ml_h_low, conc * s.rate_ml_h_high, "mg/h")
    sfe_mg_kg_h = _rng(sfe_mg_h.low / wt, sfe_mg_h.high / wt, "mg/kg/h")

    oral_day = _rng(o.mg_per_day_low, o.mg_per_day_high, "mg")
    oral_dose = _rng(o.mg_per_day_low / o.doses_per_day_high,
                     o.mg_per_day_high / o.doses_per_day_low, "mg")
    salts = []
    for salt in params.salts.salts:
        tab_el = salt.tablet_salt_mg * salt.elemental_fraction
        salts.append(SaltDose(
            salt=salt.id, label=salt.label,
            salt_mg_per_day=_rng(oral_day.low / salt.elemental_fraction,
                                 oral_day.high / salt.elemental_fraction, "mg"),
            tablet_salt_mg=salt.tablet_salt_mg, tablet_elemental_mg=tab_el,
            tablets_per_day=_rng(math.ceil(oral_day.low / tab_el - 1e-9),
                                 math.floor(oral_day.high / tab_el + 1e-9), "tablets"),
        ))

    sev = params.severity
    ca_mmol = None
    if inp.corrected_calcium is not None:
        ca_mmol = CALCIUM.convert(inp.corrected_calcium, inp.calcium_unit, CalciumUnit.MMOL_L)
    severe_by_level = ca_mmol is not None and ca_mmol < sev.severe_below_mmol_l
    route: Literal["iv", "oral"] = "iv" if inp.symptomatic or severe_by_level else "oral"
    reasons = []
    if inp.symptomatic:
        reasons.append("symptomatic")
    if severe_by_level:
        reasons.append(f"calcium below {format_number(sev.severe_below_mmol_l)} mmol/L")
    if route == "iv":
        category, label, severity = "severe", "Severe: IV calcium now", "danger"
        interpretation = (f"Severe hypocalcaemia ({', '.join(reasons)}): give the IV bolus of "
                          f"{format_number(bolus_ml.low)}–{format_number(bolus_ml.high)} mL "
                          "calcium gluconate 10%, then a maintenance infusion.")
        next_steps = (*b.notes, *s.notes)
    else:
        category, label, severity = "non_severe", "Not severe: oral replacement", "warning"
        interpretation = ("Not severe (no symptoms"
                          + ("" if inp.corrected_calcium is None else
                             f", calcium not below {format_number(sev.severe_below_mmol_l)} "
                             "mmol/L") + "): oral elemental calcium; the IV doses are shown "
                          "for reference.")
        next_steps = ()
    steps = [
        Step(label="Weight", value=wt, unit="kg"),
        Step(label="Elemental calcium in gluconate 10%", value=g.elemental_mg_per_ml,
             unit="mg/mL"),
        Step(label="Bolus elemental calcium (low)", value=bolus_mg.low, unit="mg",
             detail=f"{format_number(bolus_ml.low)} mL × {format_number(g.elemental_mg_per_ml)}"),
        Step(label="Bolus elemental calcium (high)", value=bolus_mg.high, unit="mg",
             detail=f"{format_number(bolus_ml.high)} mL × {format_number(g.elemental_mg_per_ml)}"),
        Step(label="Maintenance elemental calcium (low)", value=maint_mg.low, unit="mg",
             detail=f"{format_number(w.mg_per_kg_low)} mg/kg × weight (unverified)"),
        Step(label="Maintenance elemental calcium (high)", value=maint_mg.high, unit="mg",
             detail=f"{format_number(w.mg_per_kg_high)} mg/kg × weight (unverified)"),
        Step(label="SfE infusion concentration", value=conc, unit="mg/mL",
             detail=f"{format_number(s.gluconate_ml)} mL × {format_number(g.elemental_mg_per_ml)}"
             f" mg/mL made up to {format_number(s.final_volume_ml)} mL"),
    ]
    if ca_mmol is not None:
        steps.insert(1, Step(label="Corrected calcium", value=ca_mmol, unit="mmol/L",
                             detail=f"severe below {format_number(sev.severe_below_mmol_l)}"))
    warnings = [
        Note(text=f"Weight-based maintenance of {format_number(w.mg_per_kg_low)}–"
             f"{format_number(w.mg_per_kg_high)} mg/kg over {format_number(w.hours_low)}–"
             f"{format_number(w.hours_high)} h is not confirmed in a primary source: unverified — "
             "check local protocol. The SfE infusion rate is the confirmed alternative.",
             refs=w.refs, evidence=w.evidence),
        Note(text=params.salts.tablet_evidence_note, refs=params.salts.refs,
             evidence="unverified"),
        *o.notes,
        *params.general,
    ]
    evid = [g.evidence, b.evidence, s.evidence, w.evidence, o.evidence, params.salts.evidence,
            sev.evidence]
    return CalciumDosingResult(
        calculator="calcium_dosing",
        inputs={"weight_kg": wt, "symptomatic": inp.symptomatic,
                "corrected_calcium": inp.corrected_calcium,
                "calcium_unit": str(inp.calcium_unit)},
        category=category,
        category_label=label,
        severity=severity,
        interpretation=interpretation,
        next_steps=next_steps,
        warnings=tuple(warnings),
        steps=tuple(steps),
        refs=tuple(dict.fromkeys((*sev.refs, *g.refs, *b.refs, *w.refs, *o.refs))),
        evidence=worst_evidence(evid),
        route=route,
        bolus_ml=bolus_ml,
        bolus_elemental_mg=bolus_mg,
        bolus_elemental_mmol=bolus_mmol,
        maintenance_elemental_mg=maint_mg,
        maintenance_gluconate_ml=maint_ml,
        maintenance_options=tuple(options),
        sfe_infusion_elemental_mg_per_h=sfe_mg_h,
        sfe_infusion_mg_per_kg_per_h=sfe_mg_kg_h,
        oral_elemental_mg_per_day=oral_day,
        oral_elemental_mg_per_dose=oral_dose,
        oral_salts=tuple(salts),
    )


CALCIUM_DOSING: CalculatorSpec[CalciumDosingInput, CalciumDosingParams, CalciumDosingResult] = (
    CalculatorSpec(
        id="calcium_dosing",
        input_model=CalciumDosingInput,
        params_model=CalciumDosingParams,
        result_model=CalciumDosingResult,
        compute=calcium_dosing,
    )
)
