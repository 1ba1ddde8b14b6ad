"""Card view: the protocol as steps with doses, warnings and pitfalls highlighted, linked
calculators one tap away, sources, content version and review date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.knowledge.models import Card
from mobile_app.knowledge.text import change_note_lines
from mobile_app.ui.components import (
    detail_header,
    dose_box,
    evidence_badge,
    heading,
    note_row,
    sources_block,
    version_footer,
)
from mobile_app.ui.routes import calc_path, item_key
from mobile_app.ui.services import use_services
from mobile_app.ui.state import AppState

__all__ = ["CardView", "card_body", "change_notes_block"]


def card_body(state: AppState, card: Card, dark: bool,
              open_route: Callable[[str], Callable[[Any], Any]]) -> list[ft.Control]:
    """The controls of a card (a pure builder, used by :func:`CardView`)."""
    out: list[ft.Control] = [ft.Text(card.summary)]
    change = _change_note(state, card.id)
    if change:
        out.append(ft.Container(
            ft.Row([ft.Icon(ft.Icons.NEW_RELEASES_OUTLINED, color=ft.Colors.ON_TERTIARY_CONTAINER),
                    ft.Text(change, expand=True, color=ft.Colors.ON_TERTIARY_CONTAINER)]),
            bgcolor=ft.Colors.TERTIARY_CONTAINER, padding=10, border_radius=8,
            key="card-changed"))
    badge = evidence_badge(card.evidence, dark)
    if badge is not None:
        out.append(ft.Row([badge], wrap=True))
    if card.calculators:
        out.append(ft.Row(
            [ft.FilledTonalButton(state.kb.calculators[c].title, icon=ft.Icons.CALCULATE,
                                  on_click=open_route(calc_path(c)), key=f"card-calc-{c}")
             for c in card.calculators],
            wrap=True, spacing=8, run_spacing=8))
    for sec in card.sections:
        body: list[ft.Control] = [heading(sec.title)]
        for i, step in enumerate(sec.steps, start=1):
            body.append(note_row(step, dark, icon=ft.Icons.CIRCLE_OUTLINED if len(
                sec.steps) == 1 else _number_icon(i)))
        body.extend(dose_box(d, dark) for d in sec.doses)
        body.extend(note_row(w, dark, icon=ft.Icons.WARNING_AMBER, tone="warning")
                    for w in sec.warnings)
        body.extend(note_row(p, dark, icon=ft.Icons.ERROR_OUTLINE, tone="danger")
                    for p in sec.pitfalls)
        target = ft.ScrollKey(f"section-{sec.id}")  # type: ignore[call-arg]
        out.append(ft.Card(content=ft.Container(ft.Column(body, spacing=8, tight=True),
                                                padding=14),
                           semantic_container=False, key=target))
    notes = change_notes_block(card)
    if notes is not None:
        out.append(notes)
    out.append(sources_block(state.kb, card.sources))
    out.append(version_footer(state.kb, f"card rev {card.version} · last reviewed "
                                        f"{card.last_reviewed.isoformat()}"))
    return out


def change_notes_block(card: Card) -> ft.Control | None:
    """The card's own change note (what each revision changed), or None if it has none."""
    lines = change_note_lines(card)
    if not lines:
        return None
    return ft.ExpansionTile(
        title=ft.Text(f"Changes in revision {card.version}"),
        leading=ft.Icon(ft.Icons.HISTORY),
        controls=[ft.Container(
            ft.Column([ft.Text(line, theme_style=ft.TextThemeStyle.BODY_SMALL) for line in lines],
                      spacing=4, tight=True),
            padding=12)],
        maintain_state=True,
        key="card-change-notes",
    )


def _change_note(state: AppState, card_id: str) -> str:
    """"Updated in content version N: <changelog>" when the update in use changed this card."""
    info = state.update
    if info is None or info.source == "bundled":
        return ""
    for c in info.changes:
        if c.id == card_id:
            return f"Updated in content version {info.version}" + (f": {c.note}" if c.note else "")
    return ""


def _number_icon(i: int) -> ft.IconData:
    icons = [ft.Icons.LOOKS_ONE_OUTLINED, ft.Icons.LOOKS_TWO_OUTLINED, ft.Icons.LOOKS_3_OUTLINED,
             ft.Icons.LOOKS_4_OUTLINED, ft.Icons.LOOKS_5_OUTLINED, ft.Icons.LOOKS_6_OUTLINED]
    return icons[i - 1] if i <= len(icons) else ft.Icons.CHEVRON_RIGHT


@ft.component
def CardView(state: AppState, card_id: str, dark: bool,
             back: Callable[[Any], Any] | None) -> ft.Control:
    """A quick card: its header (back, title, favourite, and a jump-to-section menu for long
    cards) stays in view while the body scrolls.
    """
    open_route = use_services().open_route
    card = state.kb.cards.get(card_id)
    if card is None:
        return ft.Text(f"Card “{card_id}” is not in content v{state.kb.version}.")
    body = ft.Column(card_body(state, card, dark, open_route), spacing=10,
                     scroll=ft.ScrollMode.AUTO, expand=True, key="card-body")

    def jump(section_id: str) -> Callable[[Any], Any]:
        # Reconciliation hands each render's controls the identity of the mounted ones, so
        # the body of this render is the one on the page when its menu is used.
        async def handler(_: Any) -> None:
            await body.scroll_to(scroll_key=f"section-{section_id}", duration=300)
        return handler

    header = detail_header(state, item_key("card", card.id), card.title, back)
    if len(card.sections) >= 3:
        header.controls.insert(len(header.controls) - 1, ft.Semantics(
            label="Jump to section", button=True, content=ft.PopupMenuButton(
                icon=ft.Icons.TOC, tooltip="Jump to section", key="card-sections",
                items=[ft.PopupMenuItem(content=sec.title, on_click=jump(sec.id))
                       for sec in card.sections])))
    return ft.Column([header, body], spacing=10, expand=True)
