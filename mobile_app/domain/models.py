"""Shared building blocks of the clinical core: cited parameter blocks, steps and results.

Every number a calculator uses comes from a :class:`Cited` block of the knowledge base, which
names its references and its evidence level. Results carry the same references and evidence
so the UI can show the source one tap away and label anything unverified.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EVIDENCE_ORDER",
    "Cited",
    "Evidence",
    "Frozen",
    "Note",
    "Result",
    "Step",
    "worst_evidence",
]

Evidence = Literal["confirmed", "partial", "unverified"]
"""How well a figure is supported: ``confirmed`` in a primary source, ``partial`` (secondary
sources only) or ``unverified`` (shown with "unverified — check local protocol")."""

EVIDENCE_ORDER: dict[str, int] = {"confirmed": 0, "partial": 1, "unverified": 2}


def worst_evidence(levels: Iterable[Evidence]) -> Evidence:
    """The weakest evidence level of a collection (``confirmed`` when empty)."""
    worst: Evidence = "confirmed"
    for level in levels:
        if EVIDENCE_ORDER[level] > EVIDENCE_ORDER[worst]:
            worst = level
    return worst


class Frozen(BaseModel):
    """Immutable model that refuses unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Cited(Frozen):
    """A block of knowledge-base figures that share their sources."""

    refs: tuple[str, ...] = Field(min_length=1)
    """Ids of the references (``references.json``) the figures come from."""
    evidence: Evidence = "confirmed"
    """Evidence level of the figures in this block."""


class Step(Frozen):
    """One line of a calculation breakdown: an operand, an intermediate or the result."""

    label: str
    """What this line is ("Age term (140 − age)")."""
    value: float | int | str
    """Full-precision value (or a category id / text)."""
    unit: str = ""
    """Unit of ``value``; empty for dimensionless numbers and text."""
    detail: str = ""
    """Formula or definition behind the line."""


class Note(Frozen):
    """A sentence of advice attached to a result, with its sources and evidence."""

    text: str
    refs: tuple[str, ...] = ()
    evidence: Evidence = "confirmed"


class Result(Frozen):
    """Fields every calculator result has."""

    calculator: str
    """The calculator id."""
    inputs: dict[str, float | int | str | bool | None]
    """The inputs as understood (normalised ids and units)."""
    category: str
    """Stable id of the result category (colour and wording key)."""
    category_label: str
    """The category as a clinician reads it."""
    severity: Literal["normal", "info", "warning", "danger"]
    """How alarming the category is (drives the colour)."""
    interpretation: str
    """What the result means."""
    next_steps: tuple[Note, ...] = ()
    """What to do next."""
    warnings: tuple[Note, ...] = ()
    """Caveats about this result (model limits, unit traps, unverified figures)."""
    steps: tuple[Step, ...] = ()
    """The calculation, line by line."""
    refs: tuple[str, ...] = Field(min_length=1)
    """Reference ids behind the result."""
    evidence: Evidence = "confirmed"
    """Weakest evidence level among the figures used."""
