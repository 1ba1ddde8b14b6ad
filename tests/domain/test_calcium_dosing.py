"""Calcium dosing against the Society for Endocrinology guidance (Turner 2016) and the US
calcium gluconate 10% label: route rules, label-bounded infusion, oral per-dose limit.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobile_app.domain.display import exact
from mobile_app.domain.errors import InputError, InputErrors, MissingAnswer
from mobile_app.domain.units import CALCIUM
from mobile_app.knowledge.text import result_text
from tests.conftest import bundled_kb, run

PARAMS = bundled_kb().calculators["calcium_dosing"].params
LLN_MG_DL = 8.5  # the default range, defined in mg/dL (shared/calcium.json)


def test_seventy_kg_symptomatic_severe_worked_case() -> None:
    """70 kg, symptomatic, corrected calcium 1.7 mmol/L: SfE severe → IV bolus and infusion."""
    r = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=1.7,
            calcium_unit="mmol/L")
    assert r.route == "iv" and r.category == "severe" and r.severity == "danger"
    assert (r.bolus_ml.low, r.bolus_ml.high) == (10, 20)
    assert (r.bolus_salt_mg.low, r.bolus_salt_mg.high) == (1000, 2000)
    assert r.bolus_elemental_mg.low == pytest.approx(93.0)
    assert r.bolus_elemental_mg.high == pytest.approx(186.0)
    opts = {o.key: o for o in r.infusion_options}
    # SfE bag: 100 mL (10,000 mg) added to 1,000 mL → 10,000 / 1,100 mg/mL.
    conc = 10000 / 1100
    assert opts["sfe_low"].rate_ml_per_h == pytest.approx(50)
    assert opts["sfe_low"].salt_mg_per_h == pytest.approx(50 * conc)
    assert opts["sfe_high"].elemental_mg_per_h == pytest.approx(100 * conc * 0.093)
    # Label range for 70 kg: 5.4–21.5 mg/kg/h calcium gluconate = 378–1,505 mg/h.
    assert opts["label_low"].salt_mg_per_h == pytest.approx(378)
    assert opts["label_max"].salt_mg_per_h == pytest.approx(1505)
    assert opts["label_max"].elemental_mg_per_kg_per_h == pytest.approx(21.5 * 0.093)
    assert opts["label_max"].rate_ml_per_h == pytest.approx(1505 / conc)
    text = result_text(r, bundled_kb())
    for shown in ("10–20 mL calcium gluconate 10%", "1,000–2,000 mg calcium gluconate",
                  "93–186 mg elemental calcium", "2.3–4.7 mmol", "50–100 mL/h",
                  "21.5 mg/kg/h = 1,505 mg/h", "5.4 mg/kg/h = 378 mg/h", "165.6 mL/h",
                  "1,000–3,000 mg elemental calcium a day", "2,500–7,500 mg salt",
                  "2–6 × 1,250 mg (500 mg calcium each)", "Weight 70 kg",
                  "Symptoms of hypocalcaemia: yes", "Corrected calcium 1.7 mmol/L"):
        assert shown in text, shown


@pytest.mark.parametrize(("ca", "unit", "symptomatic", "route", "category"), [
    (1.89, "mmol/L", False, "iv", "severe"),       # below 1.9: severe even without symptoms
    (1.9, "mmol/L", False, "oral", "mild"),        # at 1.9: not severe
    (7.6, "mg/dL", False, "iv", "severe"),         # 7.6 mg/dL = 1.896 mmol/L
    (7.62, "mg/dL", False, "oral", "mild"),        # 7.62 mg/dL = 1.901 mmol/L
    (8.4, "mg/dL", True, "iv", "severe"),          # symptomatic and below the LLN
    (8.4, "mg/dL", False, "oral", "mild"),
    (8.5, "mg/dL", True, "none", "symptoms_normal_calcium"),   # at the LLN: no calcium
    (9.5, "mg/dL", False, "none", "normal"),
    (10.5, "mg/dL", True, "none", "symptoms_normal_calcium"),  # at the ULN: still normal
    (11.5, "mg/dL", True, "none", "hypercalcaemia"),   # the hypercalcaemic patient
    (2.87, "mmol/L", True, "none", "hypercalcaemia"),
    (None, "mg/dL", True, "none", "calcium_needed"),
    (None, "mg/dL", False, "none", "calcium_needed"),
])
def test_route_rules(ca: float | None, unit: str, symptomatic: bool, route: str,
                     category: str) -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=symptomatic, corrected_calcium=ca,
            calcium_unit=unit)
    assert (r.route, r.category) == (route, category)
    assert (r.bolus_ml is not None) == (route == "iv")
    assert bool(r.infusion_options) == (route == "iv")
    assert (r.oral_elemental_mg_per_day is not None) == (route in ("iv", "oral"))


def test_hypercalcaemia_is_a_contraindication_and_points_to_the_card() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=11.5)
    assert r.severity == "danger"
    text = result_text(r, bundled_kb())
    assert "contraindicat" in text and "hypercalcaemia card" in text
    assert "IV bolus" not in text and "mL/h" not in text


def test_no_calcium_value_says_the_route_cannot_be_chosen() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True)
    assert "cannot be chosen without a calcium value" in r.interpretation
    assert {f.key: f.text for f in r.figures}["route"] == "Not chosen: calcium value needed"


def test_normal_calcium_with_symptoms_checks_ionised_calcium_and_magnesium() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=9.2)
    text = " ".join(n.text for n in r.next_steps)
    assert "ionised calcium" in text and "magnesium" in text.lower()


def test_the_same_patient_gets_the_same_route_in_either_unit() -> None:
    # (Values exactly on an edge cannot be typed in both units: 10.5 mg/dL is 2.61976… mmol/L.)
    for mg_dl in (7.5, 8.0, 8.49, 8.51, 8.62, 10.49, 10.6, 12.0):
        mmol = float(CALCIUM.convert_exact(mg_dl, "mg/dL", "mmol/L"))
        for symptomatic in (True, False):
            a = run("calcium_dosing", weight_kg=70, symptomatic=symptomatic,
                    corrected_calcium=mg_dl)
            b = run("calcium_dosing", weight_kg=70, symptomatic=symptomatic,
                    corrected_calcium=mmol, calcium_unit="mmol/L")
            assert (a.route, a.category) == (b.route, b.category), (mg_dl, symptomatic)


def test_lab_limits_replace_the_default_range() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=2.15,
            calcium_unit="mmol/L", lower_limit=2.2, upper_limit=2.6)
    assert r.route == "iv"
    d = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=2.15,
            calcium_unit="mmol/L")
    assert d.route == "none"  # default LLN 8.5 mg/dL = 2.12 mmol/L
    with pytest.raises(InputError, match="must be below the upper limit"):
        run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=2.0,
            calcium_unit="mmol/L", lower_limit=2.7)


def test_low_weight_drops_sfe_rates_above_the_label_maximum() -> None:
    r = run("calcium_dosing", weight_kg=40, symptomatic=True, corrected_calcium=1.6,
            calcium_unit="mmol/L")
    keys = [o.key for o in r.infusion_options]
    assert "sfe_high" not in keys  # 100 mL/h = 22.7 mg/kg/h at 40 kg > 21.5
    figure = {f.key: f.text for f in r.figures}["infusion"]
    assert "50–94.6 mL/h" in figure
    dropped = " ".join(n.text for p in r.plan for n in p.items)
    assert "22.7 mg/kg/h" in dropped and "do not exceed 94.6 mL/h" in dropped


def test_literature_regimen_is_text_only_with_its_warning() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True, corrected_calcium=1.7,
            calcium_unit="mmol/L")
    note = next(w for w in r.warnings if "10–15 mg/kg" in w.text)
    assert note.evidence == "unverified"
    assert "3.75 mg/kg/h" in note.text and "above the label maximum of 2 mg/kg/h" in note.text
    assert all(o.elemental_mg_per_kg_per_h <= 21.5 * 0.093 + 1e-12 for o in r.infusion_options)


def test_oral_doses_never_exceed_500_mg() -> None:
    r = run("calcium_dosing", weight_kg=60, symptomatic=False, corrected_calcium=8.0)
    assert r.route == "oral"
    assert (r.oral_doses_per_day.low, r.oral_doses_per_day.high) == (2, 6)
    assert r.oral_max_elemental_mg_per_dose == 500
    salts = {s.salt: s for s in r.oral_salts}
    assert salts["carbonate"].tablets_per_dose_max == 1  # 1,250 mg = 500 mg elemental
    assert salts["citrate"].tablets_per_dose_max == 2    # 950 mg = 199.5 mg elemental
    assert (salts["citrate"].tablets_per_day.low, salts["citrate"].tablets_per_day.high) == (
        6, 15)
    assert salts["carbonate"].timing == "with food"
    assert salts["citrate"].timing == "with or without food"
    text = result_text(r, bundled_kb())
    assert "IV" not in text.split("Caveats:")[0]  # the oral result shows no IV volumes


def test_every_input_problem_is_reported_at_once() -> None:
    with pytest.raises(InputErrors) as info:
        run("calcium_dosing", weight_kg=700, corrected_calcium=8.0)
    fields = {e.field for e in info.value.errors}
    assert fields == {"weight_kg", "symptomatic"}
    assert any(isinstance(e, MissingAnswer) for e in info.value.errors)
    with pytest.raises(InputError, match="between 20 and 350 kg"):
        run("calcium_dosing", weight_kg=700, symptomatic=True)


def test_kb_refuses_an_sfe_bag_outside_the_label_dilution() -> None:
    raw = PARAMS.model_dump()
    raw["sfe_infusion"]["bag_ml"] = 100  # 10 g in 200 mL = 50 mg/mL
    with pytest.raises(ValueError, match="outside the label's infusion dilution"):
        type(PARAMS).model_validate(raw)


calcium = st.one_of(st.none(), st.floats(min_value=2.8, max_value=20.0))


@settings(max_examples=1500, deadline=None)
@given(st.floats(min_value=20, max_value=350), st.booleans(), calcium)
def test_no_bolus_at_or_above_the_lower_limit_and_no_rate_above_the_label(
        weight: float, symptomatic: bool, ca: float | None) -> None:
    r = run("calcium_dosing", weight_kg=weight, symptomatic=symptomatic, corrected_calcium=ca)
    if r.bolus_ml is not None:
        assert ca is not None and exact(ca) < exact(LLN_MG_DL)
        assert symptomatic or CALCIUM.convert_exact(ca, "mg/dL", "mmol/L") < Fraction("1.9")
    lab = PARAMS.label_infusion
    for o in r.infusion_options:
        assert o.salt_mg_per_kg_per_h <= lab.salt_mg_per_kg_per_h_high * (1 + 1e-12)
        assert o.salt_mg_per_h / 60 <= lab.max_salt_mg_per_min
        assert 5.8 <= o.concentration_mg_per_ml <= 10
    if r.oral_max_elemental_mg_per_dose is not None:
        assert r.oral_max_elemental_mg_per_dose <= 500
        for s in r.oral_salts:
            assert s.tablets_per_dose_max * s.tablet_elemental_mg <= 500
