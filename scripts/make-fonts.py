"""Regenerate assets/fonts/BoneMetsSymbols.ttf: every non-ASCII glyph the app's text needs
(some of which Roboto, Flutter's default font as Flet ships it, lacks), cut from DejaVu Sans.

Flutter web draws every glyph missing from the registered fonts with a Noto font that it
downloads from ``fontFallbackBaseUrl`` (``assets/fonts/`` in a no-CDN build, where nothing is
there: empty boxes, and dozens of failed requests per session, offline too). The theme lists
this font as the fallback of every text style (``mobile_app/ui/theme.py``), so nothing is ever
downloaded. It covers the non-ASCII characters of the bundled knowledge base and of the UI
strings (also those Roboto has: the PWA's CanvasKit renderer otherwise still asks for a Noto
font for Greek letters and some signs), plus the arrows, super-/subscript digits and check
marks that clinical text uses (so a signed content update using them renders too).

Source: DejaVu Sans from Debian's ``fonts-dejavu-core`` (Bitstream Vera licence with DejaVu's
public-domain changes: redistribution and modification allowed; see
``assets/fonts/LICENSE-DejaVu.txt``). Needs fontTools (a dev dependency).

Usage: .venv/bin/python scripts/make-fonts.py [--dejavu PATH/TO/DejaVuSans.ttf]
tests/ui/test_fonts.py fails when content or UI text needs a glyph that neither font has.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "assets" / "fonts" / "BoneMetsSymbols.ttf"
LICENCE = ROOT / "assets" / "fonts" / "LICENSE-DejaVu.txt"
DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
DEJAVU_COPYRIGHT = Path("/usr/share/doc/fonts-dejavu-core/copyright")
#: Symbols of clinical text beyond what the content uses today.
CLINICAL = "←↑→↓↔⇒⇔≤≥≈≠±−×÷°µ⁰¹²³⁴⁵⁶⁷⁸⁹₀₁₂₃₄₅₆₇₈₉‰√∞∆✓✗"


def _strings(obj: object) -> list[str]:
    if isinstance(obj, str):
        return [obj]
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return []


def text_characters() -> set[str]:
    """Every character of the bundled knowledge base and of the UI's string literals."""
    chars: set[str] = set()
    for path in (ROOT / "mobile_app" / "knowledge" / "data").rglob("*.json"):
        chars.update("".join(_strings(json.loads(path.read_text("utf-8")))))
    for path in [ROOT / "mobile_app" / "app.py", *(ROOT / "mobile_app" / "ui").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                chars.update(node.value)
    return {c for c in chars if c.isprintable() and not c.isspace()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dejavu", type=Path, default=DEJAVU)
    args = parser.parse_args()
    dejavu = TTFont(args.dejavu).getBestCmap()
    # Every non-ASCII character, also those Roboto has: Flutter's CanvasKit renderer (the
    # PWA's) still asks for a Noto fallback font for some of them (Greek letters, ≥),
    # unless a font of the style's fallback list covers them.
    wanted = sorted(c for c in text_characters() | set(CLINICAL) if ord(c) > 0x7F)
    missing = [c for c in wanted if ord(c) not in dejavu]
    if missing:
        raise SystemExit(f"DejaVu Sans lacks {missing!r} as well: choose another source font")
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = TTFont(args.dejavu)
    sub = subset.Subsetter(options)
    sub.populate(unicodes=[ord(c) for c in wanted])
    sub.subset(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    if DEJAVU_COPYRIGHT.exists():
        shutil.copyfile(DEJAVU_COPYRIGHT, LICENCE)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {''.join(wanted)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
