"""Vitamin D plan (Holick 2011 cut-offs; 1 ng/mL = 2.496 nmol/L), classified in the unit entered."""

from __future__ import annotations

import pytest

from mobile_app.domain.errors import OutOfRange, UnitError
from mobile_app.knowledge.text import result_text
from tests.conftest import bundled_kb, run


@pytest.mark.parametrize(
    ("level", "unit", "category"),
    [
        (19.99, "ng/mL", "deficient"), (20, "ng/mL", "insufficient"),
        (29.99, "ng/mL", "insufficient"), (30, "ng/mL", "sufficient"),
        (49.9, "nmol/L", "deficient"), (50, "nmol/L", "insufficient"),
        (74.9, "nmol/L", "insufficient"), (75, "nmol/L", "sufficient"),
        (100, "ng/mL", "sufficient"), (100.01, "ng/mL", "high"),
        (250, "nmol/L", "sufficient"), (250.1, "nmol/L", "high"),
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
    assert any("2024" in w.text for w in s.warnings)


def test_deficient_level_shows_its_repletion_regimen_as_text() -> None:
    """What the screen and the copy show: the repletion, maintenance and recheck doses."""
    text = result_text(run("vitamin_d_plan", level=30, unit="nmol/L"), bundled_kb())
    assert "25(OH)D: 30 nmol/L = 12 ng/mL" in text
    for part in ("Repletion:", "50,000 IU once weekly for 8 weeks", "Maintenance:",
                 "1,500–2,000 IU daily", "Recheck:", "Calcium intake:"):
        assert part in text, part


@pytest.mark.parametrize(("level", "unit"), [(120, "ng/mL"), (300, "nmol/L"), (180, "ng/mL")])
def test_above_the_toxicity_cut_off_nothing_suggests_giving_vitamin_d(level: float, unit: str
                                                                        ) -> None:
    r = run("vitamin_d_plan", level=level, unit=unit)
    assert r.category == "high" and r.severity == "danger"
    assert r.repletion == () and r.maintenance == () and r.calcium_intake == ()
    advice = [n.text for n in r.next_steps] + [n.text for p in r.plan for n in p.items]
    assert advice and any(t.startswith("Stop all vitamin D") for t in advice)
    for t in advice:
        assert "IU" not in t, t  # no dose of vitamin D anywhere in the advice
    assert "calcium" in " ".join(advice).lower()


def test_level_near_a_cut_off_is_shown_in_its_category() -> None:
    r = run("vitamin_d_plan", level=19.99, unit="ng/mL")
    assert r.category == "deficient"
    assert {f.key: f.text for f in r.figures}["level"].startswith("19.99 ng/mL")


def test_bad_input() -> None:
    with pytest.raises(UnitError, match="looks like nmol/L"):
        run("vitamin_d_plan", level=260, unit="ng/mL")
    with pytest.raises(OutOfRange, match="got 0"):
        run("vitamin_d_plan", level=0, unit="ng/mL")
