"""Every character the app can show has a glyph in the fonts it ships (issue 9, missing glyphs).

Flutter draws text with Roboto (as Flet ships it) and, for what Roboto lacks, the bundled
symbols font that every text style falls back to (``ui/theme.py``). A character in neither
would make Flutter fetch a Noto font that no build has (empty boxes, failed requests).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
from pathlib import Path

import flet_web
import pytest
from fontTools.ttLib import TTFont

from mobile_app.knowledge.loader import read_bundled_files
from mobile_app.ui.theme import FONTS, SYMBOLS_FONT, dark_theme, light_theme

ROOT = Path(__file__).resolve().parents[2]
ROBOTO = Path(flet_web.__file__).parent / "web" / "assets" / "fonts" / "roboto.woff2"
SYMBOLS = ROOT / "assets" / FONTS[SYMBOLS_FONT]


def _make_fonts() -> object:
    spec = importlib.util.spec_from_file_location("make_fonts", ROOT / "scripts" / "make-fonts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cmap(path: Path) -> set[int]:
    return set(TTFont(path).getBestCmap())


def _kb_characters() -> set[str]:
    def strings(obj: object) -> list[str]:
        if isinstance(obj, str):
            return [obj]
        if isinstance(obj, dict):
            return [s for k, v in obj.items() for s in (*strings(k), *strings(v))]
        if isinstance(obj, list):
            return [s for v in obj for s in strings(v)]
        return []

    chars: set[str] = set()
    for name, data in read_bundled_files().items():
        if name.endswith(".json"):
            chars.update("".join(strings(json.loads(data))))
    return {c for c in chars if c.isprintable() and not c.isspace()}


def test_every_knowledge_base_character_has_a_glyph() -> None:
    covered = _cmap(ROBOTO) | _cmap(SYMBOLS)
    chars = _kb_characters()
    assert "→" in chars  # the bone-targeted agents card's arrow (the reported defect)
    missing = sorted(c for c in chars if ord(c) not in covered)
    assert missing == [], f"no glyph for {missing!r}: run scripts/make-fonts.py"


def test_every_ui_string_character_has_a_glyph() -> None:
    covered = _cmap(ROBOTO) | _cmap(SYMBOLS)
    chars = _make_fonts().text_characters()  # type: ignore[attr-defined]
    missing = sorted(c for c in chars if ord(c) not in covered)
    assert missing == [], f"no glyph for {missing!r}: run scripts/make-fonts.py"


def test_the_symbols_font_covers_every_non_ascii_character_and_stays_small() -> None:
    # Also those Roboto has: the PWA's CanvasKit renderer asks for a Noto font for some of
    # them (Greek letters, ≥) unless a font of the style's fallback list covers them.
    symbols = _cmap(SYMBOLS)
    chars = _kb_characters() | _make_fonts().text_characters()  # type: ignore[attr-defined]
    missing = sorted(c for c in chars if ord(c) > 0x7F and ord(c) not in symbols)
    assert missing == [], f"not in the symbols font: {missing!r}: run scripts/make-fonts.py"
    assert not {c for c in symbols if 0x20 < c < 0x7F}  # ASCII stays Roboto's
    assert SYMBOLS.stat().st_size < 40_000
    assert (SYMBOLS.parent / "LICENSE-DejaVu.txt").is_file()


@pytest.mark.parametrize("theme", [light_theme, dark_theme])
def test_every_text_style_falls_back_to_the_symbols_font(theme: object) -> None:
    text_theme = theme(1.5).text_theme  # type: ignore[operator]
    styles = {f.name: getattr(text_theme, f.name) for f in dataclasses.fields(text_theme)}
    assert len(styles) == 15
    for name, style in styles.items():
        assert style.font_family_fallback == [SYMBOLS_FONT], name
