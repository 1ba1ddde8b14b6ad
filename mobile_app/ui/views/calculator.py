"""Calculator view: a form generated from the input model, the live result with its category
colour, figures, plan, tables, next steps, caveats, the calculation and sources, and "copy
result".

The view renders what the result says it shows (``Result.figures``, ``tables``, ``plan``): it
knows no calculator by name, and "Copy result" renders the same data as text.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import flet as ft

from mobile_app.domain.models import Figure, Note, PlanSection, Table
from mobile_app.domain.units import display_unit
from mobile_app.knowledge.models import Handoff
from mobile_app.knowledge.text import input_text, result_text, step_text, summary_figures
from mobile_app.ui.components import (
    TOUCH_STYLE,
    detail_header,
    evidence_badge,
    heading,
    note_row,
    sources_block,
    version_footer,
)
from mobile_app.ui.forms import Field
from mobile_app.ui.keyboard import decimal_keypad
from mobile_app.ui.routes import item_key
from mobile_app.ui.services import use_services
from mobile_app.ui.state import STALE_AFTER_S, AppState, CalculatorState
from mobile_app.ui.theme import severity_color

__all__ = ["CalculatorView", "figure_row", "plan_view", "table_view"]

WIDE_TABLE_MIN_WIDTH = 720
"""Detail pane width (px at 100 % text) from which a result table is drawn as a grid; below it
(phones, split-view tablets, large text) every row becomes a block with each value labelled,
so no column hides behind a horizontal scroll."""


def figure_row(fig: Figure, dark: bool, stacked: bool) -> ft.Control:
    """One headline figure. Side by side when there is room, else the label above the value
    (large text, phones, long values), so nothing wraps letter by letter or clips.
    """
    color = severity_color(fig.tone, dark) if fig.tone in ("warning", "danger") else None
    label: list[ft.Control] = [ft.Text(fig.label, weight=ft.FontWeight.W_500)]
    if fig.detail:
        label.append(ft.Text(fig.detail, theme_style=ft.TextThemeStyle.BODY_SMALL,
                             color=ft.Colors.ON_SURFACE_VARIANT))
    value = ft.Text(fig.text, weight=ft.FontWeight.BOLD, color=color,
                    theme_style=ft.TextThemeStyle.TITLE_MEDIUM)
    badge = evidence_badge(fig.evidence, dark)
    if stacked or len(fig.text) > 28:
        parts: list[ft.Control] = [*label, value]
        if badge is not None:
            parts.append(badge)
        return ft.Container(ft.Column(parts, spacing=2, tight=True),
                            key=f"calc-figure-{fig.key}", padding=ft.Padding.only(bottom=4))
    value.text_align = ft.TextAlign.RIGHT
    right: list[ft.Control] = [value] + ([badge] if badge is not None else [])
    return ft.Row([ft.Column(label, spacing=0, tight=True, expand=3),
                   ft.Column(right, spacing=2, tight=True, expand=2,
                             horizontal_alignment=ft.CrossAxisAlignment.END)],
                  vertical_alignment=ft.CrossAxisAlignment.START, key=f"calc-figure-{fig.key}")


def table_view(table: Table, dark: bool, grid: bool) -> ft.Control:
    """A result table: a grid where it fits, else one block per row with every value
    labelled by its column (no hidden columns on a phone or at large text).
    """
    head: list[ft.Control] = [heading(table.title, "title_small")]
    badge = evidence_badge(table.evidence, dark)
    if badge is not None:
        head.append(badge)
    body: list[ft.Control]
    if grid:
        body = [ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(c, weight=ft.FontWeight.BOLD))
                     for c in table.columns],
            rows=[ft.DataRow(cells=[ft.DataCell(ft.Text(v)) for v in row],
                             selected=i == table.highlight)
                  for i, row in enumerate(table.rows)],
            column_spacing=16, heading_row_height=40, data_row_min_height=40,
            data_row_max_height=float("inf"))]
    else:
        body = []
        for i, row in enumerate(table.rows):
            lines: list[ft.Control] = [ft.Text(row[0], weight=ft.FontWeight.BOLD)]
            lines += [ft.Text(f"{col}: {cell}") for col, cell in
                      zip(table.columns[1:], row[1:], strict=True) if cell]
            body.append(ft.Container(
                ft.Column(lines, spacing=2, tight=True), padding=10, border_radius=8,
                bgcolor=ft.Colors.SECONDARY_CONTAINER if i == table.highlight
                else ft.Colors.SURFACE_CONTAINER_HIGHEST, key=f"calc-table-{table.key}-{i}"))
    notes = [note_row(n, dark, ft.Icons.INFO_OUTLINE) for n in table.notes]
    return ft.Column([*head, *body, *notes], spacing=6, tight=True,
                     horizontal_alignment=ft.CrossAxisAlignment.STRETCH,
                     key=f"calc-table-{table.key}")


def plan_view(section: PlanSection, dark: bool) -> ft.Control:
    """One part of the plan: its title and its statements."""
    return ft.Column([heading(section.title, "title_small"),
                      *(note_row(n, dark, ft.Icons.ARROW_FORWARD) for n in section.items)],
                     spacing=6, tight=True, key=f"calc-plan-{section.key}")


def _field_control(cs: CalculatorState, f: Field, dark: bool, stacked: bool = False
                   ) -> ft.Control:
    # Handlers are async so they run one at a time on the event loop: two fields typed in
    # quick succession can never race each other (sync handlers run in a thread pool).
    err = cs.error_for(f.name)
    value = cs.values.get(f.name)
    key = f"calc-{cs.calc.id}-{f.name}"
    if f.kind == "choice":
        selected = cs.derived.get(f.name, value)

        async def on_choice(e: ft.Event[ft.RadioGroup], name: str = f.name) -> None:
            cs.set_value(name, e.control.value)

        radios: list[ft.Control] = []
        for c in f.choices:
            pts = f" · {c.points} pt{'s' if c.points != 1 else ''}" if c.points is not None else ""
            radios.append(ft.Radio(value=c.value, label=f"{c.label}{pts}",
                                   key=f"{key}-{c.value}"))
            if c.definition:
                radios.append(ft.Container(
                    ft.Text(c.definition, theme_style=ft.TextThemeStyle.BODY_SMALL,
                            color=ft.Colors.ON_SURFACE_VARIANT),
                    padding=ft.Padding.only(left=48, bottom=4)))
        parts: list[ft.Control] = [heading(f.label, "title_small")]
        if f.help:
            parts.append(ft.Text(f.help, theme_style=ft.TextThemeStyle.BODY_SMALL))
        # The criterion names the group for screen readers ("Pain", then its options).
        parts.append(ft.Semantics(label=f.label, container=True, content=ft.RadioGroup(
            content=ft.Column(radios, spacing=0, tight=True), value=selected,
            on_change=on_choice, key=key)))
        if err:
            parts.append(ft.Text(err, color=severity_color("danger", dark)))
        return ft.Column(parts, spacing=2, tight=True)
    if f.kind == "yes_no":
        async def on_yes_no(e: ft.Event[ft.RadioGroup], name: str = f.name) -> None:
            cs.set_value(name, e.control.value)

        parts = [heading(f.label, "title_small")]
        if f.help:
            parts.append(ft.Text(f.help, theme_style=ft.TextThemeStyle.BODY_SMALL))
        parts.append(ft.Semantics(label=f.label, container=True, content=ft.RadioGroup(
            content=ft.Row([ft.Radio(value=c.value, label=c.label, key=f"{key}-{c.value}")
                            for c in f.choices], wrap=True),
            value=value if value in ("yes", "no") else None, on_change=on_yes_no, key=key)))
        if err:
            parts.append(ft.Text(err, color=severity_color("danger", dark)))
        return ft.Column(parts, spacing=2, tight=True)

    async def on_text(e: ft.Event[ft.TextField], name: str = f.name) -> None:
        cs.set_value(name, e.control.value or "")

    unit_text = display_unit(str(cs.values.get(f.unit_field, ""))) if f.unit_field else f.unit
    label = f.label + (f" ({f.unit})" if f.unit else "")
    text = ft.TextField(
        label=f"{label}{' (optional)' if not f.required else ''}",
        value=value if isinstance(value, str) else ("" if value is None else str(value)),
        on_change=on_text, key=key, error=err,
        suffix=unit_text if f.unit_field else None,
        keyboard_type=ft.KeyboardType.TEXT if f.kind == "text" else ft.KeyboardType.NUMBER,
        hint_text=f.help or None, expand=True, error_max_lines=4,
    )
    if not f.unit_field:
        return text if f.kind == "text" else decimal_keypad(text)
    unit_field = cs.field(f.unit_field)

    async def on_unit(e: ft.Event[ft.SegmentedButton], name: str = f.unit_field) -> None:
        if e.control.selected:
            cs.set_value(name, e.control.selected[0])

    toggle = ft.SegmentedButton(
        segments=[ft.Segment(value=c.value, label=ft.Text(c.label)) for c in unit_field.choices],
        selected=[str(cs.values.get(f.unit_field))], on_change=on_unit,
        show_selected_icon=False, key=f"calc-{cs.calc.id}-{f.unit_field}", style=TOUCH_STYLE)
    if stacked:  # large text or a narrow screen: the unit toggle goes under the number
        text.expand = False
        return ft.Column([decimal_keypad(text), toggle], spacing=6, tight=True,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    return ft.Row([decimal_keypad(text), toggle], vertical_alignment=ft.CrossAxisAlignment.START)


def _handoff_buttons(state: AppState, cs: CalculatorState,
                     go: Callable[[str], Callable[[Any], Any]] | None) -> ft.Control | None:
    """The next screens this result offers (a card, or a calculator with values carried)."""
    r = cs.result
    if r is None or go is None:
        return None
    buttons: list[ft.Control] = []
    for h in cs.calc.handoffs:
        if not h.applies(r.category):
            continue

        async def open_it(e: Any, h: Handoff = h) -> None:
            route = state.hand_off(cs, h)
            await go(route)(e)

        icon = ft.Icons.CALCULATE if h.to.startswith("calc:") else ft.Icons.DESCRIPTION_OUTLINED
        buttons.append(ft.FilledTonalButton(h.label, icon=icon, on_click=open_it,
                                            key=f"handoff-{h.to.replace(':', '-')}"))
    if not buttons:
        return None
    return ft.Row(buttons, wrap=True, spacing=8, run_spacing=8, key="calc-handoffs")


def _result_panel(state: AppState, cs: CalculatorState, dark: bool,
                  copy: Callable[[Any], Awaitable[None]],
                  go: Callable[[str], Callable[[Any], Any]] | None = None) -> ft.Control:
    r = cs.result
    if r is None:
        if cs.error is not None:
            return ft.Container(ft.Text(cs.error.message, color=severity_color("danger", dark)),
                                key="calc-error")
        prompt = ("Fill in: " + ", ".join(cs.missing)) if cs.missing else (
            "Correct the highlighted input.")
        return ft.Container(ft.Text(prompt, italic=True), key="calc-prompt", padding=8)
    color = severity_color(r.severity, dark)
    scale = state.settings.text_scale
    stacked = scale >= 1.5 or state.is_phone
    grid = (not state.is_phone and scale <= 1.0
            and state.width - 520 >= WIDE_TABLE_MIN_WIDTH)
    chip = ft.Container(
        ft.Text(r.category_label, color=ft.Colors.WHITE if not dark else ft.Colors.BLACK,
                weight=ft.FontWeight.BOLD, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
        bgcolor=color, padding=ft.Padding.symmetric(horizontal=12, vertical=6),
        border_radius=8, key="calc-category")
    copy_button = ft.FilledButton("Copy result", icon=ft.Icons.CONTENT_COPY, on_click=copy,
                                  key="copy-result")
    header: ft.Control
    if stacked:  # phone or large text: the headline gets the whole width, "Copy" under it
        header = ft.Column([chip, copy_button], spacing=8, tight=True,
                           horizontal_alignment=ft.CrossAxisAlignment.START)
    else:
        chip.expand = True
        header = ft.Row([chip, copy_button], spacing=8,
                        vertical_alignment=ft.CrossAxisAlignment.CENTER)
    rows: list[ft.Control] = [header]
    rows.extend(figure_row(f, dark, stacked) for f in r.figures)
    rows.append(ft.Text(r.interpretation, key="calc-interpretation"))
    handoffs = _handoff_buttons(state, cs, go)
    if handoffs is not None:
        rows.append(handoffs)
    badge = evidence_badge(r.evidence, dark)
    if badge is not None:
        rows.append(badge)
    rows.extend(plan_view(p, dark) for p in r.plan)
    if r.next_steps:
        rows.append(_keyed(heading("Next steps", "title_small"), "calc-next-heading"))
        rows.extend(_keyed(note_row(n, dark, ft.Icons.ARROW_FORWARD), k)
                    for n, k in zip(r.next_steps, _note_keys("calc-next", r.next_steps),
                                    strict=True))
    rows.extend(table_view(t, dark, grid) for t in r.tables)
    if r.warnings:
        rows.append(_keyed(heading("Caveats", "title_small"), "calc-caveats-heading"))
        rows.extend(_keyed(note_row(n, dark, ft.Icons.WARNING_AMBER, "warning"), k)
                    for n, k in zip(r.warnings, _note_keys("calc-caveat", r.warnings),
                                    strict=True))
    lines: list[ft.Control] = [
        ft.Text("Inputs: " + "; ".join(input_text(f) for f in r.input_lines))]
    lines += [ft.Text(step_text(st), theme_style=ft.TextThemeStyle.BODY_SMALL)
              for st in r.steps]
    rows.append(ft.ExpansionTile(title=ft.Text("Inputs and calculation"),
                                 leading=ft.Icon(ft.Icons.FUNCTIONS),
                                 controls=[ft.Container(ft.Column(lines, spacing=4, tight=True),
                                                        padding=12)], key="calc-inputs"))
    rows.append(_keyed(sources_block(state.kb, r.refs, "Source"), "calc-sources"))
    rows.append(_keyed(version_footer(state.kb), "calc-version"))
    return ft.Card(content=ft.Container(ft.Column(rows, spacing=8, tight=True), padding=14),
                   semantic_container=False, key="calc-result")


def _keyed(control: ft.Control, key: str) -> ft.Control:
    """``control`` with a stable key. Rows of the result come and go as the answer changes
    (a next step only for some categories): keyed, Flet's diff pairs each row with its own
    previous self and sends only what changed, instead of rewriting every row after the first
    one that moved (a tap then re-laid out the whole result in the browser).
    """
    control.key = key
    return control


def _note_keys(prefix: str, notes: Sequence[Note]) -> list[str]:
    """Keys for a result's notes from their text (stable while a note stays; a repeated
    text gets a counter).
    """
    seen: dict[int, int] = {}
    keys: list[str] = []
    for note in notes:
        digest = zlib.crc32(note.text.encode("utf-8"))
        seen[digest] = seen.get(digest, 0) + 1
        keys.append(f"{prefix}-{digest:08x}-{seen[digest]}")
    return keys


@ft.component
def CalculatorView(state: AppState, cs: CalculatorState, dark: bool,
                   back: Callable[[Any], Any] | None) -> ft.Control:
    """A calculator with its live result."""
    services = use_services()
    copy_text, go = services.copy_text, services.open_route
    calc = cs.calc
    key = item_key("calc", calc.id)

    async def copy(_: Any) -> None:
        if cs.result is not None:
            await copy_text(result_text(cs.result, state.kb))
            state.notify("Result copied: inputs, result, units, source, content version")

    scale = state.settings.text_scale
    stacked = scale >= 1.5 or (scale > 1.0 and state.is_phone)
    form: list[ft.Control] = []
    advanced: list[ft.Control] = []
    for f in cs.form:
        if f.kind == "unit":
            continue
        (advanced if f.advanced else form).append(_field_control(cs, f, dark, stacked))
    if advanced:
        form.append(ft.ExpansionTile(title=ft.Text("Lab reference range (optional)"),
                                     controls=[ft.Column(advanced, tight=True)]))
    summary: list[ft.Control] = [ft.Text(calc.summary)]
    stale = _stale_note(cs, dark)
    if stale is not None:
        summary.insert(0, stale)
    new_patient = _new_patient_button(cs)
    badge = evidence_badge(calc.evidence, dark) if calc.evidence == "unverified" else None
    if badge is not None:
        summary.append(badge)
    # The one-line summary stays in view above the form; at large text it would take most of
    # a phone's screen, so there it scrolls with the form instead.
    pinned = scale < 1.5
    body: list[ft.Control] = [] if pinned else [_sticky_summary(cs, dark)]
    body += [*summary, ft.Column(form, spacing=14, tight=True),
             _result_panel(state, cs, dark, copy, go)]
    return ft.Column(
        [detail_header(state, key, calc.title, back,
                       [new_patient] if new_patient is not None else []),
         *([_sticky_summary(cs, dark)] if pinned else []),
         ft.Column(body, spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)],
        spacing=8, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def _age_text(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h"


def _stale_note(cs: CalculatorState, dark: bool) -> ft.Control | None:
    """Answers left from a while ago are flagged: is this still the same patient?"""
    age = cs.age_s(time.time())
    if age is None or age <= STALE_AFTER_S:
        return None
    return ft.Text(f"Answers entered {_age_text(age)} ago: still the same patient? "
                   "Tap New patient to clear them.", color=severity_color("warning", dark),
                   weight=ft.FontWeight.BOLD, key="calc-stale")


def _new_patient_button(cs: CalculatorState) -> ft.Control | None:
    """Clears every answer (shown once something was entered), first in the header."""
    if not cs.has_answers():
        return None

    async def clear(_: Any) -> None:
        cs.clear()

    return ft.Semantics(label="New patient", button=True, content=ft.IconButton(
        ft.Icons.PERSON_ADD_ALT, on_click=clear, key="calc-new-patient",
        tooltip="New patient: clear the answers"))


def _sticky_summary(cs: CalculatorState, dark: bool) -> ft.Control:
    """The result in one line, always in view above the form (the full result is below)."""
    r = cs.result
    if r is None:
        text = ("Fill in: " + ", ".join(cs.missing)) if cs.missing else "Check the inputs"
        return ft.Container(ft.Text(text, italic=True),
                            padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                            border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                            key="calc-summary")
    fg = ft.Colors.BLACK if dark else ft.Colors.WHITE
    figures = summary_figures(r)
    return ft.Container(
        ft.Column([ft.Text(r.category_label, color=fg, weight=ft.FontWeight.BOLD),
                   ft.Text(figures, color=fg)], spacing=0, tight=True),
        padding=ft.Padding.symmetric(horizontal=12, vertical=8), border_radius=8,
        bgcolor=severity_color(r.severity, dark), key="calc-summary")
