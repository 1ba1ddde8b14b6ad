"""Content updates on screen: the "What changed" view, the update section of Settings and the
banners on Home (content updated; content may be out of date).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flet as ft

from mobile_app.ui.components import TOUCH_STYLE, back_button, heading
from mobile_app.ui.routes import CHANGES_PATH, SETTINGS, calc_path, card_path
from mobile_app.ui.services import Open, use_services
from mobile_app.ui.state import AppState

__all__ = ["ChangesView", "change_rows", "update_banners", "update_section"]


KIND_TEXT = {"added": "New", "changed": "Changed", "removed": "Removed", "updated": "Updated"}
STATE_ICON = {
    "installed": ft.Icons.CHECK_CIRCLE_OUTLINE,
    "up_to_date": ft.Icons.CHECK_CIRCLE_OUTLINE,
    "checking": ft.Icons.SYNC,
    "downloading": ft.Icons.DOWNLOAD,
    "offline": ft.Icons.CLOUD_OFF,
    "rejected": ft.Icons.GPP_BAD_OUTLINED,
    "error": ft.Icons.ERROR_OUTLINE,
    "unconfigured": ft.Icons.INFO_OUTLINE,
    "idle": ft.Icons.INFO_OUTLINE,
}


def change_rows(state: AppState) -> list[tuple[str, str, str, str | None]]:
    """What changed, as (title, kind in words, changelog, route or None when the item is gone)."""
    info = state.update
    if info is None:
        return []
    rows: list[tuple[str, str, str, str | None]] = []
    for c in info.changes:
        if c.id in state.kb.cards:
            title, route = state.kb.cards[c.id].title, card_path(c.id)
        elif c.id in state.kb.calculators:
            title, route = state.kb.calculators[c.id].title, calc_path(c.id)
        else:
            title, route = c.id.replace("_", " ").capitalize(), None
        rows.append((title, KIND_TEXT.get(c.kind, c.kind), c.note, route))
    return rows


def _banner(text: str, icon: ft.IconData, key: str, on_click: Any = None,
            warning: bool = False) -> ft.Control:
    content = ft.Row([
        ft.Icon(icon, color=ft.Colors.ON_TERTIARY_CONTAINER if not warning
                else ft.Colors.ON_ERROR_CONTAINER),
        ft.Text(text, expand=True, color=ft.Colors.ON_TERTIARY_CONTAINER if not warning
                else ft.Colors.ON_ERROR_CONTAINER),
    ], vertical_alignment=ft.CrossAxisAlignment.CENTER)
    box = ft.Container(
        content, padding=12, border_radius=8, on_click=on_click,
        bgcolor=ft.Colors.ERROR_CONTAINER if warning else ft.Colors.TERTIARY_CONTAINER)
    return ft.Semantics(content=box, button=on_click is not None, label=text, key=key)


def update_banners(state: AppState, open_route: Open) -> list[ft.Control]:
    """Banners for the top of Home: stale content (warning) and a fresh update (info)."""
    info = state.update
    if info is None:
        return []
    out: list[ft.Control] = []
    if info.expired:
        when = f" on {info.expires.date().isoformat()}" if info.expires else ""
        out.append(_banner(
            f"Content may be out of date: its update signature expired{when}. Connect and "
            "check for updates in Settings, and check doses against your local protocol.",
            ft.Icons.WARNING_AMBER, "stale-banner", open_route(SETTINGS), warning=True))
    if info.installed_now and info.changes:
        out.append(_banner(
            f"Content updated to version {info.version}: "
            f"{len(info.changes)} item{'s' if len(info.changes) != 1 else ''} changed. "
            "See what changed.",
            ft.Icons.NEW_RELEASES_OUTLINED, "update-banner", open_route(CHANGES_PATH)))
    return out


def update_section(state: AppState, check: Callable[[Any], Any], open_route: Open
                   ) -> list[ft.Control]:
    """The "Content updates" part of Settings."""
    info = state.update
    if info is None:
        return []
    controls: list[ft.Control] = [
        heading("Content updates", "title_small"),
        ft.Row([ft.Icon(STATE_ICON.get(info.state, ft.Icons.INFO_OUTLINE)),
                ft.Text(info.message, key="update-status", expand=True)],
               vertical_alignment=ft.CrossAxisAlignment.CENTER),
        ft.Text(f"Content version {info.version} ({info.issued}) · {info.source_text}",
                key="content-version"),
    ]
    if info.checked_at is not None:
        controls.append(ft.Text(
            f"Last checked {info.checked_at.astimezone().strftime('%Y-%m-%d %H:%M')}",
            theme_style=ft.TextThemeStyle.BODY_SMALL, color=ft.Colors.ON_SURFACE_VARIANT))
    if info.expires is not None:
        verb = "expired" if info.expired else "valid until"
        controls.append(ft.Text(
            f"Update signature {verb} {info.expires.date().isoformat()}",
            theme_style=ft.TextThemeStyle.BODY_SMALL,
            color=ft.Colors.ERROR if info.expired else ft.Colors.ON_SURFACE_VARIANT))
    if info.problems:
        controls.append(ft.Text(
            "Stored content that failed verification was set aside: "
            + "; ".join(info.problems), color=ft.Colors.ERROR, key="content-problems"))
    buttons: list[ft.Control] = [
        ft.FilledTonalButton(
            "Checking…" if info.busy else "Check for updates", icon=ft.Icons.SYNC,
            on_click=check, disabled=info.busy or not info.configured, key="update-check",
            style=TOUCH_STYLE),
        ft.OutlinedButton("What changed", icon=ft.Icons.HISTORY, on_click=open_route(CHANGES_PATH),
                          key="update-changes", style=TOUCH_STYLE),
    ]
    controls.append(ft.Row(buttons, wrap=True, spacing=8, run_spacing=8))
    return controls


@ft.component
def ChangesView(state: AppState, back: Callable[[Any], Any] | None) -> ft.Control:
    """Which cards and calculators changed in the content update now in use, with the
    publisher's changelog.
    """
    open_route = use_services().open_route
    info = state.update
    header: list[ft.Control] = [] if back is None else [back_button(back)]
    header.append(ft.Container(heading("What changed", "title_large"), expand=True))
    controls: list[ft.Control] = [ft.Row(header, vertical_alignment=ft.CrossAxisAlignment.CENTER)]
    rows = change_rows(state)
    if info is None or info.source == "bundled" and not rows:
        controls.append(ft.Text(
            f"Content version {state.kb.version} ({state.kb.issued.isoformat()}) is the one "
            "bundled with the app; no update has been installed yet."))
    else:
        since = (f" (was version {info.previous_version})"
                 if info.installed_now and info.previous_version is not None else "")
        controls.append(ft.Text(f"Content version {info.version}, issued {info.issued}{since}",
                                key="changes-version"))
        if not rows:
            controls.append(ft.Text("The publisher listed no changed cards for this version."))
    for i, (title, kind, note, route) in enumerate(rows):
        subtitle = f"{kind}: {note}" if note else kind
        if route is None:
            controls.append(ft.ListTile(title=ft.Text(title), subtitle=ft.Text(subtitle),
                                        leading=ft.Icon(ft.Icons.REMOVE_CIRCLE_OUTLINE),
                                        key=f"change-{i}"))
        else:
            controls.append(ft.ListTile(title=ft.Text(title), subtitle=ft.Text(subtitle),
                                        leading=ft.Icon(ft.Icons.EDIT_NOTE),
                                        on_click=open_route(route), key=f"change-{i}",
                                        min_height=56))
    return ft.Column(controls, spacing=6, scroll=ft.ScrollMode.AUTO, expand=True,
                     horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
