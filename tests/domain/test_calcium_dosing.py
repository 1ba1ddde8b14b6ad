"""Calcium dosing: SfE 2016 bolus/infusion, gluconate 9.3 mg/mL, weight-based maintenance [U]."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import InputError
from tests.conftest import run


def test_seventy_kg_worked_case() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=True)
    assert r.route == "iv" and r.category == "severe"
    assert (r.bolus_ml.low, r.bolus_ml.high) == (10, 20)
    assert r.bolus_elemental_mg.low == pytest.approx(93.0)
    assert r.bolus_elemental_mg.high == pytest.approx(186.0)
    assert r.maintenance_elemental_mg.low == pytest.approx(700.0)
    assert r.maintenance_elemental_mg.high == pytest.approx(1050.0)
    assert r.maintenance_gluconate_ml.low == pytest.approx(700 / 9.3)
    rates = {(o.mg_per_kg, o.hours): o for o in r.maintenance_options}
    assert rates[(15, 4)].elemental_mg_per_h == pytest.approx(262.5)
    assert rates[(10, 6)].elemental_mg_per_h == pytest.approx(700 / 6)
    assert rates[(15, 4)].gluconate_ml_per_h == pytest.approx(1050 / 9.3 / 4)
    # SfE: 100 mL of 10% (930 mg) in 1 L at 50–100 mL/h → 46.5–93 mg/h ≈ 0.66–1.33 mg/kg/h
    assert r.sfe_infusion_elemental_mg_per_h.low == pytest.approx(46.5)
    assert r.sfe_infusion_elemental_mg_per_h.high == pytest.approx(93.0)
    assert r.sfe_infusion_mg_per_kg_per_h.high == pytest.approx(93 / 70)


def test_oral_salts() -> None:
    r = run("calcium_dosing", weight_kg=60, symptomatic=False)
    salts = {s.salt: s for s in r.oral_salts}
    assert salts["carbonate"].salt_mg_per_day.low == pytest.approx(1000 / 0.40)
    assert salts["citrate"].salt_mg_per_day.high == pytest.approx(3000 / 0.21)
    assert (salts["carbonate"].tablets_per_day.low, salts["carbonate"].tablets_per_day.high) == (
        2, 6)
    assert r.oral_elemental_mg_per_dose.low == pytest.approx(1000 / 3)


def test_unverified_maintenance_is_labelled() -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=False)
    assert r.evidence == "unverified"
    assert any("unverified — check local protocol" in w.text for w in r.warnings)


@pytest.mark.parametrize(
    ("ca", "unit", "route"),
    [(1.89, "mmol/L", "iv"), (1.9, "mmol/L", "oral"), (7.6, "mg/dL", "iv"),
     (7.62, "mg/dL", "oral"), (None, "mg/dL", "oral")],
)
def test_severity_threshold_1_9_mmol_l(ca: float | None, unit: str, route: str) -> None:
    r = run("calcium_dosing", weight_kg=70, symptomatic=False, corrected_calcium=ca,
            calcium_unit=unit)
    assert r.route == route


def test_symptomatic_is_required_and_weight_is_checked() -> None:
    with pytest.raises(InputError, match="Symptomatic is required"):
        run("calcium_dosing", weight_kg=70)
    with pytest.raises(InputError, match="between 20 and 350 kg"):
        run("calcium_dosing", weight_kg=700, symptomatic=True)
