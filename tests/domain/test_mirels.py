"""Mirels score against the published table (Mirels H. Clin Orthop 1989;249:256-64)."""

from __future__ import annotations

import itertools

import pytest

from mobile_app.domain.errors import InvalidChoice, MissingAnswer
from tests.conftest import run

MIRELS = {
    "site": {"upper_limb": 1, "lower_limb": 2, "peritrochanteric": 3},
    "pain": {"mild": 1, "moderate": 2, "functional": 3},
    "lesion": {"blastic": 1, "mixed": 2, "lytic": 3},
    "size": {"under_third": 1, "third_to_two_thirds": 2, "over_two_thirds": 3},
}


def category(total: int) -> str:
    return "low" if total <= 7 else "borderline" if total == 8 else "high"


def test_all_81_combinations() -> None:
    keys = list(MIRELS)
    seen = set()
    for combo in itertools.product(*(MIRELS[k].items() for k in keys)):
        answers = {k: o for k, (o, _) in zip(keys, combo, strict=True)}
        total = sum(p for _, p in combo)
        r = run("mirels", **answers)
        assert (r.score, r.category) == (total, category(total))
        seen.add(total)
    assert seen == set(range(4, 13))


@pytest.mark.parametrize(
    ("answers", "total", "cat"),
    [
        (("lower_limb", "moderate", "mixed", "under_third"), 7, "low"),
        (("lower_limb", "moderate", "mixed", "third_to_two_thirds"), 8, "borderline"),
        (("lower_limb", "moderate", "lytic", "third_to_two_thirds"), 9, "high"),
        (("upper_limb", "mild", "blastic", "under_third"), 4, "low"),
        (("peritrochanteric", "functional", "lytic", "over_two_thirds"), 12, "high"),
    ],
)
def test_boundaries_7_8_9(answers: tuple[str, ...], total: int, cat: str) -> None:
    r = run("mirels", **dict(zip(MIRELS, answers, strict=True)))
    assert (r.score, r.category) == (total, cat)
    if cat == "high":
        assert any("fixation" in n.text.lower() for n in r.next_steps)


def test_missing_and_invalid() -> None:
    with pytest.raises(MissingAnswer) as exc:
        run("mirels", site="upper_limb", pain="mild", lesion="lytic")
    assert exc.value.field == "size"
    with pytest.raises(InvalidChoice):
        run("mirels", site="trochanteric", pain="mild", lesion="lytic", size="under_third")


def test_size_denominator_ambiguity_is_flagged() -> None:
    r = run("mirels", site="upper_limb", pain="mild", lesion="lytic", size="under_third")
    assert any("denominator" in w.text and w.evidence == "partial" for w in r.warnings)
