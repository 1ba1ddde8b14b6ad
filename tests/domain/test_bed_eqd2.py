"""BED/EQD2 (Fowler 1989) against the reference table of clinical-reference.md §8."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import InputError
from tests.conftest import run


@pytest.mark.parametrize(
    ("total", "n", "ab", "bed", "eqd2"),
    [
        (8, 1, 10, 14.4, 12.0), (8, 1, 3, 88 / 3, 17.6), (20, 5, 10, 28.0, 70 / 3),
        (20, 5, 3, 140 / 3, 28.0), (24, 6, 10, 33.6, 28.0), (30, 10, 10, 39.0, 32.5),
        (30, 10, 3, 60.0, 36.0), (16, 2, 10, 28.8, 24.0), (24, 2, 10, 52.8, 44.0),
        (24, 2, 2, 168.0, 84.0), (16, 1, 10, 41.6, 104 / 3), (18, 1, 10, 50.4, 42.0),
        (24, 1, 10, 81.6, 68.0), (27, 3, 10, 51.3, 42.75), (30, 5, 10, 48.0, 40.0),
        (37.5, 15, 10, 46.875, 39.0625), (40, 20, 10, 48.0, 40.0),
    ],
    # Source: clinical-reference.md §8 table (Fowler 1989 formula, exact fractions), and the
    # 2024 preprint's 10 × 3 Gy = 32.5 Gy10, 15 × 2.5 Gy = 39.1 Gy10, 20 × 2 Gy = 40 Gy10.
    ids=lambda v: str(v),
)
def test_reference_values(total: float, n: int, ab: float, bed: float, eqd2: float) -> None:
    r = run("bed_eqd2", total_dose_gy=total, fractions=n, alpha_beta_gy=ab)
    assert r.bed_gy == pytest.approx(bed, rel=1e-12)
    assert r.eqd2_gy == pytest.approx(eqd2, rel=1e-12)
    assert r.dose_per_fraction_gy == pytest.approx(total / n, rel=1e-12)


def test_lq_validity_warning_above_10_gy_per_fraction() -> None:
    at = run("bed_eqd2", total_dose_gy=10, fractions=1, alpha_beta_gy=10)
    above = run("bed_eqd2", total_dose_gy=10.01, fractions=1, alpha_beta_gy=10)
    assert not at.beyond_lq_validity and at.category == "lq_range"
    assert above.beyond_lq_validity and above.category == "lq_extrapolated"
    assert any("extrapolat" in w.text for w in above.warnings)


def test_comparison_with_standard_regimens_at_same_alpha_beta() -> None:
    r = run("bed_eqd2", total_dose_gy=30, fractions=10, alpha_beta_gy=3)
    comps = {c.id: c for c in r.comparisons}
    assert {"8gy_1", "20gy_5", "24gy_6", "30gy_10", "16gy_2", "24gy_2"} <= set(comps)
    assert comps["8gy_1"].eqd2_gy == pytest.approx(17.6)
    assert comps["30gy_10"].bed_gy == pytest.approx(r.bed_gy)
    assert comps["24gy_1"].beyond_lq_validity


@pytest.mark.parametrize(("kw", "words"), [
    (dict(total_dose_gy=8, fractions=0, alpha_beta_gy=10), "between 1 and 100"),
    (dict(total_dose_gy=8, fractions=1, alpha_beta_gy=0), "between 0.5 and 50 Gy (got 0)"),
    (dict(total_dose_gy=-8, fractions=1, alpha_beta_gy=10), "more than 0"),
    (dict(total_dose_gy=8, fractions=2.5, alpha_beta_gy=10), "whole number"),
])
def test_bad_input(kw: dict[str, float], words: str) -> None:
    with pytest.raises(InputError) as exc:
        run("bed_eqd2", **kw)
    assert words in exc.value.message
