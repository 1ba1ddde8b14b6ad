"""Typed routes: the one place a URL of the app is built or read.

URLs: ``/`` Home, ``/calculators``, ``/settings`` (the three sections), ``/card/<id>``,
``/calc/<id>`` and ``/changes`` ("What changed", under Settings). Item keys ("card:sins"-style,
also the keys favourites and recents are stored under) are built and split here too.

No Flet: the parsing and the tablet's list rule are plain functions, tested as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CALCULATORS", "CHANGES", "CHANGES_PATH", "HOME", "SECTIONS", "SETTINGS", "ItemKind",
    "Route", "Section", "calc_path", "card_path", "item_key", "item_path", "parse_item_key",
]

Section = Literal["/", "/calculators", "/settings"]
ItemKind = Literal["card", "calc"]
HOME: Section = "/"
CALCULATORS: Section = "/calculators"
SETTINGS: Section = "/settings"
SECTIONS: tuple[Section, ...] = (HOME, CALCULATORS, SETTINGS)
"""In the order of the navigation bar and rail."""
CHANGES = "changes"
"""Detail of the "What changed" screen."""
CHANGES_PATH = "/changes"

_ITEM = re.compile(r"/(card|calc)/([a-z0-9_]+)")


def item_key(kind: ItemKind, item_id: str) -> str:
    """Key of a card or calculator ("card:hypocalcemia", "calc:sins")."""
    return f"{kind}:{item_id}"


def parse_item_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`item_key`: (kind, id)."""
    kind, _, item_id = key.partition(":")
    return kind, item_id


def card_path(card_id: str) -> str:
    """URL of a card."""
    return f"/card/{card_id}"


def calc_path(calc_id: str) -> str:
    """URL of a calculator."""
    return f"/calc/{calc_id}"


def item_path(key: str) -> str:
    """URL of the card or calculator an item key (or a hand-off target) names."""
    kind, item_id = parse_item_key(key)
    return card_path(item_id) if kind == "card" else calc_path(item_id)


@dataclass(frozen=True)
class Route:
    """A parsed URL: the section it belongs to and the detail it opens (an item key,
    :data:`CHANGES`, or None for the section's own list).
    """

    section: Section
    detail: str | None = None

    @classmethod
    def parse(cls, url: str | None) -> Route:
        """Read a URL; anything unknown (or unsafe, like ``/card/../x``) is Home."""
        path = (url or "/").split("?", 1)[0].rstrip("/") or "/"
        m = _ITEM.fullmatch(path)
        if m:
            kind: ItemKind = "card" if m.group(1) == "card" else "calc"
            return cls(CALCULATORS if kind == "calc" else HOME, item_key(kind, m.group(2)))
        if path == CHANGES_PATH:
            return cls(SETTINGS, CHANGES)
        if path == CALCULATORS:
            return cls(CALCULATORS)
        if path == SETTINGS:
            return cls(SETTINGS)
        return cls(HOME)

    @property
    def item(self) -> tuple[str, str] | None:
        """(kind, id) when the route opens a card or calculator."""
        if self.detail is None or self.detail == CHANGES:
            return None
        return parse_item_key(self.detail)

    @property
    def path(self) -> str:
        """The URL of this route."""
        if self.detail == CHANGES:
            return CHANGES_PATH
        if self.detail is not None:
            return item_path(self.detail)
        return self.section

    def list_beside(self, shown: Section) -> Section:
        """The list a tablet shows beside this route's detail, given the list it shows now:
        opening an item keeps a list that holds it (a calculator opened from Home keeps Home);
        a section's own URL, or "What changed", shows that section's list.
        """
        item = self.item
        if item is None:
            return self.section
        if shown == HOME or (shown == CALCULATORS and item[0] == "calc"):
            return shown
        return self.section
