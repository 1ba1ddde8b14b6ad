"""Albumin-corrected calcium (Payne 1973 as simplified) and CTCAE grading."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import InputError, OutOfRange, UnitError
from tests.conftest import run


def cc(calcium: float, albumin: float, cu: str = "mg/dL", au: str = "g/dL", **kw: object):
    return run("corrected_calcium", calcium=calcium, calcium_unit=cu, albumin=albumin,
               albumin_unit=au, **kw)


def test_conventional_formula() -> None:
    r = cc(8.0, 2.0)  # 8.0 + 0.8 × (4.0 − 2.0) = 9.6
    assert r.corrected_calcium == pytest.approx(9.6, abs=1e-12)
    assert r.unit == "mg/dL"
    assert r.corrected_calcium_mmol_l == pytest.approx(9.6 / 4.008, abs=1e-12)


def test_si_formula() -> None:
    r = cc(2.10, 25, "mmol/L", "g/L")  # 2.10 + 0.02 × (40 − 25) = 2.40
    assert r.corrected_calcium == pytest.approx(2.40, abs=1e-12)
    assert r.corrected_calcium_mg_dl == pytest.approx(2.40 * 4.008, abs=1e-12)


@pytest.mark.parametrize(
    ("ca", "alb", "expected_mg_dl"),
    [
        # MedCalc-Bench rows whose v1.0 labels were wrong because of intermediate rounding;
        # corrected values confirmed by the physician-audited relabel (10.02 and 11.14).
        pytest.param(2.26, 28, 10.02, id="medcalc-bench-v1.0-row114"),
        pytest.param(2.6, 31, 11.14, id="medcalc-bench-v1.0-row117"),
    ],
)
def test_medcalc_bench_si_rows_without_intermediate_rounding(
    ca: float, alb: float, expected_mg_dl: float
) -> None:
    r = cc(ca, alb, "mmol/L", "g/L")
    assert r.corrected_calcium_mg_dl == pytest.approx(expected_mg_dl, abs=0.005)


def test_mixed_unit_systems_convert_albumin_exactly() -> None:
    a = cc(8.0, 20, "mg/dL", "g/L")
    b = cc(8.0, 2.0, "mg/dL", "g/dL")
    assert a.corrected_calcium == b.corrected_calcium


@pytest.mark.parametrize(
    ("value", "grade", "direction"),
    [
        (10.0, 0, "normal"), (10.5, 0, "normal"), (10.51, 1, "high"), (11.5, 1, "high"),
        (11.51, 2, "high"), (12.5, 2, "high"), (12.51, 3, "high"), (13.5, 3, "high"),
        (13.51, 4, "high"), (8.5, 0, "normal"), (8.49, 1, "low"), (8.0, 1, "low"),
        (7.99, 2, "low"), (7.0, 2, "low"), (6.99, 3, "low"), (6.0, 3, "low"), (5.99, 4, "low"),
    ],
    ids=lambda v: str(v),  # CTCAE v5 calcium grade edges in mg/dL (clinical-reference §3)
)
def test_ctcae_grade_edges_mg_dl(value: float, grade: int, direction: str) -> None:
    r = cc(value, 4.0)  # albumin 4.0: corrected == measured
    assert r.corrected_calcium == value
    assert (r.ctcae_grade, r.direction) == (grade, direction)


@pytest.mark.parametrize(
    ("value", "grade"),
    [(2.9, 1), (2.91, 2), (3.1, 2), (3.11, 3), (3.4, 3), (3.41, 4), (2.0, 1), (1.99, 2),
     (1.75, 2), (1.74, 3), (1.5, 3), (1.49, 4)],
)
def test_ctcae_grade_edges_mmol_l_use_published_si_cutoffs(value: float, grade: int) -> None:
    assert cc(value, 40, "mmol/L", "g/L").ctcae_grade == grade


def test_lab_limits_override_default_range() -> None:
    assert cc(8.6, 4.0).ctcae_grade == 0
    r = cc(8.6, 4.0, lower_limit=8.8, upper_limit=10.2)
    assert (r.ctcae_grade, r.direction) == (1, "low")
    with pytest.raises(InputError, match="must be below the upper"):
        cc(8.6, 4.0, lower_limit=10.2, upper_limit=8.8)


def test_default_range_is_labelled_unverified() -> None:
    r = cc(8.6, 4.0)
    assert any(w.evidence == "unverified" and "laboratory" in w.text for w in r.warnings)


def test_hypercalcaemia_of_malignancy_threshold_and_severe_hypocalcaemia() -> None:
    assert any("12 mg/dL" in n.text for n in cc(12.0, 4.0).next_steps)
    assert not any("12 mg/dL" in n.text for n in cc(11.99, 4.0).next_steps)
    severe = cc(1.85, 40, "mmol/L", "g/L")
    assert severe.severity == "danger"
    assert any("1.9 mmol/L" in n.text for n in severe.next_steps)
    assert not any("1.9 mmol/L" in n.text for n in cc(1.9, 40, "mmol/L", "g/L").next_steps)


@pytest.mark.parametrize(
    ("kwargs", "exc", "words"),
    [
        (dict(calcium=9.2, albumin=3.0, cu="mmol/L"), UnitError, "looks like mg/dL"),
        (dict(calcium=2.3, albumin=3.0), UnitError, "looks like mmol/L"),
        (dict(calcium=8.0, albumin=35), UnitError, "looks like g/L"),
        (dict(calcium=8.0, albumin=3.5, au="g/L"), UnitError, "looks like g/dL"),
        (dict(calcium=25.0, albumin=3.5), OutOfRange, "between 2.8 and 20 mg/dL (got 25)"),
        (dict(calcium=-1.0, albumin=3.5), OutOfRange, "got -1"),
    ],
)
def test_bad_input_names_value_range_and_likely_unit(kwargs, exc, words) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(exc) as err:
        cc(kwargs.pop("calcium"), kwargs.pop("albumin"), **kwargs)
    assert words in err.value.message


def test_default_range_classifies_the_same_patient_the_same_in_both_units() -> None:
    """2.15 mmol/L is 8.62 mg/dL: one patient, one classification (issue: G1 vs normal)."""
    a = run("corrected_calcium", calcium=2.15, calcium_unit="mmol/L", albumin=40,
            albumin_unit="g/L")
    b = run("corrected_calcium", calcium=8.62, albumin=4.0)
    assert (a.direction, a.ctcae_grade) == (b.direction, b.ctcae_grade) == ("normal", 0)
    assert a.lower_limit == pytest.approx(8.5 / 4.008, rel=1e-12)
    assert {f.key: f.text for f in a.figures}["reference_range"] == (
        "2.12–2.62 mmol/L (default)")


def test_corrected_value_is_shown_in_the_grade_it_was_given() -> None:
    r = run("corrected_calcium", calcium=7.96, albumin=4.0, upper_limit=10.5, lower_limit=8.5)
    assert r.ctcae_grade == 2  # 7.96 < 8.0
    assert {f.key: f.text for f in r.figures}["corrected_calcium"] == "7.96 mg/dL"
