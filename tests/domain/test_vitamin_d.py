"""Vitamin D plan (Holick 2011 cut-offs; 1 ng/mL = 2.496 nmol/L), classified in the unit entered."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import OutOfRange, UnitError
from tests.conftest import run


@pytest.mark.parametrize(
    ("level", "unit", "category"),
    [
        (19.99, "ng/mL", "deficient"), (20, "ng/mL", "insufficient"),
        (29.99, "ng/mL", "insufficient"), (30, "ng/mL", "sufficient"),
        (49.9, "nmol/L", "deficient"), (50, "nmol/L", "insufficient"),
        (74.9, "nmol/L", "insufficient"), (75, "nmol/L", "sufficient"),
    ],
)
def test_cutoffs_in_each_unit(level: float, unit: str, category: str) -> None:
    assert run("vitamin_d_plan", level=level, unit=unit).category == category


def test_conversion_trap_classifies_in_unit_of_entry() -> None:
    r = run("vitamin_d_plan", level=74.9, unit="nmol/L")
    assert r.level_ng_ml == pytest.approx(74.9 / 2.496, rel=1e-12)
    assert r.level_ng_ml > 30  # converts above the ng/mL cut-off ...
    assert r.category == "insufficient"  # ... but is classified in nmol/L


def test_plan_contents() -> None:
    d = run("vitamin_d_plan", level=12, unit="ng/mL")
    assert any("50,000 IU" in n.text for n in d.repletion)
    assert d.recheck and d.maintenance and d.calcium_intake
    assert d.level_nmol_l == pytest.approx(12 * 2.496, rel=1e-12)
    s = run("vitamin_d_plan", level=40, unit="ng/mL")
    assert s.repletion == ()
    # The 2024 guideline caveat and the [U] calcium cap are visible.
    assert any("2024" in w.text for w in s.warnings)
    assert any(n.evidence == "unverified" for n in s.calcium_intake)


def test_very_high_level_stops_supplements() -> None:
    r = run("vitamin_d_plan", level=120, unit="ng/mL")
    assert r.maintenance == () and r.repletion == ()
    assert r.severity == "warning"
    assert any("stop" in w.text.lower() for w in r.warnings)


def test_bad_input() -> None:
    with pytest.raises(UnitError, match="looks like nmol/L"):
        run("vitamin_d_plan", level=260, unit="ng/mL")
    with pytest.raises(OutOfRange, match="got 0"):
        run("vitamin_d_plan", level=0, unit="ng/mL")
