"""Light and dark themes, scaled text, and the semantic colours of results and evidence.

The only place colours are chosen; views ask for roles ("danger", "unverified").
"""

from __future__ import annotations

import dataclasses

import flet as ft

__all__ = [
    "FONTS",
    "SEVERITY_COLORS",
    "SYMBOLS_FONT",
    "apply_theme",
    "dark_theme",
    "evidence_color",
    "light_theme",
    "severity_color",
]

_SEED = "#1565C0"

SYMBOLS_FONT = "BoneMets Symbols"
"""Every non-ASCII glyph the content and the UI need (arrows, super-/subscript digits, Greek
letters, signs), from DejaVu Sans (``scripts/make-fonts.py``). Every text style falls back to
it, so Flutter never downloads a fallback font (offline there is none to download)."""
FONTS = {SYMBOLS_FONT: "fonts/BoneMetsSymbols.ttf"}
"""``page.fonts``: served from the project's ``assets/`` (server mode) or the site root (PWA)."""

# Material 3 type scale (sp), multiplied by the user's text-size setting.
_TYPE_SCALE = {
    "display_small": 36, "headline_medium": 28, "headline_small": 24, "title_large": 22,
    "title_medium": 16, "title_small": 14, "body_large": 16, "body_medium": 14,
    "body_small": 12, "label_large": 14, "label_medium": 12, "label_small": 11,
}

SEVERITY_COLORS = {
    "normal": (ft.Colors.GREEN_700, ft.Colors.GREEN_300),
    "info": (ft.Colors.BLUE_700, ft.Colors.BLUE_200),
    "warning": (ft.Colors.ORANGE_800, ft.Colors.ORANGE_300),
    "danger": (ft.Colors.RED_700, ft.Colors.RED_300),
}


def _text_theme(scale: float) -> ft.TextTheme:
    # Sizes only would leave the colour unset (black in dark mode): use the surface role.
    # Every style, also those without a size here, falls back to the symbols font.
    styles = {f.name: ft.TextStyle(font_family_fallback=[SYMBOLS_FONT])
              for f in dataclasses.fields(ft.TextTheme)}
    styles.update({k: ft.TextStyle(size=round(v * scale, 1), color=ft.Colors.ON_SURFACE,
                                   font_family_fallback=[SYMBOLS_FONT])
                   for k, v in _TYPE_SCALE.items()})
    return ft.TextTheme(**styles)


def light_theme(scale: float = 1.0) -> ft.Theme:
    """Light theme with text scaled by ``scale``."""
    return ft.Theme(color_scheme_seed=_SEED, text_theme=_text_theme(scale),
                    visual_density=ft.VisualDensity.STANDARD)


def dark_theme(scale: float = 1.0) -> ft.Theme:
    """Dark theme with text scaled by ``scale``."""
    # Flet builds page.dark_theme with a dark brightness; only the seed and type are ours.
    return ft.Theme(color_scheme_seed=_SEED, text_theme=_text_theme(scale),
                    visual_density=ft.VisualDensity.STANDARD)


def apply_theme(page: ft.Page, mode: str, scale: float) -> None:
    """Set the page's light and dark themes (text scaled by ``scale``) and its mode
    ("system", "light" or "dark"); the caller sends the update.
    """
    page.theme = light_theme(scale)
    page.dark_theme = dark_theme(scale)
    page.theme_mode = {"light": ft.ThemeMode.LIGHT, "dark": ft.ThemeMode.DARK}.get(
        mode, ft.ThemeMode.SYSTEM)


def severity_color(severity: str, dark: bool) -> str:
    """Colour of a result category."""
    light_c, dark_c = SEVERITY_COLORS.get(severity, SEVERITY_COLORS["info"])
    return dark_c if dark else light_c


def evidence_color(evidence: str, dark: bool) -> str:
    """Colour of an evidence badge."""
    return severity_color("danger" if evidence == "unverified" else "warning", dark)
