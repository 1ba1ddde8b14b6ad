"""Knowledge-base schema: every JSON document of the KB validates against one of these models.

A KB is a set of documents (discriminated by ``kind``) plus a manifest::

    references.json          kind "references": every citation, by id
    synonyms.json            kind "synonyms": search synonyms and brand names
    cards/<id>.json          kind "card": a quick card
    calculators/<id>.json    kind "point_score" (SINS, Mirels) or "formula_calc"
    shared/<id>.json         kind "shared": cited parameter blocks several calculators use
                             (a calculator names one with ``{"$shared": "<id>.<block>"}``)
    manifest.json            version, issue date, sha256 and length of every document

Rules the models enforce: ids are stable snake_case; every dose names its sources; every
statement that contains a figure names its sources; evidence levels are explicit, and a card's
evidence is the weakest of its statements (so an unverified figure always shows a badge).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field, computed_field, model_validator

from mobile_app.domain.models import Evidence, Frozen, Note, worst_evidence
from mobile_app.domain.scoring import PointScore

__all__ = [
    "Card",
    "CardChange",
    "Document",
    "Dose",
    "FormulaCalc",
    "Handoff",
    "MAX_DOCUMENT_BYTES",
    "Manifest",
    "ManifestEntry",
    "Reference",
    "ReferenceList",
    "Section",
    "SharedParameters",
    "SynonymList",
    "has_figure",
]

Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]
Group = Literal["metabolic", "skeletal", "treatment"]

_FIGURE = re.compile(r"\d")


def has_figure(text: str) -> bool:
    """Whether a text states a figure (any digit) and so needs a source."""
    return bool(_FIGURE.search(text))


def _check_cited(where: str, notes: tuple[Note, ...]) -> None:
    for note in notes:
        if has_figure(note.text) and not note.refs:
            raise ValueError(f"{where}: statement with a figure has no source: {note.text!r}")


class Reference(Frozen):
    """A primary source."""

    id: Id
    citation: str = Field(min_length=10)
    pmid: str | None = Field(None, pattern=r"^\d{1,9}$")
    doi: str | None = Field(None, pattern=r"^10\.\d{4,9}/\S+$")
    url: str | None = Field(None, pattern=r"^https://\S+$")


class ReferenceList(Frozen):
    """All references of the KB."""

    kind: Literal["references"]
    references: tuple[Reference, ...] = Field(min_length=1)


class SynonymList(Frozen):
    """Search synonyms: each group lists words that mean the same for search."""

    kind: Literal["synonyms"]
    groups: tuple[tuple[str, ...], ...]


class Dose(Frozen):
    """One dose instruction with its unit and sources."""

    drug: str
    """Drug and preparation ("Calcium gluconate 10%")."""
    amount: str = Field(min_length=1)
    """The amount as written, with a range if any ("10–20")."""
    unit: str = Field(min_length=1)
    """Unit of ``amount`` ("mL", "mg", "IU", "mg/kg")."""
    route: str = ""
    """Route ("IV", "oral", "SC")."""
    frequency: str = ""
    """How often or how fast ("over 10 min", "every 4 weeks")."""
    note: str = ""
    """Dilution, conditions, caps."""
    refs: tuple[str, ...] = Field(min_length=1)
    evidence: Evidence = "confirmed"

    @property
    def text(self) -> str:
        """The dose as one line."""
        parts = [f"{self.drug}: {self.amount} {self.unit}"]
        parts += [p for p in (self.route, self.frequency) if p]
        line = " ".join(parts)
        return f"{line}; {self.note}" if self.note else line


class Section(Frozen):
    """A titled part of a card: steps, doses, warnings and pitfalls."""

    id: Id
    title: str
    steps: tuple[Note, ...] = ()
    doses: tuple[Dose, ...] = ()
    warnings: tuple[Note, ...] = ()
    pitfalls: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _not_empty_and_cited(self) -> Self:
        if not (self.steps or self.doses or self.warnings or self.pitfalls):
            raise ValueError(f"section {self.id} is empty")
        for name in ("steps", "warnings", "pitfalls"):
            _check_cited(f"section {self.id} {name}", getattr(self, name))
        return self

    @property
    def items(self) -> tuple[Note | Dose, ...]:
        """Every statement and dose of the section."""
        return (*self.steps, *self.doses, *self.warnings, *self.pitfalls)

    @property
    def evidence_levels(self) -> tuple[Evidence, ...]:
        """Evidence of every statement and dose in the section."""
        return tuple(x.evidence for x in self.items)

    @property
    def ref_ids(self) -> tuple[str, ...]:
        """Every reference id used in the section, first use first."""
        seen: dict[str, None] = {}
        for item in self.items:
            seen.update(dict.fromkeys(item.refs))
        return tuple(seen)


class CardChange(Frozen):
    """One line of a card's change note: what changed in a revision, and why."""

    version: int = Field(ge=1)
    """The card revision that made the change."""
    date: date
    """When the change was made."""
    text: str = Field(min_length=10)
    """What changed, with the source that prompted it ("NICE NG234 replaces CG75: ...")."""


class Card(Frozen):
    """A quick card."""

    kind: Literal["card"]
    id: Id
    title: str = Field(min_length=3)
    summary: str = Field(min_length=10)
    group: Group
    keywords: tuple[str, ...] = ()
    """Synonyms, brand names and abbreviations for search (Zometa, MSCC, "hungry bone")."""
    sections: tuple[Section, ...] = Field(min_length=1)
    calculators: tuple[Id, ...] = ()
    """Ids of the calculators linked from this card."""
    refs: tuple[str, ...] = Field(min_length=1)
    """Main sources of the card (statements add their own)."""
    version: int = Field(ge=1)
    """Revision of this card; raised on every content change."""
    last_reviewed: date
    """When a clinician last reviewed the card against its sources."""
    changes: tuple[CardChange, ...] = ()
    """Change note, newest first; the newest line belongs to the current ``version``."""

    @model_validator(mode="after")
    def _unique_sections(self) -> Self:
        ids = [s.id for s in self.sections]
        if len(set(ids)) != len(ids):
            raise ValueError(f"card {self.id}: duplicate section ids")
        return self

    @model_validator(mode="after")
    def _changes_newest_first(self) -> Self:
        if not self.changes:
            return self
        if self.changes[0].version != self.version:
            raise ValueError(
                f"card {self.id}: newest change is for version {self.changes[0].version}, "
                f"but the card is version {self.version}"
            )
        for newer, older in zip(self.changes, self.changes[1:], strict=False):
            if older.version > newer.version or older.date > newer.date:
                raise ValueError(
                    f"card {self.id}: changes must be newest first (version {older.version} "
                    f"of {older.date.isoformat()} is listed after version {newer.version} "
                    f"of {newer.date.isoformat()})"
                )
        return self

    @property
    def change_log(self) -> tuple[tuple[int, date, tuple[str, ...]], ...]:
        """The change note grouped by revision, newest first: (version, date, lines)."""
        groups: list[tuple[int, date, list[str]]] = []
        for change in self.changes:
            if groups and groups[-1][0] == change.version:
                groups[-1][2].append(change.text)
            else:
                groups.append((change.version, change.date, [change.text]))
        return tuple((v, d, tuple(lines)) for v, d, lines in groups)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def evidence(self) -> Evidence:
        """The weakest evidence level of anything on the card."""
        return worst_evidence([lvl for s in self.sections for lvl in s.evidence_levels])

    @property
    def sources(self) -> tuple[str, ...]:
        """All reference ids of the card, main sources first."""
        seen: dict[str, None] = dict.fromkeys(self.refs)
        for section in self.sections:
            seen.update(dict.fromkeys(section.ref_ids))
        return tuple(seen)


class Handoff(Frozen):
    """A next screen offered on a result: a card, or another calculator with values carried
    over (corrected calcium → calcium dosing with the corrected value filled in).
    """

    to: str = Field(pattern=r"^(card|calc):[a-z0-9_]+$")
    """The target, as "card:<id>" or "calc:<id>"."""
    label: str
    """The button text ("Calcium dose for this calcium")."""
    when: tuple[str, ...] = ()
    """Result categories (or category prefixes) that offer it; empty: every result."""
    carry: dict[str, str] = Field(default_factory=dict)
    """Target input field → attribute of this calculator's result whose value is carried, or
    "input:<field>" for what was typed in one of this calculator's own fields."""

    def applies(self, category: str) -> bool:
        """Whether a result of this category offers the hand-off."""
        return not self.when or any(category.startswith(w) for w in self.when)


class FormulaCalc(Frozen):
    """A formula or dosing calculator: its cited parameters live here, its code in ``domain``."""

    kind: Literal["formula_calc"]
    id: Id
    title: str
    summary: str
    group: Group
    keywords: tuple[str, ...] = ()
    refs: tuple[str, ...] = Field(min_length=1)
    parameters: dict[str, Any]
    """Validated by the calculator's own parameter model when the KB loads."""
    handoffs: tuple[Handoff, ...] = ()


class SharedParameters(Frozen):
    """Cited parameter blocks shared by calculators: one source of truth for a threshold or
    range that several calculators use (the calcium reference range, the severe threshold).
    """

    kind: Literal["shared"]
    id: Id
    title: str
    blocks: dict[str, dict[str, Any]] = Field(min_length=1)
    """Block name → a cited block (``refs``, ``evidence`` and its figures)."""

    @model_validator(mode="after")
    def _cited(self) -> Self:
        for name, block in self.blocks.items():
            if not block.get("refs"):
                raise ValueError(f"shared block {self.id}.{name} has no refs")
        return self


class PointScoreDoc(PointScore):
    """A point score as stored in the KB (the engine's model plus catalogue fields)."""

    group: Group
    keywords: tuple[str, ...] = ()
    handoffs: tuple[Handoff, ...] = ()


Document = Annotated[
    Card | PointScoreDoc | FormulaCalc | SharedParameters | ReferenceList | SynonymList,
    Field(discriminator="kind"),
]


MAX_DOCUMENT_BYTES = 4 * 1024 * 1024
"""Largest document a manifest may list (a card is a few kB)."""


class ManifestEntry(Frozen):
    """Integrity data of one document: what a reader must find, byte for byte."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    length: int = Field(ge=1, le=MAX_DOCUMENT_BYTES)


class Manifest(Frozen):
    """The KB content manifest: the one model of "which documents, at which version".

    The bundled ``manifest.json`` is a :class:`Manifest`; the signed body of a content update
    is its stricter subclass :class:`mobile_app.sync.manifest.SignedManifest` (validity window,
    changelog), and a knowledge base built from an update carries that object as its manifest.
    """

    kind: Literal["manifest"] = "manifest"
    version: int = Field(ge=1)
    """Content version; strictly increasing across releases."""
    issued: date
    """Release date of this content version."""
    min_app_version: str = "0.1.0"
    files: dict[str, ManifestEntry] = Field(min_length=1)
    """Relative path → integrity data."""
