"""Checks that every text on screen is readable: no word broken letter by letter, nothing
running off the screen. Flutter builds semantics only for what is in view, so the page is
scrolled through and every position is checked (and photographed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from tests.e2e.conftest import shot

_LEAF_TEXTS = """() => {
  const out = [];
  const host = document.querySelector('flt-semantics-host') || document.body;
  const walker = document.createTreeWalker(host, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walker.nextNode())) {
    const text = n.textContent.trim();
    if (!text) continue;
    const r = n.parentElement.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    out.push({text, x: r.x, y: r.y, w: r.width, h: r.height});
  }
  return out;
}"""

MIN_PX_PER_CHAR_AT_100 = 4.5
"""A generous lower bound for the width of one character at 100 % text (Roboto at 14 px is
about 7 px per character): a node narrower than its longest word at this rate has broken
that word across lines."""


def problems_in_view(page: Page, scale: float) -> list[str]:
    """Texts in view that break a word or run off the screen (one line each)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    out: list[str] = []
    nodes: list[dict[str, Any]] = page.evaluate(_LEAF_TEXTS)
    for n in nodes:
        longest = max((len(w) for w in n["text"].split()), default=0)
        if longest >= 4 and n["w"] < longest * MIN_PX_PER_CHAR_AT_100 * scale:
            out.append(f"word broken: {n['text'][:50]!r} is {n['w']:.0f}px wide")
        if n["x"] < -1 or n["x"] + n["w"] > width + 1:
            out.append(f"off screen: {n['text'][:50]!r} spans {n['x']:.0f}–"
                       f"{n['x'] + n['w']:.0f}px of {width}px")
    return out


def scroll_through(page: Page, scale: float, name: str, x: int, y: int,
                   max_steps: int = 24) -> tuple[list[str], list[Path]]:
    """Scroll the list under (x, y) from top to bottom, collecting problems and screenshots
    (it stops when a scroll no longer changes the picture: the end of the list).
    """
    problems: list[str] = []
    shots: list[Path] = []
    previous = b""
    for step in range(max_steps):
        problems += [p for p in problems_in_view(page, scale) if p not in problems]
        path = shot(page, f"{name}_{step}")
        picture = path.read_bytes()
        if picture == previous:
            path.unlink()
            break
        shots.append(path)
        previous = picture
        page.mouse.move(x, y)
        page.mouse.wheel(0, 500)
        page.wait_for_timeout(700)
    return problems, shots
