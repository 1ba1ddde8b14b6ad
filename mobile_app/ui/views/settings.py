"""Settings: theme, text size, default units; about (content version, sources, disclaimer)."""

from __future__ import annotations

import flet as ft

from mobile_app import __version__
from mobile_app.ui.components import TOUCH_STYLE, heading, sources_block, version_footer
from mobile_app.ui.services import use_services
from mobile_app.ui.state import AppState
from mobile_app.ui.views.changes import update_section
from mobile_app.ui.views.content_file import ContentFileActions

__all__ = ["TEXT_SIZES", "SettingsView"]

TEXT_SIZES = ((1.0, "100%"), (1.25, "125%"), (1.5, "150%"), (2.0, "200%"))

DISCLAIMER = (
    "BoneMets Pocket supports clinical judgement and does not replace it or your local "
    "protocols. Figures marked 'unverified' or 'secondary source' must be checked against "
    "your local protocol before use. No patient data is stored; there are no accounts and no "
    "analytics."
)


@ft.component
def SettingsView(state: AppState) -> ft.Control:
    """The settings screen."""
    services = use_services()
    s = state.settings

    def segmented(key: str, options: list[tuple[str, str]], selected: str,
                  field: str) -> ft.SegmentedButton:
        def on_change(e: ft.Event[ft.SegmentedButton]) -> None:
            if e.control.selected:
                value: str | float = e.control.selected[0]
                if field == "text_scale":
                    value = float(value)
                state.update_settings(**{field: value})

        return ft.SegmentedButton(
            segments=[ft.Segment(value=v, label=ft.Text(label)) for v, label in options],
            selected=[selected], on_change=on_change, key=key, show_selected_icon=False,
            style=TOUCH_STYLE)

    kb = state.kb
    return ft.Column(
        [
            heading("Settings", "title_large"),
            heading("Theme", "title_small"),
            segmented("settings-theme", [("system", "System"), ("light", "Light"),
                                         ("dark", "Dark")], s.theme, "theme"),
            heading("Text size", "title_small"),
            segmented("settings-text-size", [(str(v), label) for v, label in TEXT_SIZES],
                      str(s.text_scale), "text_scale"),
            heading("Default units", "title_small"),
            segmented("settings-units", [("conventional", "Conventional (mg/dL)"),
                                         ("si", "SI (mmol/L)")], s.units, "units"),
            ft.Divider(),
            *update_section(state, services.check_updates, services.open_route),
            *([ContentFileActions(state)] if services.content is not None else []),
            ft.Divider(),
            heading("About", "title_small"),
            ft.Text(f"BoneMets Pocket {__version__}"),
            version_footer(kb, f"{len(kb.cards)} cards · {len(kb.calculators)} calculators · "
                               f"{len(kb.references)} references"),
            ft.Text(DISCLAIMER),
            sources_block(kb, list(kb.references), "All sources"),
        ],
        spacing=10, scroll=ft.ScrollMode.AUTO, expand=True,
    )
