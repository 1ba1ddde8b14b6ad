"""Shared building blocks of the clinical core: cited parameter blocks, steps and results.

Every number a calculator uses comes from a :class:`Cited` block of the knowledge base, which
names its references and its evidence level. Results carry the same references and evidence
so the UI can show the source one tap away and label anything unverified.

A result also says what it shows, as data: headline :class:`Figure` s, :class:`Table` s and
:class:`PlanSection` s, already formatted by the one display formatter
(:mod:`mobile_app.domain.display`). The screen, "Copy result" and ``mobile-app calc --format
text`` all render these, so nothing the screen shows can be missing from the copy or the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "EVIDENCE_ORDER",
    "Cited",
    "Evidence",
    "Figure",
    "Frozen",
    "Note",
    "PlanSection",
    "Result",
    "Step",
    "Table",
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


class Figure(Frozen):
    """A headline figure of a result (or one input line): what a clinician reads."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    """Stable id (screen keys and tests: ``calc-figure-<key>``)."""
    label: str
    """What the figure is, short ("CrCl", "Zoledronic acid")."""
    detail: str = ""
    """How it was obtained, if the label needs it ("Cockcroft-Gault, actual weight")."""
    text: str
    """The figure as shown, with its unit ("3.3 mg = 4.1 mL of 4 mg/5 mL")."""
    value: bool | int | float | str | None = None
    """The full-precision value behind the main number (or a category id, or yes/no)."""
    unit: str = ""
    """Unit of ``value``."""
    evidence: Evidence = "confirmed"
    """Evidence of the figures used (a badge shows when not confirmed)."""
    summary: bool = False
    """Also shown in the one-line result summary above the form."""
    short: str = ""
    """A shorter form of ``text`` for that summary (empty: ``text``), never leaving out the
    dose itself ("10–20 mL calcium gluconate 10% over 10 min")."""
    tone: Literal["normal", "info", "warning", "danger"] | None = None
    """Colour of a figure that is a decision (route, dose band); None: plain."""


class Table(Frozen):
    """A table of a result (dose options, weight alternatives, regimens)."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    columns: tuple[str, ...] = Field(min_length=2)
    """Column headings; the first column names the row."""
    rows: tuple[tuple[str, ...], ...] = Field(min_length=1)
    """Cells as shown (formatted by the display formatter)."""
    highlight: int | None = None
    """Index of the row the result is about (the patient's own scheme or weight)."""
    notes: tuple[Note, ...] = ()
    """Caveats shown under the table."""
    evidence: Evidence = "confirmed"


class PlanSection(Frozen):
    """A titled part of the plan ("IV bolus now", "Repletion", "Recheck")."""

    key: str = Field(pattern=r"^[a-z0-9_]+$")
    title: str
    items: tuple[Note, ...] = Field(min_length=1)


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
    figures: tuple[Figure, ...] = ()
    """Headline figures, as shown."""
    tables: tuple[Table, ...] = ()
    """Tables, as shown."""
    plan: tuple[PlanSection, ...] = ()
    """The plan (doses and what to do), by part; next steps and warnings come after it."""
    input_lines: tuple[Figure, ...] = ()
    """The inputs with their human labels and units ("Creatinine: 110 µmol/L")."""
