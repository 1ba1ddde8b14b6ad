"""Cockcroft-Gault (Nephron 1976) and the zoledronic acid label bands (Zometa PI Table 1)."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import OutOfRange, UnitError
from tests.conftest import run


def crcl(**kw: object):
    base: dict[str, object] = dict(age_years=80, sex="male", creatinine=1.0,
                                   creatinine_unit="mg/dL")
    base.update(kw)
    return run("crcl_zoledronic", **base)


def test_published_formula() -> None:
    r = crcl(age_years=60, weight_kg=72, creatinine=1.0)
    assert r.crcl_ml_min == pytest.approx(80.0, abs=1e-12)  # (140−60)×72/(72×1)
    f = crcl(age_years=60, weight_kg=72, creatinine=1.0, sex="female")
    assert f.crcl_ml_min == pytest.approx(68.0, abs=1e-12)


def test_umol_l_is_converted_at_full_precision() -> None:
    a = crcl(age_years=65, weight_kg=70, sex="female", creatinine=106, creatinine_unit="umol/L")
    expected = (140 - 65) * 70 / (72 * (106 / 88.4)) * 0.85
    assert a.crcl_ml_min == pytest.approx(expected, rel=1e-12)
    assert a.creatinine_mg_dl == pytest.approx(106 / 88.4, rel=1e-12)
    b = crcl(age_years=65, weight_kg=70, sex="female", creatinine=106, creatinine_unit="µmol/L")
    assert b.crcl_ml_min == a.crcl_ml_min


# (140 − 80) × w / 72: w = 72 → 60.0, 60 → 50.0, 48 → 40.0, 36 → 30.0 exactly.
@pytest.mark.parametrize(
    ("weight", "dose", "volume"),
    [
        (72.0, 3.5, 4.4),          # exactly 60 → 3.5 (4 mg band is > 60)
        (72.0012, 4.0, 5.0),       # just above 60
        (60.0, 3.5, 4.4),          # exactly 50
        (59.9988, 3.3, 4.1),       # just below 50 (49.999)
        (48.0, 3.3, 4.1),          # exactly 40
        (47.9988, 3.0, 3.8),       # just below 40
        (36.0, 3.0, 3.8),          # exactly 30
        (35.9988, None, None),     # just below 30: not recommended
    ],
)
def test_band_edges_on_unrounded_crcl(weight: float, dose: float | None, volume: float | None
                                      ) -> None:
    r = crcl(weight_kg=weight)
    assert r.zoledronic_acid_dose_mg == dose
    assert r.concentrate_volume_ml == volume
    if dose is None:
        assert r.category == "not_recommended"
        assert r.severity == "danger"


def test_values_that_would_round_into_another_band_do_not() -> None:
    r = crcl(weight_kg=59.6)  # 49.67 mL/min: rounds to 50 but is below 50 → 3.3 mg
    assert r.crcl_ml_min < 50
    assert r.zoledronic_acid_dose_mg == 3.3


def test_alternatives_with_height() -> None:
    r = crcl(age_years=65, weight_kg=110, sex="female", creatinine=1.2, height_cm=160)
    ibw = 45.5 + 2.3 * (160 / 2.54 - 60)
    assert r.ideal_body_weight_kg == pytest.approx(ibw, rel=1e-12)
    assert r.bmi_kg_m2 == pytest.approx(110 / 1.6**2, rel=1e-12)
    alts = {a.basis: a for a in r.alternatives}
    assert alts["adjusted"].weight_kg == pytest.approx(ibw + 0.4 * (110 - ibw), rel=1e-12)
    assert alts["bmi_rule"].weight_kg == alts["adjusted"].weight_kg  # BMI ≥ 25
    # Actual weight gives 4 mg; the adjusted weight moves this obese woman to a reduced band.
    assert r.zoledronic_acid_dose_mg == 4.0
    assert alts["adjusted"].zoledronic_acid_dose_mg < 4.0
    assert any("weight basis changes" in w.text for w in r.warnings)


def test_creatinine_unit_mixup_is_named() -> None:
    with pytest.raises(UnitError) as exc:
        crcl(weight_kg=70, creatinine=183)
    assert "looks like µmol/L" in exc.value.message and "183" in exc.value.message
    with pytest.raises(UnitError, match="looks like mg/dL"):
        crcl(weight_kg=70, creatinine=1.2, creatinine_unit="umol/L")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("age_years", 17, "between 18 and 120 years (got 17)"),
    ("weight_kg", 0, "between 20 and 350 kg (got 0)"),
    ("height_cm", 30, "between 100 and 250 cm (got 30)"),
])
def test_out_of_range(field: str, value: float, words: str) -> None:
    kwargs: dict[str, object] = {"weight_kg": 70, field: value}
    with pytest.raises(OutOfRange) as exc:
        crcl(**kwargs)
    assert exc.value.field == field
    assert words in exc.value.message


def test_advice_and_sources() -> None:
    r = crcl(weight_kg=60)
    assert any("before every dose" in n.text for n in r.next_steps)
    assert {"cockcroft1976", "zometa_pi"} <= set(r.refs)


# CrCl = (140 − 80) × w / 72 = 5w/6 for an 80-year-old man with creatinine 1 mg/dL.
@pytest.mark.parametrize(("weight", "shown", "dose"), [
    (59.988, "49.99 mL/min", "3.3 mg = 4.1 mL"),       # not "50", which reads as 3.5 mg
    (35.9952, "29.996 mL/min", "Not recommended"),     # not "30", which reads as 3 mg
    (72.0096, "60.01 mL/min", "4 mg = 5 mL"),          # not "60", which reads as 3.5 mg
    (72, "60 mL/min", "3.5 mg = 4.4 mL"),              # exactly 60 is the 50–60 band
    (54, "45 mL/min", "3.3 mg = 4.1 mL"),
])
def test_rendered_crcl_falls_in_the_band_it_was_given(weight: float, shown: str, dose: str
                                                      ) -> None:
    from mobile_app.knowledge.text import result_text
    from tests.conftest import bundled_kb

    r = crcl(weight_kg=weight)
    figures = {f.key: f.text for f in r.figures}
    assert figures["crcl"] == shown and figures["zoledronic_acid"].startswith(dose)
    text = result_text(r, bundled_kb())
    assert f"CrCl (Cockcroft-Gault, actual weight): {shown}" in text
    assert f"Zoledronic acid: {dose}" in text


def test_implausible_results_are_flagged() -> None:
    low = crcl(age_years=30, weight_kg=70, creatinine=0.4)  # 267 mL/min
    texts = " ".join(w.text for w in low.warnings)
    assert "below the adult reference range" in texts and "above 150 mL/min" in texts
    assert "overestimates" in texts
    woman = crcl(age_years=60, weight_kg=60, sex="female", creatinine=0.7)
    assert not any("below the adult reference range" in w.text for w in woman.warnings)
    man = crcl(age_years=60, weight_kg=60, creatinine=0.7)
    assert any("below the adult reference range" in w.text for w in man.warnings)
    ok = crcl(age_years=60, weight_kg=72, creatinine=1.0)
    assert not any("reference range" in w.text for w in ok.warnings if "CrCl" in w.text)


def test_exact_arithmetic_puts_a_bmi_of_exactly_25_in_the_adjusted_rule() -> None:
    r = crcl(age_years=72, weight_kg=64, sex="female", creatinine=110, creatinine_unit="umol/L",
             height_cm=160)  # 64 / 1.6² = 25 exactly (binary floats give 24.999…)
    assert r.bmi_kg_m2 == 25
    assert any(a.basis == "bmi_rule" and "adjusted" in a.label for a in r.alternatives)
