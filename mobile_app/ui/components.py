"""Small pure builders (plain functions returning controls): testable without a page."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import flet as ft

from mobile_app.domain.models import Note
from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.knowledge.models import Dose
from mobile_app.knowledge.text import EVIDENCE_LABEL
from mobile_app.ui.state import AppState
from mobile_app.ui.theme import evidence_color, severity_color

__all__ = [
    "TOUCH_STYLE",
    "back_button",
    "detail_header",
    "dose_box",
    "favourite_button",
    "evidence_badge",
    "heading",
    "note_row",
    "pad",
    "sources_block",
    "tappable_tile",
    "version_footer",
]

Handler = Callable[[Any], Any]

TOUCH_STYLE = ft.ButtonStyle(padding=ft.Padding.symmetric(horizontal=14, vertical=14))
"""Segmented buttons default to 40 px high; this padding makes every segment ≥ 48 px."""


def pad(control: ft.Control, padding: int = 16) -> ft.Container:
    """Wrap a control with padding."""
    return ft.Container(content=control, padding=padding)


def heading(text: str, level: str = "title_medium") -> ft.Text:
    """A heading in the theme's type scale (so it follows the text-size setting)."""
    style = {
        "headline_small": ft.TextThemeStyle.HEADLINE_SMALL,
        "title_large": ft.TextThemeStyle.TITLE_LARGE,
        "title_medium": ft.TextThemeStyle.TITLE_MEDIUM,
        "title_small": ft.TextThemeStyle.TITLE_SMALL,
    }[level]
    return ft.Text(text, theme_style=style, weight=ft.FontWeight.BOLD)


def evidence_badge(evidence: str, dark: bool) -> ft.Control | None:
    """A visible label for partial or unverified content (None when confirmed)."""
    label = EVIDENCE_LABEL.get(evidence, "")
    if not label:
        return None
    color = evidence_color(evidence, dark)
    icon = ft.Icons.WARNING_AMBER if evidence == "unverified" else ft.Icons.INFO_OUTLINE
    return ft.Container(
        content=ft.Row([ft.Icon(icon, color=color, size=16),
                        ft.Text(label, color=color, theme_style=ft.TextThemeStyle.LABEL_MEDIUM,
                                weight=ft.FontWeight.BOLD)],
                       spacing=4, tight=True, wrap=True),
        border=ft.Border.all(1, color), border_radius=12,
        padding=ft.Padding.symmetric(horizontal=8, vertical=2),
    )


def note_row(note: Note, dark: bool, icon: ft.IconData = ft.Icons.CHEVRON_RIGHT,
             tone: str | None = None) -> ft.Control:
    """One statement, with its evidence badge."""
    color = severity_color(tone, dark) if tone else None
    parts: list[ft.Control] = [ft.Text(note.text, color=color)]
    badge = evidence_badge(note.evidence, dark)
    if badge is not None:
        parts.append(badge)
    return ft.Row(
        [ft.Icon(icon, size=18, color=color),
         ft.Column(parts, spacing=4, expand=True, tight=True)],
        vertical_alignment=ft.CrossAxisAlignment.START,
    )


def dose_box(dose: Dose, dark: bool) -> ft.Control:
    """A dose, highlighted: drug, amount and unit large, route and timing beneath."""
    lines: list[ft.Control] = [
        ft.Text(dose.drug, weight=ft.FontWeight.BOLD),
        ft.Text(f"{dose.amount} {dose.unit}", theme_style=ft.TextThemeStyle.TITLE_LARGE,
                weight=ft.FontWeight.BOLD),
    ]
    detail = " · ".join(p for p in (dose.route, dose.frequency) if p)
    if detail:
        lines.append(ft.Text(detail))
    if dose.note:
        lines.append(ft.Text(dose.note, theme_style=ft.TextThemeStyle.BODY_SMALL))
    badge = evidence_badge(dose.evidence, dark)
    if badge is not None:
        lines.append(badge)
    return ft.Container(
        content=ft.Column(lines, spacing=2, tight=True),
        padding=12, border_radius=12, bgcolor=ft.Colors.PRIMARY_CONTAINER,
    )


def sources_block(kb: KnowledgeBase, ref_ids: Sequence[str], title: str = "Sources"
                  ) -> ft.Control:
    """An expandable list of full citations."""
    items: list[ft.Control] = []
    for ref in kb.cite(list(ref_ids)):
        extra = " · ".join(x for x in (
            f"PMID {ref.pmid}" if ref.pmid else "", f"doi:{ref.doi}" if ref.doi else "",
            ref.url or "") if x)
        items.append(ft.Text(f"• {ref.citation}" + (f" ({extra})" if extra else ""),
                             theme_style=ft.TextThemeStyle.BODY_SMALL))
    return ft.ExpansionTile(
        title=ft.Text(f"{title} ({len(items)})"),
        leading=ft.Icon(ft.Icons.MENU_BOOK_OUTLINED),
        controls=[ft.Container(ft.Column(items, spacing=6, tight=True), padding=12)],
        maintain_state=True,
    )


def version_footer(kb: KnowledgeBase, extra: str = "") -> ft.Text:
    """Content version and date (plus e.g. the card's review date)."""
    text = f"Content v{kb.version} · {kb.issued.isoformat()}"
    return ft.Text(f"{text}{' · ' + extra if extra else ''}",
                   theme_style=ft.TextThemeStyle.BODY_SMALL, color=ft.Colors.ON_SURFACE_VARIANT)


def tappable_tile(title: str, subtitle: str, icon: ft.IconData, on_click: Handler,
                  key: str | None = None, trailing: ft.Control | None = None) -> ft.ListTile:
    """A list row of at least 48 px that opens something."""
    return ft.ListTile(
        title=ft.Text(title), subtitle=ft.Text(subtitle, max_lines=2,
                                               overflow=ft.TextOverflow.ELLIPSIS),
        leading=ft.Icon(icon), trailing=trailing, on_click=on_click, key=key,
        min_height=56,
    )


def favourite_button(is_favourite: bool, on_click: Handler) -> ft.Control:
    """The star toggle, labelled for screen readers (and browser tests)."""
    label = "Remove from favourites" if is_favourite else "Add to favourites"
    return ft.Semantics(
        label=label, button=True,
        content=ft.IconButton(
            ft.Icons.STAR if is_favourite else ft.Icons.STAR_BORDER, key="favourite",
            on_click=on_click, icon_color=ft.Colors.AMBER_700 if is_favourite else None),
    )


def back_button(on_click: Handler) -> ft.Control:
    """A labelled back button (phone layout)."""
    return ft.Semantics(label="Back", button=True, content=ft.IconButton(
        ft.Icons.ARROW_BACK, on_click=on_click, key="back"))


def detail_header(state: AppState, key: str, title: str, back: Handler | None,
                  actions: Sequence[ft.Control] = ()) -> ft.Row:
    """Title row of a card or calculator: back (phone), title, its actions, favourite."""

    def toggle(_: Any) -> None:
        now = state.toggle_favourite(key)
        state.notify("Added to favourites" if now else "Removed from favourites")

    row: list[ft.Control] = [] if back is None else [back_button(back)]
    # Large text already enlarges the title; a smaller style keeps long words whole.
    level = "title_small" if state.settings.text_scale >= 1.5 else "title_large"
    row.append(ft.Container(heading(title, level), expand=True))
    row.extend(actions)
    row.append(favourite_button(state.is_favourite(key), toggle))
    return ft.Row(row, vertical_alignment=ft.CrossAxisAlignment.CENTER)
