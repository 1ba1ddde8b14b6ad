"""Generic point-score engine: a score is data (criteria, options, bands), evaluated here.

SINS, Mirels and any later sum-of-points score are JSON documents validated by
:class:`PointScore`. The model proves at load time that the bands cover every reachable total
exactly once, and :func:`evaluate` refuses to guess a missing answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.errors import InputError, InputErrors, InvalidChoice, MissingAnswer
from mobile_app.domain.models import Evidence, Figure, Frozen, Note, Result, Step, Table

__all__ = ["Band", "Criterion", "Option", "PointScore", "ScoreResult", "evaluate"]


class Option(Frozen):
    """One answer of a criterion."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    """Stable id (never renamed: stored in favourites and copied results)."""
    label: str
    """Short label shown on the choice."""
    points: int = Field(ge=0)
    """Points this answer adds."""
    definition: str = ""
    """What qualifies for this answer."""
    aliases: tuple[str, ...] = ()
    """Other accepted spellings for input (for example spine levels for a location)."""


class Criterion(Frozen):
    """A scored item with mutually exclusive options."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    help: str = ""
    options: tuple[Option, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique_options(self) -> Self:
        ids = [o.id for o in self.options]
        if len(set(ids)) != len(ids):
            raise ValueError(f"criterion {self.id}: duplicate option ids {ids}")
        aliases = [a.upper() for o in self.options for a in o.aliases]
        if len(set(aliases)) != len(aliases):
            raise ValueError(f"criterion {self.id}: an alias belongs to two options")
        return self

    def option(self, option_id: str) -> Option:
        """The option with this id (or alias), or :class:`InvalidChoice` naming the allowed ones."""
        key = option_id.strip()
        for opt in self.options:
            if key == opt.id or key.upper() in (a.upper() for a in opt.aliases):
                return opt
        allowed = ", ".join(o.id for o in self.options)
        raise InvalidChoice(
            self.id, option_id, f"{self.label}: {option_id!r} is not an option; allowed: {allowed}."
        )


class Band(Frozen):
    """A range of totals with its category and advice."""

    min: int
    max: int
    category: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    severity: Literal["normal", "info", "warning", "danger"]
    interpretation: str
    next_steps: tuple[Note, ...] = ()


class PointScore(Frozen):
    """A sum-of-points score as published."""

    kind: Literal["point_score"] = "point_score"
    id: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    summary: str
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    warnings: tuple[Note, ...] = ()
    refs: tuple[str, ...] = Field(min_length=1)
    evidence: Evidence = "confirmed"

    @property
    def min_total(self) -> int:
        """Lowest reachable total."""
        return sum(min(o.points for o in c.options) for c in self.criteria)

    @property
    def max_total(self) -> int:
        """Highest reachable total."""
        return sum(max(o.points for o in c.options) for c in self.criteria)

    @model_validator(mode="after")
    def _bands_cover_every_total(self) -> Self:
        ids = [c.id for c in self.criteria]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{self.id}: duplicate criterion ids {ids}")
        bands = sorted(self.bands, key=lambda b: b.min)
        for band in bands:
            if band.min > band.max:
                raise ValueError(f"{self.id}: band {band.category} has min > max")
        if bands[0].min != self.min_total or bands[-1].max != self.max_total:
            raise ValueError(
                f"{self.id}: bands span {bands[0].min}–{bands[-1].max} but totals span "
                f"{self.min_total}–{self.max_total}"
            )
        for low, high in pairwise(bands):
            if high.min != low.max + 1:
                raise ValueError(f"{self.id}: bands leave a gap or overlap at {low.max + 1}")
        return self

    def criterion(self, criterion_id: str) -> Criterion:
        """The criterion with this id."""
        for crit in self.criteria:
            if crit.id == criterion_id:
                return crit
        raise KeyError(criterion_id)

    def band_for(self, total: int) -> Band:
        """The band a total falls in (bands are proven to cover every reachable total)."""
        for band in self.bands:
            if band.min <= total <= band.max:
                return band
        raise ValueError(f"{self.id}: total {total} outside {self.min_total}–{self.max_total}")


class ScoreResult(Result):
    """Result of a point score."""

    score: int
    """The total."""
    max_score: int
    """Highest possible total."""
    points: dict[str, int]
    """Points of each criterion, by criterion id."""
    answers: dict[str, str]
    """Chosen option id of each criterion."""


def evaluate(score: PointScore, answers: Mapping[str, str]) -> ScoreResult:
    """Sum the chosen option of every criterion and place the total in its band.

    Args:
        score: The score definition.
        answers: Option id (or alias) chosen for each criterion id.

    Raises:
        MissingAnswer: A criterion has no answer; nothing is assumed.
        InvalidChoice: An answer is not one of the criterion's options.
        InputErrors: Several of these at once (each is in ``errors``).
    """
    unknown = sorted(set(answers) - {c.id for c in score.criteria})
    if unknown:
        raise InvalidChoice(
            unknown[0],
            answers[unknown[0]],
            f"{score.title}: unknown item {unknown[0]!r}; items are "
            f"{', '.join(c.id for c in score.criteria)}.",
        )
    points: dict[str, int] = {}
    chosen: dict[str, str] = {}
    steps: list[Step] = []
    rows: list[tuple[str, str, str]] = []
    lines: list[Figure] = []
    errors: list[InputError] = []
    for crit in score.criteria:
        raw = answers.get(crit.id)
        if raw is None or str(raw).strip() == "":
            allowed = ", ".join(o.id for o in crit.options)
            errors.append(MissingAnswer(
                crit.id, raw, f"{crit.label} is required; choose one of: {allowed}."))
            continue
        try:
            opt = crit.option(str(raw))
        except InvalidChoice as exc:
            errors.append(exc)
            continue
        points[crit.id] = opt.points
        chosen[crit.id] = opt.id
        pts = f"{opt.points} pt{'' if opt.points == 1 else 's'}"
        steps.append(Step(label=crit.label, value=opt.points, unit="points", detail=opt.label))
        rows.append((crit.label, opt.label, pts))
        lines.append(Figure(key=crit.id, label=crit.label, text=f"{opt.label} ({pts})",
                            value=opt.id))
    if errors:
        raise InputErrors.of(errors)
    total = sum(points.values())
    band = score.band_for(total)
    steps.append(
        Step(
            label="Total",
            value=total,
            unit="points",
            detail=f"{band.label} ({band.min}–{band.max})",
        )
    )
    return ScoreResult(
        calculator=score.id,
        inputs=dict(chosen),
        category=band.category,
        category_label=band.label,
        severity=band.severity,
        interpretation=band.interpretation,
        next_steps=band.next_steps,
        warnings=score.warnings,
        steps=tuple(steps),
        refs=score.refs,
        evidence=score.evidence,
        figures=(Figure(key="score", label="Score", text=f"{total} / {score.max_total}",
                        value=total, summary=True, tone=band.severity),
                 Figure(key="band", label="Band", text=f"{band.label} ({band.min}–{band.max})",
                        value=band.category)),
        tables=(Table(key="breakdown", title="Points by item",
                      columns=("Item", "Answer", "Points"),
                      rows=(*rows, ("Total", band.label, f"{total} / {score.max_total}"))),),
        input_lines=tuple(lines),
        score=total,
        max_score=score.max_total,
        points=points,
        answers=chosen,
    )
