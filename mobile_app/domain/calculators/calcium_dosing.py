"""Calcium replacement: whether calcium is indicated, by which route, and how much.

Sources (figures in ``calculators/calcium_dosing.json`` and ``shared/calcium.json``):

* Society for Endocrinology emergency guidance (Turner, Gittoes, Selby. Endocr Connect
  2016;5:G7-G8 and 2019 addendum): severe hypocalcaemia is calcium below 1.9 mmol/L and/or
  symptoms at any level below the reference range → IV calcium gluconate: 10–20 mL 10% in
  50–100 mL glucose 5% over 10 min with ECG monitoring, then 100 mL 10% in 1 L at 50–100 mL/h;
  "mild" (asymptomatic, above 1.9 mmol/L) → oral calcium.
* Calcium gluconate injection 10% US label: 100 mg calcium gluconate = 9.3 mg (0.465 mEq)
  elemental calcium per mL; adult continuous infusion 5.4–21.5 mg/kg/h of calcium gluconate,
  diluted to 5.8–10 mg/mL, never faster than 200 mg/min; hypercalcaemia is a contraindication.
* Oral: 1–3 g elemental calcium a day for treatment (NHS GGC), no more than 500 mg per dose for
  absorption (NIH ODS); carbonate 40% and citrate 21% elemental calcium.

Safety rules this module enforces (and the tests prove):

* IV (a bolus) only when corrected calcium is below the lower limit of normal and either below
  the severe threshold or with symptoms. Calcium at or above the lower limit: no calcium for the
  symptoms; above the upper limit: calcium is contraindicated. No calcium value: no route.
* Every computed infusion rate lies within the label's continuous-infusion range for the
  weight; an SfE rate above the label maximum is dropped with a warning. A literature regimen
  above the label (10–15 mg/kg over 4–6 h) is mentioned as text only, never turned into mL/h.
* No oral dose above the 500 mg per-dose limit.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.calculators.calcium_common import (
    CalciumLevel,
    ReferenceRange,
    SevereThreshold,
    check_lab_limits,
    lab_range,
)
from mobile_app.domain.display import exact, format_decisive, format_number, format_range
from mobile_app.domain.errors import InputError, InputErrors
from mobile_app.domain.models import (
    Cited,
    Figure,
    Frozen,
    Note,
    PlanSection,
    Result,
    Step,
    Table,
    worst_evidence,
)
from mobile_app.domain.units import CALCIUM, CalciumUnit

__all__ = [
    "CALCIUM_DOSING",
    "CalciumDosingInput",
    "CalciumDosingParams",
    "CalciumDosingResult",
    "InfusionOption",
    "calcium_dosing",
]

Route = Literal["iv", "oral", "none"]


class CalciumDosingInput(CalculatorInput):
    """Weight, symptoms and the corrected calcium (without which no route is chosen)."""

    weight_kg: float = Field(ge=20, le=350, title="Weight", json_schema_extra={"unit": "kg"})
    symptomatic: bool = Field(
        title="Symptoms of hypocalcaemia",
        description="Tetany, seizures, laryngospasm, arrhythmia or prolonged QT, paraesthesia",
    )
    corrected_calcium: float | None = Field(
        None, title="Corrected calcium",
        description="Albumin-corrected total calcium; needed to choose the route",
        json_schema_extra={"unit_field": "calcium_unit"},
    )
    calcium_unit: CalciumUnit = Field(CalciumUnit.MG_DL, title="Calcium unit")
    lower_limit: float | None = Field(
        None, title="Lab lower limit of normal",
        description="Your lab's lower reference limit for calcium, in the calcium unit",
        json_schema_extra={"unit_field": "calcium_unit", "advanced": True},
    )
    upper_limit: float | None = Field(
        None, title="Lab upper limit of normal",
        description="Your lab's upper reference limit for calcium, in the calcium unit",
        json_schema_extra={"unit_field": "calcium_unit", "advanced": True},
    )

    @model_validator(mode="after")
    def _plausible(self) -> Self:
        errors: list[InputError] = []
        if self.corrected_calcium is not None:
            try:
                CALCIUM.check("corrected_calcium", self.corrected_calcium, self.calcium_unit)
            except InputError as exc:
                errors.append(exc)
        errors += check_lab_limits(self.lower_limit, self.upper_limit, self.calcium_unit)
        if errors:
            raise InputErrors.of(errors)
        return self


def _ordered(*pairs: tuple[float, float]) -> None:
    for low, high in pairs:
        if low > high:
            raise ValueError(f"range {low}–{high} is reversed")


class Gluconate(Cited):
    """Calcium gluconate 10% injection."""

    salt_mg_per_ml: float = Field(gt=0)
    elemental_mg_per_ml: float = Field(gt=0)
    elemental_mmol_per_ml: float = Field(gt=0)
    ampoule_ml: float = Field(gt=0)

    @property
    def elemental_fraction(self) -> Fraction:
        """Elemental calcium per mg of calcium gluconate (0.093)."""
        return exact(self.elemental_mg_per_ml) / exact(self.salt_mg_per_ml)


class Bolus(Cited):
    """Emergency IV bolus (SfE)."""

    volume_ml_low: float = Field(gt=0)
    volume_ml_high: float = Field(gt=0)
    diluent_ml_low: float = Field(gt=0)
    diluent_ml_high: float = Field(gt=0)
    diluent: str
    minutes: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.volume_ml_low, self.volume_ml_high),
                 (self.diluent_ml_low, self.diluent_ml_high))
        return self


class LabelInfusion(Cited):
    """The label's adult continuous infusion (of calcium gluconate, the salt)."""

    salt_mg_per_kg_per_h_low: float = Field(gt=0)
    salt_mg_per_kg_per_h_high: float = Field(gt=0)
    concentration_mg_per_ml_low: float = Field(gt=0)
    concentration_mg_per_ml_high: float = Field(gt=0)
    max_salt_mg_per_min: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.salt_mg_per_kg_per_h_low, self.salt_mg_per_kg_per_h_high),
                 (self.concentration_mg_per_ml_low, self.concentration_mg_per_ml_high))
        return self


class SfeInfusion(Cited):
    """Society for Endocrinology maintenance infusion: gluconate added to a bag."""

    gluconate_ml: float = Field(gt=0)
    bag_ml: float = Field(gt=0)
    """Volume of the bag the gluconate is added to (the SfE "in 1 L")."""
    diluent: str
    rate_ml_h_low: float = Field(gt=0)
    rate_ml_h_high: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.rate_ml_h_low, self.rate_ml_h_high))
        return self


class LiteratureRegimen(Cited):
    """A weight-based regimen found only in secondary sources: cited text, never computed."""

    elemental_mg_per_kg_low: float = Field(gt=0)
    elemental_mg_per_kg_high: float = Field(gt=0)
    hours_low: float = Field(gt=0)
    hours_high: float = Field(gt=0)


class Oral(Cited):
    """Oral elemental calcium for treatment."""

    mg_per_day_low: float = Field(gt=0)
    mg_per_day_high: float = Field(gt=0)
    max_mg_per_dose: float = Field(gt=0)
    notes: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        _ordered((self.mg_per_day_low, self.mg_per_day_high))
        return self


class OralSalt(Frozen):
    """An oral calcium salt and an example tablet strength."""

    id: str
    label: str
    elemental_fraction: float = Field(gt=0, lt=1)
    tablet_salt_mg: float = Field(gt=0)
    timing: str
    """When to take it ("with food")."""


class Salts(Cited):
    """Elemental calcium content of oral salts (tablet strengths are examples)."""

    salts: tuple[OralSalt, ...] = Field(min_length=1)
    tablet_evidence_note: Note


class CalciumDosingParams(Frozen):
    """Knowledge-base parameters of calcium dosing."""

    gluconate: Gluconate
    bolus: Bolus
    label_infusion: LabelInfusion
    sfe_infusion: SfeInfusion
    literature_regimen: LiteratureRegimen
    oral: Oral
    salts: Salts
    reference_range: ReferenceRange
    severe_hypocalcemia: SevereThreshold
    iv_monitoring: tuple[Note, ...] = ()
    normal_calcium_symptoms: tuple[Note, ...] = Field(min_length=1)
    """What to do for symptoms when calcium is not low (no calcium)."""
    hypercalcaemia: tuple[Note, ...] = Field(min_length=1)
    """Why no calcium is given above the upper limit."""
    no_calcium_value: tuple[Note, ...] = Field(min_length=1)
    """What to do when no calcium value is known."""
    general: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _sfe_bag_within_label_dilution(self) -> Self:
        conc = _bag_concentration(self)
        low = exact(self.label_infusion.concentration_mg_per_ml_low)
        high = exact(self.label_infusion.concentration_mg_per_ml_high)
        if not low <= conc <= high:
            raise ValueError(f"the SfE bag ({float(conc):.2f} mg/mL) is outside the label's "
                             f"infusion dilution ({float(low)}–{float(high)} mg/mL)")
        return self


class Range(Frozen):
    """A low–high pair in one unit."""

    low: float
    high: float
    unit: str


class InfusionOption(Frozen):
    """One continuous-infusion rate for this weight, within the label range."""

    key: str
    label: str
    refs: tuple[str, ...]
    salt_mg_per_kg_per_h: float
    """Calcium gluconate (the salt), as the label states its range."""
    elemental_mg_per_kg_per_h: float
    salt_mg_per_h: float
    elemental_mg_per_h: float
    concentration_mg_per_ml: float
    """Calcium gluconate per mL of the bag."""
    dilution: str
    rate_ml_per_h: float
    below_label_start: bool = False
    """Slower than the label's starting range for this weight (allowed, flagged)."""


class SaltDose(Frozen):
    """How one oral salt delivers the daily elemental calcium without exceeding a dose."""

    salt: str
    label: str
    timing: str
    salt_mg_per_day: Range
    tablet_salt_mg: float
    tablet_elemental_mg: float
    tablets_per_dose_max: int
    """Whole tablets per dose that stay within the per-dose limit."""
    tablets_per_day: Range
    """Whole tablets: the low end rounded up, the high end rounded down (never above range)."""


class CalciumDosingResult(Result):
    """Whether and how to give calcium for this patient."""

    route: Route
    calcium_level: CalciumLevel | None
    """Where the corrected calcium lies (None: no value given)."""
    bolus_ml: Range | None
    bolus_salt_mg: Range | None
    bolus_elemental_mg: Range | None
    bolus_elemental_mmol: Range | None
    infusion_options: tuple[InfusionOption, ...]
    oral_elemental_mg_per_day: Range | None
    oral_doses_per_day: Range | None
    oral_max_elemental_mg_per_dose: float | None
    oral_salts: tuple[SaltDose, ...]


def _rng(low: Fraction | float, high: Fraction | float, unit: str) -> Range:
    return Range(low=float(low), high=float(high), unit=unit)


def _bag_concentration(params: CalciumDosingParams) -> Fraction:
    s, g = params.sfe_infusion, params.gluconate
    return exact(s.gluconate_ml) * exact(g.salt_mg_per_ml) / (exact(s.gluconate_ml)
                                                              + exact(s.bag_ml))


def _infusion(weight: Fraction, params: CalciumDosingParams
              ) -> tuple[list[InfusionOption], list[Note]]:
    """Rates within the label range for this weight, at the SfE bag's concentration."""
    g, lab, s = params.gluconate, params.label_infusion, params.sfe_infusion
    conc = _bag_concentration(params)
    frac = g.elemental_fraction
    max_salt_mg_h = min(exact(lab.salt_mg_per_kg_per_h_high) * weight,
                        exact(lab.max_salt_mg_per_min) * 60)
    min_salt_mg_h = exact(lab.salt_mg_per_kg_per_h_low) * weight
    dilution = (f"{format_number(s.gluconate_ml)} mL calcium gluconate 10% added to a "
                f"{format_number(s.bag_ml)} mL bag = {format_number(conc, 2)} mg/mL")
    wanted = [
        ("label_low", "Label starting range, low end", lab.refs, min_salt_mg_h),
        ("sfe_low", f"SfE rate {format_number(s.rate_ml_h_low)} mL/h", s.refs,
         exact(s.rate_ml_h_low) * conc),
        ("sfe_high", f"SfE rate {format_number(s.rate_ml_h_high)} mL/h", s.refs,
         exact(s.rate_ml_h_high) * conc),
        ("label_max", "Label maximum for this weight", lab.refs, max_salt_mg_h),
    ]
    options: list[InfusionOption] = []
    notes: list[Note] = []
    for key, label, refs, salt_mg_h in sorted(wanted, key=lambda w: w[3]):
        if salt_mg_h > max_salt_mg_h:
            notes.append(Note(
                text=f"{label} would give {format_number(salt_mg_h / weight, 1)} mg/kg/h "
                f"calcium gluconate for {format_number(weight, 1)} kg, above the label maximum "
                f"of {format_number(lab.salt_mg_per_kg_per_h_high)} mg/kg/h: do not exceed "
                f"{format_number(max_salt_mg_h / conc, 1)} mL/h of this bag.",
                refs=(*s.refs, *lab.refs), evidence=lab.evidence))
            continue
        options.append(InfusionOption(
            key=key, label=label, refs=tuple(refs),
            salt_mg_per_kg_per_h=float(salt_mg_h / weight),
            elemental_mg_per_kg_per_h=float(salt_mg_h * frac / weight),
            salt_mg_per_h=float(salt_mg_h), elemental_mg_per_h=float(salt_mg_h * frac),
            concentration_mg_per_ml=float(conc), dilution=dilution,
            rate_ml_per_h=float(salt_mg_h / conc),
            below_label_start=salt_mg_h < min_salt_mg_h))
    return options, notes


def _infusion_table(options: list[InfusionOption], params: CalciumDosingParams) -> Table:
    rows = []
    for o in options:
        rows.append((
            o.label + (" (below the label's starting range)" if o.below_label_start else ""),
            f"{format_number(o.rate_ml_per_h, 1)} mL/h",
            f"{format_number(o.salt_mg_per_kg_per_h, 1)} mg/kg/h = "
            f"{format_number(o.salt_mg_per_h, 0)} mg/h",
            f"{format_number(o.elemental_mg_per_kg_per_h, 2)} mg/kg/h = "
            f"{format_number(o.elemental_mg_per_h, 1)} mg/h",
        ))
    lab = params.label_infusion
    label_range = format_range(lab.salt_mg_per_kg_per_h_low, lab.salt_mg_per_kg_per_h_high, 1)
    return Table(
        key="infusion_options", title=f"Continuous infusion: {options[0].dilution}",
        columns=("Rate", "Bag rate", "Calcium gluconate", "Elemental calcium"),
        rows=tuple(rows), evidence=worst_evidence([lab.evidence, params.sfe_infusion.evidence]),
        notes=(Note(text="Every rate shown is within the label's adult continuous-infusion "
                    f"range of {label_range} mg/kg/h calcium gluconate, never faster than "
                    f"{format_number(lab.max_salt_mg_per_min)} mg/min; titrate to calcium.",
                    refs=lab.refs, evidence=lab.evidence),))


def _oral(params: CalciumDosingParams) -> tuple[Range, Range, list[SaltDose]]:
    o = params.oral
    per_dose = exact(o.max_mg_per_dose)
    low, high = exact(o.mg_per_day_low), exact(o.mg_per_day_high)
    doses = _rng(math.ceil(low / per_dose), math.ceil(high / per_dose), "doses")
    salts = []
    for salt in params.salts.salts:
        frac = exact(salt.elemental_fraction)
        tab_el = exact(salt.tablet_salt_mg) * frac
        per_dose_tabs = math.floor(per_dose / tab_el)
        salts.append(SaltDose(
            salt=salt.id, label=salt.label, timing=salt.timing,
            salt_mg_per_day=_rng(low / frac, high / frac, "mg"),
            tablet_salt_mg=salt.tablet_salt_mg, tablet_elemental_mg=float(tab_el),
            tablets_per_dose_max=per_dose_tabs,
            tablets_per_day=_rng(math.ceil(low / tab_el), math.floor(high / tab_el), "tablets"),
        ))
    return _rng(low, high, "mg"), doses, salts


def _salt_table(salts: list[SaltDose], params: CalciumDosingParams) -> Table:
    o = params.oral
    rows = []
    for s in salts:
        tabs = s.tablets_per_day
        rows.append((
            s.label,
            f"{format_range(s.salt_mg_per_day.low, s.salt_mg_per_day.high, 0)} mg salt",
            f"{format_range(tabs.low, tabs.high, 0)} × {format_number(s.tablet_salt_mg)} mg "
            f"({format_number(s.tablet_elemental_mg, 1)} mg calcium each); at most "
            f"{s.tablets_per_dose_max} per dose",
            s.timing,
        ))
    return Table(key="oral_salts",
                 title=f"Oral salts for {format_range(o.mg_per_day_low, o.mg_per_day_high, 0)} "
                 "mg elemental calcium a day",
                 columns=("Salt", "Per day", "Example tablets", "Take"), rows=tuple(rows),
                 notes=(params.salts.tablet_evidence_note,),
                 evidence=worst_evidence([params.salts.evidence, params.oral.evidence,
                                          params.salts.tablet_evidence_note.evidence]))


def calcium_dosing(inp: CalciumDosingInput, params: CalciumDosingParams) -> CalciumDosingResult:
    """Decide whether calcium is indicated and by which route, then compute the doses."""
    g, b, s, o = params.gluconate, params.bolus, params.sfe_infusion, params.oral
    weight = exact(inp.weight_kg)
    unit = inp.calcium_unit
    limit_errors = check_lab_limits(inp.lower_limit, inp.upper_limit, unit,
                                    params.reference_range)
    if limit_errors:
        raise InputErrors.of(limit_errors)
    rng = lab_range(inp.lower_limit, inp.upper_limit, unit, params.reference_range)
    sev = params.severe_hypocalcemia
    severe_in_unit = CALCIUM.convert_exact(sev.below_mmol_l, CalciumUnit.MMOL_L, unit)

    def level_of(value: Fraction) -> CalciumLevel:
        if value >= rng.lower:
            return "high" if value > rng.upper else "normal"
        return "severe_low" if value < severe_in_unit else "low"

    level: CalciumLevel | None = None
    ca_text = ""
    steps = [Step(label="Weight", value=inp.weight_kg, unit="kg")]
    if inp.corrected_calcium is not None:
        ca = exact(inp.corrected_calcium)
        level = level_of(ca)
        ca_text = f"{format_decisive(ca, 2, level_of)} {unit}"
        steps.append(Step(label="Corrected calcium", value=inp.corrected_calcium, unit=unit,
                          detail=f"reference range {rng.text()}; severe below "
                          f"{format_number(sev.below_mmol_l)} mmol/L"))

    route: Route
    sev_tag: Literal["normal", "info", "warning", "danger"]
    if level is None:
        route, category, sev_tag = "none", "calcium_needed", "warning"
        label = "Route not chosen: enter the corrected calcium"
        interpretation = ("The route cannot be chosen without a calcium value: measure "
                          "corrected or ionised calcium now.")
        next_steps = list(params.no_calcium_value)
    elif level == "high":
        route, category, sev_tag = "none", "hypercalcaemia", "danger"
        label = "Hypercalcaemia: calcium is contraindicated"
        interpretation = (f"Corrected calcium {ca_text} is above the reference range "
                          f"({rng.text()}): do not give calcium.")
        next_steps = list(params.hypercalcaemia)
    elif level == "normal":
        route, sev_tag = "none", "warning" if inp.symptomatic else "normal"
        category = "symptoms_normal_calcium" if inp.symptomatic else "normal"
        label = ("Calcium not low: no calcium for these symptoms" if inp.symptomatic
                 else "Calcium within range: no replacement needed")
        interpretation = (f"Corrected calcium {ca_text} is within the reference range "
                          f"({rng.text()})" + (": the symptoms are not explained by low total "
                                               "calcium, so calcium is not recommended for them."
                                               if inp.symptomatic else "."))
        next_steps = list(params.normal_calcium_symptoms) if inp.symptomatic else []
    elif level == "severe_low" or inp.symptomatic:
        route, category, sev_tag = "iv", "severe", "danger"
        why = (f"below {format_number(sev.below_mmol_l)} mmol/L" if level == "severe_low"
               else "symptomatic, below the reference range")
        label = "Severe hypocalcaemia: IV calcium now"
        interpretation = (f"Corrected calcium {ca_text} ({why}): severe hypocalcaemia. Give the "
                          "IV bolus, then a continuous infusion, with ECG monitoring.")
        next_steps = []
    else:
        route, category, sev_tag = "oral", "mild", "warning"
        label = "Mild hypocalcaemia: oral calcium"
        interpretation = (f"Corrected calcium {ca_text} is below the reference range "
                          f"({rng.text()}) but not below {format_number(sev.below_mmol_l)} "
                          "mmol/L, with no symptoms: oral calcium.")
        next_steps = []

    figures = [Figure(key="route", label="Route now", text={
        "iv": "IV calcium gluconate 10%", "oral": "Oral calcium",
        "none": "No calcium" if level is not None else "Not chosen: calcium value needed",
    }[route], value=route, summary=True, tone=sev_tag)]
    if ca_text:
        figures.append(Figure(key="corrected_calcium", label="Corrected calcium", text=ca_text,
                              value=inp.corrected_calcium, unit=str(unit)))
    plan: list[PlanSection] = []
    tables: list[Table] = []
    warnings: list[Note] = []
    evid = [sev.evidence]
    refs: list[str] = [*sev.refs]
    bolus_ml = bolus_salt = bolus_mg = bolus_mmol = None
    options: list[InfusionOption] = []
    oral_day = oral_doses = None
    salts: list[SaltDose] = []

    if route == "iv":
        lo, hi = exact(b.volume_ml_low), exact(b.volume_ml_high)
        bolus_ml = _rng(lo, hi, "mL")
        bolus_salt = _rng(lo * exact(g.salt_mg_per_ml), hi * exact(g.salt_mg_per_ml), "mg")
        bolus_mg = _rng(lo * exact(g.elemental_mg_per_ml), hi * exact(g.elemental_mg_per_ml),
                        "mg")
        bolus_mmol = _rng(lo * exact(g.elemental_mmol_per_ml),
                          hi * exact(g.elemental_mmol_per_ml), "mmol")
        bolus_text = (
            f"{format_range(lo, hi)} mL calcium gluconate 10% "
            f"({format_range(bolus_salt.low, bolus_salt.high, 0)} mg calcium gluconate = "
            f"{format_range(bolus_mg.low, bolus_mg.high, 0)} mg elemental calcium, "
            f"{format_range(bolus_mmol.low, bolus_mmol.high, 1)} mmol) in "
            f"{format_range(b.diluent_ml_low, b.diluent_ml_high)} mL {b.diluent} over "
            f"{format_number(b.minutes)} min")
        options, dropped = _infusion(weight, params)
        by_key = {x.key: x for x in options}
        # The SfE rates where the label allows them; else the label's own ends.
        low_rate = (by_key.get("sfe_low") or by_key["label_low"]).rate_ml_per_h
        top = (by_key.get("sfe_high") or by_key["label_max"]).rate_ml_per_h
        infusion_text = (f"{format_number(s.gluconate_ml)} mL calcium gluconate 10% added to "
                         f"a {format_number(s.bag_ml)} mL bag of {s.diluent} at "
                         f"{format_range(low_rate, top, 1)} mL/h, titrated")
        figures += [
            Figure(key="iv_bolus", label="IV bolus now", text=bolus_text, value=float(hi),
                   unit="mL", summary=True, evidence=b.evidence,
                   short=f"{format_range(lo, hi)} mL calcium gluconate 10% over "
                   f"{format_number(b.minutes)} min"),
            Figure(key="infusion", label="Then continuous infusion", text=infusion_text,
                   value=top, unit="mL/h", evidence=worst_evidence([s.evidence])),
        ]
        plan += [
            PlanSection(key="iv_bolus", title="IV bolus now", items=(
                Note(text=f"Give {bolus_text}, with ECG monitoring; repeat until the symptoms "
                     "resolve.", refs=b.refs, evidence=b.evidence), *b.notes)),
            PlanSection(key="infusion", title="Then a continuous infusion", items=(
                *s.notes, *params.label_infusion.notes, *dropped)),
        ]
        if params.iv_monitoring:
            plan.append(PlanSection(key="monitoring", title="Monitoring",
                                    items=params.iv_monitoring))
        tables.append(_infusion_table(options, params))
        lit, lab = params.literature_regimen, params.label_infusion
        lit_max = exact(lit.elemental_mg_per_kg_high) / exact(lit.hours_low)
        lab_max_el = exact(lab.salt_mg_per_kg_per_h_high) * g.elemental_fraction
        lit_range = format_range(lit.elemental_mg_per_kg_low, lit.elemental_mg_per_kg_high)
        warnings.append(Note(
            text=f"A regimen of {lit_range} mg/kg elemental "
            f"calcium over {format_range(lit.hours_low, lit.hours_high)} h appears in secondary "
            "sources. It is not used here: at "
            f"{format_number(lit.elemental_mg_per_kg_high)} mg/kg over "
            f"{format_number(lit.hours_low)} h it is {format_number(lit_max, 2)} mg/kg/h, above "
            f"the label maximum of {format_number(lab_max_el, 1)} mg/kg/h elemental calcium.",
            refs=(*lit.refs, *lab.refs), evidence=lit.evidence))
        evid += [g.evidence, b.evidence, s.evidence, lab.evidence]
        refs += [*b.refs, *s.refs, *lab.refs, *g.refs]

    if route in ("iv", "oral"):
        oral_day, oral_doses, salts = _oral(params)
        oral_text = (f"{format_range(oral_day.low, oral_day.high, 0)} mg elemental calcium a "
                     f"day as {format_range(oral_doses.low, oral_doses.high, 0)} doses of at "
                     f"most {format_number(o.max_mg_per_dose)} mg")
        figures.append(Figure(key="oral", label="Oral calcium" if route == "oral"
                              else "When stable: oral calcium", text=oral_text,
                              value=oral_day.high, unit="mg/day", summary=route == "oral",
                              evidence=o.evidence,
                              short=f"{format_range(oral_day.low, oral_day.high, 0)} mg "
                              "elemental calcium a day"))
        plan.append(PlanSection(
            key="oral", title="Oral calcium" if route == "oral" else "When stable and able to "
            "swallow: oral calcium",
            items=(Note(text=f"{oral_text.capitalize()}.", refs=o.refs, evidence=o.evidence),
                   *o.notes)))
        tables.append(_salt_table(salts, params))
        evid += [o.evidence, params.salts.evidence]
        refs += [*o.refs, *params.salts.refs]
    warnings.extend(params.general)
    if level is None:
        evid.append("partial")

    return CalciumDosingResult(
        calculator="calcium_dosing",
        inputs={"weight_kg": inp.weight_kg, "symptomatic": inp.symptomatic,
                "corrected_calcium": inp.corrected_calcium, "calcium_unit": str(unit),
                "lower_limit": float(rng.lower), "upper_limit": float(rng.upper)},
        category=category,
        category_label=label,
        severity=sev_tag,
        interpretation=interpretation,
        next_steps=tuple(next_steps),
        warnings=tuple(warnings),
        steps=tuple(steps),
        refs=tuple(dict.fromkeys(refs)),
        evidence=worst_evidence(evid),
        figures=tuple(figures),
        tables=tuple(tables),
        plan=tuple(plan),
        route=route,
        calcium_level=level,
        bolus_ml=bolus_ml,
        bolus_salt_mg=bolus_salt,
        bolus_elemental_mg=bolus_mg,
        bolus_elemental_mmol=bolus_mmol,
        infusion_options=tuple(options),
        oral_elemental_mg_per_day=oral_day,
        oral_doses_per_day=oral_doses,
        oral_max_elemental_mg_per_dose=o.max_mg_per_dose if oral_day else None,
        oral_salts=tuple(salts),
    )


CALCIUM_DOSING: CalculatorSpec[CalciumDosingInput, CalciumDosingParams, CalciumDosingResult] = (
    CalculatorSpec(
        id="calcium_dosing",
        input_model=CalciumDosingInput,
        params_model=CalciumDosingParams,
        compute=calcium_dosing,
    )
)
