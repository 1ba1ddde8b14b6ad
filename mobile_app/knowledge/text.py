"""Plain-text renderings of cards and results (CLI output and "copy result" for the notes).

A result is rendered from what it says it shows (its figures, tables and plan), the same data
the screen renders, so the copy holds every figure the screen shows. Numbers were formatted by
the one display formatter (:func:`mobile_app.domain.display.format_number`); results keep full
precision.
"""

from __future__ import annotations

from datetime import datetime

from mobile_app.domain.display import format_number
from mobile_app.domain.models import Figure, Note, Result, Step, Table
from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.knowledge.models import Card

__all__ = [
    "EVIDENCE_LABEL",
    "card_text",
    "change_note_lines",
    "figure_text",
    "input_text",
    "note_text",
    "result_text",
    "step_text",
    "summary_figures",
    "table_lines",
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


def figure_text(fig: Figure) -> str:
    """"CrCl (Cockcroft-Gault, actual weight): 49.99 mL/min" [evidence label]."""
    label = f"{fig.label} ({fig.detail})" if fig.detail else fig.label
    tag = EVIDENCE_LABEL[fig.evidence]
    return f"{label}: {fig.text}" + (f" [{tag}]" if tag else "")


def input_text(fig: Figure) -> str:
    """An input as a clinician writes it: "Creatinine 110 µmol/L", "Sex: female"."""
    numeric = not isinstance(fig.value, bool) and isinstance(fig.value, int | float)
    return f"{fig.label} {fig.text}" if numeric else f"{fig.label}: {fig.text}"


def table_lines(table: Table) -> list[str]:
    """A table as text: one line per row, each cell named by its column."""
    tag = EVIDENCE_LABEL[table.evidence]
    lines = [f"{table.title}:" + (f" [{tag}]" if tag else "")]
    for row in table.rows:
        cells = "; ".join(f"{col}: {cell}" for col, cell in zip(table.columns[1:], row[1:],
                                                                strict=True) if cell)
        lines.append(f"- {row[0]} — {cells}")
    lines += [f"  {note_text(n)}" for n in table.notes]
    return lines


def step_text(step: Step) -> str:
    """One line of the calculation: "CrCl: 49.9915 mL/min ((140 − age) × …)"."""
    value = step.value
    shown = (format_number(value, 4) if isinstance(value, int | float)
             and not isinstance(value, bool) else str(value))
    text = f"{step.label}: {shown} {step.unit}".rstrip()
    return f"{text} ({step.detail})" if step.detail else text


def summary_figures(result: Result) -> str:
    """The summary figures in one line, each named ("BED: 14.4 Gy · EQD2: 12 Gy")."""
    return " · ".join(f"{f.label}: {f.short or f.text}" for f in result.figures if f.summary)



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


def result_text(result: Result, kb: KnowledgeBase, at: datetime | None = None) -> str:
    """A calculator result as plain text for the clinical notes ("Copy result" and
    ``mobile-app calc --format text``).

    Inputs with their labels and units, the result, every figure, table and part of the plan
    the screen shows, next steps, caveats, sources, content version and the date and time;
    no patient identifiers.
    """
    calc = kb.calculators[result.calculator]
    lines = [calc.title]
    lines.append("Inputs: " + "; ".join(input_text(f) for f in result.input_lines))
    lines.append(f"Result: {result.category_label}")
    lines.append(result.interpretation)
    lines += [figure_text(f) for f in result.figures]
    for section in result.plan:
        lines.append(f"{section.title}:")
        lines += [f"- {note_text(n)}" for n in section.items]
    for table in result.tables:
        lines += table_lines(table)
    if result.next_steps:
        lines.append("Next steps:")
        lines += [f"- {note_text(n)}" for n in result.next_steps]
    if result.warnings:
        lines.append("Caveats:")
        lines += [f"- {note_text(n)}" for n in result.warnings]
    lines.append("Calculation:")
    lines += [f"- {step_text(st)}" for st in result.steps]
    if result.evidence != "confirmed":
        lines.append(f"Evidence: {EVIDENCE_LABEL[result.evidence]}")
    lines.append("Source: " + "; ".join(r.citation for r in kb.cite(result.refs)))
    when = (at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z").rstrip()
    lines.append(f"BoneMets Pocket content v{kb.version} ({kb.issued.isoformat()}) · "
                 f"calculated {when}")
    return "\n".join(lines)
