"""SINS against the published table (Fisher CG et al. Spine 2010;35(22):E1221-9)."""

from __future__ import annotations

import itertools

import pytest

from mobile_app.domain.calculators.scores import normalise_spine_level
from mobile_app.domain.errors import InputError, InvalidChoice, MissingAnswer
from tests.conftest import run

# The published point table, typed in from the paper as an independent oracle.
FISHER = {
    "location": {"junctional": 3, "mobile": 2, "semirigid": 1, "rigid": 0},
    "pain": {"mechanical": 3, "occasional": 1, "none": 0},
    "bone_lesion": {"lytic": 2, "mixed": 1, "blastic": 0},
    "alignment": {"subluxation": 4, "deformity": 2, "normal": 0},
    "collapse": {"over_50": 3, "under_50": 2, "no_collapse_over_50_involved": 1, "none": 0},
    "posterolateral": {"bilateral": 3, "unilateral": 1, "none": 0},
}

LEVELS = {
    **dict.fromkeys(["OCCIPUT", "C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1"],
                    "junctional"),
    **dict.fromkeys(["C3", "C4", "C5", "C6", "L2", "L3", "L4"], "mobile"),
    **dict.fromkeys([f"T{i}" for i in range(3, 11)], "semirigid"),
    **dict.fromkeys(["S2", "S3", "S4", "S5"], "rigid"),
}


def expected_category(total: int) -> str:
    if total <= 6:
        return "stable"
    if total <= 12:
        return "potentially_unstable"
    return "unstable"


def test_every_answer_combination_matches_the_published_table() -> None:
    keys = list(FISHER)
    count = 0
    for combo in itertools.product(*(FISHER[k].items() for k in keys)):
        answers = {k: opt for k, (opt, _) in zip(keys, combo, strict=True)}
        total = sum(points for _, points in combo)
        result = run("sins", **answers)
        assert result.score == total, answers
        assert result.category == expected_category(total)
        assert result.points == {k: FISHER[k][answers[k]] for k in keys}
        assert result.max_score == 18
        count += 1
    assert count == 4 * 3 * 3 * 3 * 4 * 3


@pytest.mark.parametrize(
    ("answers", "total", "category"),
    [
        # 6 / 7: stable / potentially unstable
        (dict(location="junctional", pain="mechanical", bone_lesion="blastic",
              alignment="normal", collapse="none", posterolateral="none"), 6, "stable"),
        (dict(location="junctional", pain="mechanical", bone_lesion="blastic",
              alignment="normal", collapse="none", posterolateral="unilateral"), 7,
         "potentially_unstable"),
        # 12 / 13: potentially unstable / unstable
        (dict(location="junctional", pain="mechanical", bone_lesion="lytic",
              alignment="deformity", collapse="under_50", posterolateral="none"), 12,
         "potentially_unstable"),
        (dict(location="junctional", pain="mechanical", bone_lesion="lytic",
              alignment="deformity", collapse="over_50", posterolateral="none"), 13, "unstable"),
        (dict(location="rigid", pain="none", bone_lesion="blastic", alignment="normal",
              collapse="none", posterolateral="none"), 0, "stable"),
        (dict(location="junctional", pain="mechanical", bone_lesion="lytic",
              alignment="subluxation", collapse="over_50", posterolateral="bilateral"), 18,
         "unstable"),
    ],
)
def test_band_boundaries(answers: dict[str, str], total: int, category: str) -> None:
    result = run("sins", **answers)
    assert (result.score, result.category) == (total, category)


@pytest.mark.parametrize(("level", "location"), sorted(LEVELS.items()))
def test_spine_level_sets_location(level: str, location: str) -> None:
    result = run("sins", level=level, pain="none", bone_lesion="blastic", alignment="normal",
                 collapse="none", posterolateral="none")
    assert result.answers["location"] == location
    assert result.score == FISHER["location"][location]
    assert result.inputs["level"] == level


@pytest.mark.parametrize(("text", "norm"), [("t12", "T12"), (" T-12 ", "T12"), ("s1", "S1"),
                                           ("C07", "C7"), ("occiput", "OCCIPUT"), ("L 5", "L5")])
def test_level_spellings(text: str, norm: str) -> None:
    assert normalise_spine_level(text) == norm


@pytest.mark.parametrize("bad", ["T13", "C8", "L6", "S6", "T0", "coccyx", "T10-T12", "", "12"])
def test_invalid_levels_are_refused_with_the_allowed_range(bad: str) -> None:
    with pytest.raises(InputError) as exc:
        normalise_spine_level(bad)
    assert exc.value.field == "level"
    assert "T1–T12" in exc.value.message


def test_level_and_location_must_agree() -> None:
    base = dict(pain="none", bone_lesion="blastic", alignment="normal", collapse="none",
                posterolateral="none")
    assert run("sins", level="S1", location="junctional", **base).score == 3
    with pytest.raises(InputError, match="contradicts spine level S1"):
        run("sins", level="S1", location="rigid", **base)


def test_missing_answer_is_never_assumed() -> None:
    with pytest.raises(MissingAnswer) as exc:
        run("sins", location="mobile", pain="none", bone_lesion="blastic", alignment="normal",
            collapse="none")
    assert exc.value.field == "posterolateral"
    with pytest.raises(InputError, match="Location is required"):
        run("sins", pain="none", bone_lesion="blastic", alignment="normal", collapse="none",
            posterolateral="none")


def test_unknown_option_names_the_allowed_ones() -> None:
    with pytest.raises(InvalidChoice) as exc:
        run("sins", location="mobile", pain="yes", bone_lesion="blastic", alignment="normal",
            collapse="none", posterolateral="none")
    assert exc.value.field == "pain"
    assert "mechanical, occasional, none" in exc.value.message


def test_result_carries_steps_advice_and_source() -> None:
    r = run("sins", level="T12", pain="mechanical", bone_lesion="lytic", alignment="normal",
            collapse="under_50", posterolateral="unilateral")
    assert r.score == 11
    assert [s.value for s in r.steps][:6] == [3, 3, 2, 0, 2, 1]
    assert any("surg" in n.text.lower() for n in r.next_steps)
    assert "fisher2010" in r.refs
