"""Point-score calculators: SINS and Mirels, evaluated by :mod:`mobile_app.domain.scoring`.

Sources (the tables themselves live in the knowledge base, ``calculators/sins.json`` and
``calculators/mirels.json``):

* SINS: Fisher CG et al. Spine 2010;35(22):E1221-9 (doi:10.1097/BRS.0b013e3181e16ae2).
* Mirels: Mirels H. Clin Orthop Relat Res 1989;(249):256-64.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.errors import InputError, MissingAnswer
from mobile_app.domain.models import Figure
from mobile_app.domain.scoring import PointScore, ScoreResult, evaluate

__all__ = ["MIRELS", "SINS", "MirelsInput", "SinsInput", "normalise_spine_level"]

_LEVEL = re.compile(r"^(?:(C)([1-7])|(T)([1-9]|1[0-2])|(L)([1-5])|(S)([1-5]))$")
_OCCIPUT = {"OCCIPUT", "OCC", "OC", "C0", "O"}


def normalise_spine_level(text: str) -> str:
    """Return one spine level: OCCIPUT, C1–C7, T1–T12, L1–L5 or S1–S5.

    Raises:
        InputError: The text is not one single vertebral level SINS scores.
    """
    key = re.sub(r"[\s\-_.]", "", str(text)).upper()
    key = re.sub(r"^([CTLS])0+(\d)", r"\1\2", key)
    if key in _OCCIPUT:
        return "OCCIPUT"
    if _LEVEL.match(key):
        return key
    raise InputError(
        "level",
        text,
        f"Spine level must be one vertebra: occiput, C1–C7, T1–T12, L1–L5 or S1–S5 "
        f"(got {text!r}). For a lesion over several levels, score the most affected level.",
    )


class SinsInput(CalculatorInput):
    """SINS answers. Give ``location`` or a spine ``level`` (or both, if they agree)."""

    location: str | None = Field(
        None,
        title="Location",
        description="junctional, mobile, semirigid or rigid (or give level)",
        json_schema_extra={"enum": ["junctional", "mobile", "semirigid", "rigid"]},
    )
    level: str | None = Field(
        None,
        title="Spine level",
        description="One vertebra, e.g. C7, T12, L5, S1",
        examples=["T12"],
        json_schema_extra={"sets": "location"},
    )
    pain: str = Field(
        title="Pain", json_schema_extra={"enum": ["mechanical", "occasional", "none"]}
    )
    bone_lesion: str = Field(
        title="Bone lesion", json_schema_extra={"enum": ["lytic", "mixed", "blastic"]}
    )
    alignment: str = Field(
        title="Radiographic spinal alignment",
        json_schema_extra={"enum": ["subluxation", "deformity", "normal"]},
    )
    collapse: str = Field(
        title="Vertebral body collapse",
        json_schema_extra={
            "enum": ["over_50", "under_50", "no_collapse_over_50_involved", "none"]
        },
    )
    posterolateral: str = Field(
        title="Posterolateral involvement",
        json_schema_extra={"enum": ["bilateral", "unilateral", "none"]},
    )

    @model_validator(mode="after")
    def _location_or_level(self) -> SinsInput:
        if self.location is None and self.level is None:
            raise MissingAnswer(
                "location",
                None,
                "Location is required: give location (junctional, mobile, semirigid, rigid) "
                "or a spine level such as T12.",
            )
        return self


def _sins_prepare(raw: Mapping[str, Any], score: PointScore) -> dict[str, Any]:
    data = dict(raw)
    level = data.get("level")
    if level is None or (isinstance(level, str) and not level.strip()):
        data.pop("level", None)
        return data
    if not isinstance(level, str):
        raise InputError("level", level, f"Spine level must be text such as 'T12' (got {level!r}).")
    norm = normalise_spine_level(level)
    from_level = score.criterion("location").option(norm).id
    given = data.get("location")
    if given not in (None, ""):
        stated = score.criterion("location").option(str(given)).id
        if stated != from_level:
            raise InputError(
                "location",
                given,
                f"Location {given!r} contradicts spine level {norm}, which is {from_level}. "
                "Give one of them, or make them agree.",
            )
    data["level"] = norm
    data["location"] = from_level
    return data


def _sins_compute(inp: SinsInput, score: PointScore) -> ScoreResult:
    answers = inp.model_dump(exclude={"level"}, exclude_none=True)
    result = evaluate(score, answers)
    if inp.level is None:
        return result
    level = Figure(key="level", label="Spine level", text=inp.level, value=inp.level)
    return result.model_copy(update={"inputs": {**result.inputs, "level": inp.level},
                                     "input_lines": (level, *result.input_lines)})


class MirelsInput(CalculatorInput):
    """Mirels answers for one long-bone lesion."""

    site: str = Field(
        title="Site",
        json_schema_extra={"enum": ["upper_limb", "lower_limb", "peritrochanteric"]},
    )
    pain: str = Field(title="Pain", json_schema_extra={"enum": ["mild", "moderate", "functional"]})
    lesion: str = Field(title="Lesion", json_schema_extra={"enum": ["blastic", "mixed", "lytic"]})
    size: str = Field(
        title="Size (fraction of bone diameter)",
        json_schema_extra={"enum": ["under_third", "third_to_two_thirds", "over_two_thirds"]},
    )


def _mirels_compute(inp: MirelsInput, score: PointScore) -> ScoreResult:
    return evaluate(score, inp.model_dump())


SINS: CalculatorSpec[SinsInput, PointScore, ScoreResult] = CalculatorSpec(
    id="sins",
    input_model=SinsInput,
    params_model=PointScore,
    compute=_sins_compute,
    prepare=_sins_prepare,
)
MIRELS: CalculatorSpec[MirelsInput, PointScore, ScoreResult] = CalculatorSpec(
    id="mirels",
    input_model=MirelsInput,
    params_model=PointScore,
    compute=_mirels_compute,
)
