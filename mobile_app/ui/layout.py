"""The app's frame: navigation bar (phone) or rail (tablet), and where the list and the open
card or calculator go. Plain functions of what to show; no state of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.routes import CALCULATORS, HOME, SETTINGS, Section

__all__ = ["NAV", "phone_frame", "tablet_frame"]

NAV: tuple[tuple[Section, str, ft.IconData, ft.IconData], ...] = (
    (HOME, "Home", ft.Icons.HOME_OUTLINED, ft.Icons.HOME),
    (CALCULATORS, "Calculators", ft.Icons.CALCULATE_OUTLINED, ft.Icons.CALCULATE),
    (SETTINGS, "Settings", ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
)
"""The three sections, in navigation order: (route, label, icon, selected icon)."""

NavHandler = Callable[[Section], Any]


def _index(section: Section) -> int:
    return [s for s, *_ in NAV].index(section)


def _on_change(open_section: NavHandler) -> Callable[[ft.Event[Any]], Any]:
    async def handler(e: ft.Event[Any]) -> None:
        await open_section(NAV[int(e.control.selected_index)][0])
    return handler


def phone_frame(body: ft.Control, section: Section, open_section: NavHandler) -> ft.Control:
    """One column: the screen, and the bottom navigation bar."""
    return ft.SafeArea(ft.Column([
        ft.Container(body, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                     expand=True),
        ft.NavigationBar(
            destinations=[ft.NavigationBarDestination(icon=i, selected_icon=si, label=label)
                          for _, label, i, si in NAV],
            selected_index=_index(section), on_change=_on_change(open_section), key="nav"),
    ], spacing=0, expand=True), expand=True)


def tablet_frame(listing: ft.Control, detail: ft.Control | None, section: Section,
                 open_section: NavHandler) -> ft.Control:
    """Navigation rail, the section's list, and the open item beside it."""
    rail = ft.NavigationRail(
        destinations=[ft.NavigationRailDestination(icon=i, selected_icon=si, label=label)
                      for _, label, i, si in NAV],
        selected_index=_index(section), on_change=_on_change(open_section),
        label_type=ft.NavigationRailLabelType.ALL, key="nav")
    right = detail if detail is not None else ft.Container(
        ft.Text("Choose a card or calculator.", italic=True), alignment=ft.Alignment.CENTER)
    return ft.SafeArea(ft.Row([
        rail,
        ft.VerticalDivider(width=1),
        ft.Container(listing, width=380, padding=12),
        ft.VerticalDivider(width=1),
        ft.Container(right, expand=True, padding=16),
    ], expand=True, vertical_alignment=ft.CrossAxisAlignment.STRETCH), expand=True)
