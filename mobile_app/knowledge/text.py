"""Plain-text renderings of cards and results (CLI output and "copy result" for the notes).

Display rounding happens only here (``format_number``); results keep full precision.
"""

from __future__ import annotations

from typing import Any

from mobile_app.domain.models import Note, Result
from mobile_app.domain.units import format_number
from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.knowledge.models import Card

__all__ = [
    "EVIDENCE_LABEL",
    "card_text",
    "change_note_lines",
    "note_text",
    "result_text",
    "value_text",
]

EVIDENCE_LABEL = {
    "confirmed": "",
    "partial": "secondary source — check local protocol",
    "unverified": "unverified — check local protocol",
}


def note_text(note: Note) -> str:
    """A statement with its evidence label (if not confirmed)."""
    label = EVIDENCE_LABEL[note.evidence]
    return f"{note.text} [{label}]" if label else note.text


def value_text(value: Any, unit: str = "", decimals: int = 2) -> str:
    """A value for display, with its unit."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int | float):
        text = format_number(float(value), decimals)
    elif value is None:
        text = "—"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def change_note_lines(card: Card) -> list[str]:
    """The card's change note as text lines, newest revision first (empty if none)."""
    lines: list[str] = []
    for version, day, texts in card.change_log:
        lines.append(f"Revision {version} ({day.isoformat()}):")
        lines += [f"  - {text}" for text in texts]
    return lines


def card_text(card: Card, kb: KnowledgeBase) -> str:
    """A card as plain text, with sources and content version."""
    lines = [card.title.upper(), card.summary, ""]
    if card.evidence != "confirmed":
        lines += [f"! Contains {EVIDENCE_LABEL[card.evidence]} items (marked below).", ""]
    for sec in card.sections:
        lines.append(f"## {sec.title}")
        lines += [f"- {note_text(n)}" for n in sec.steps]
        for dose in sec.doses:
            label = EVIDENCE_LABEL[dose.evidence]
            lines.append(f"- DOSE {dose.text}" + (f" [{label}]" if label else ""))
        lines += [f"- WARNING {note_text(n)}" for n in sec.warnings]
        lines += [f"- PITFALL {note_text(n)}" for n in sec.pitfalls]
        lines.append("")
    if card.calculators:
        names = ", ".join(kb.calculators[c].title for c in card.calculators)
        lines += [f"Calculators: {names}", ""]
    lines.append("Sources:")
    lines += [f"  [{r.id}] {r.citation}" for r in kb.cite(card.sources)]
    changes = change_note_lines(card)
    if changes:
        lines += ["", "Changes:", *(f"  {line}" for line in changes)]
    lines.append(
        f"Content v{kb.version} ({kb.issued.isoformat()}) · card revision {card.version} · "
        f"last reviewed {card.last_reviewed.isoformat()}"
    )
    return "\n".join(lines)


def result_text(result: Result, kb: KnowledgeBase) -> str:
    """A calculator result as plain text for the clinical notes.

    Inputs, result, units, interpretation, source and content version; no patient identifiers.
    """
    calc = kb.calculators[result.calculator]
    lines = [calc.title]
    inputs = ", ".join(
        f"{k} {value_text(v)}" for k, v in result.inputs.items() if v is not None
    )
    lines.append(f"Inputs: {inputs}")
    lines.append(f"Result: {result.category_label}")
    lines.append(result.interpretation)
    for note in result.next_steps:
        lines.append(f"- {note_text(note)}")
    for note in result.warnings:
        if note.evidence != "confirmed":
            lines.append(f"- Caution: {note_text(note)}")
    if result.evidence != "confirmed":
        lines.append(f"Evidence: {EVIDENCE_LABEL[result.evidence]}")
    lines.append("Source: " + "; ".join(r.citation for r in kb.cite(result.refs)))
    lines.append(f"BoneMets Pocket content v{kb.version} ({kb.issued.isoformat()})")
    return "\n".join(lines)
