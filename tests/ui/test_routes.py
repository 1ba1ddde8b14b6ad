"""Typed routes: every URL the app builds parses back to the same route, unknown or unsafe
URLs are Home, and the tablet keeps the list an item was opened from."""

from __future__ import annotations

import pytest

from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.ui.routes import (
    CALCULATORS,
    CHANGES,
    CHANGES_PATH,
    HOME,
    SETTINGS,
    Route,
    Section,
    calc_path,
    card_path,
    item_key,
    item_path,
    parse_item_key,
)


@pytest.mark.parametrize(("url", "section", "detail"), [
    ("/", HOME, None), ("", HOME, None), (None, HOME, None),
    ("/card/hypocalcemia", HOME, "card:hypocalcemia"),
    ("/calc/sins", CALCULATORS, "calc:sins"), ("/calc/sins?x=1", CALCULATORS, "calc:sins"),
    ("/settings", SETTINGS, None), ("/calculators/", CALCULATORS, None),
    ("/changes", SETTINGS, CHANGES), ("/nonsense", HOME, None),
    ("/card/../../etc", HOME, None), ("/card/Hypo", HOME, None), ("/calc/", HOME, None),
], ids=lambda v: repr(v))
def test_parse(url: str | None, section: Section, detail: str | None) -> None:
    assert Route.parse(url) == Route(section, detail)


def test_every_item_url_round_trips(kb: KnowledgeBase) -> None:
    for card_id in kb.cards:
        r = Route.parse(card_path(card_id))
        assert (r.section, r.item, r.path) == (HOME, ("card", card_id), card_path(card_id))
    for calc_id in kb.calculators:
        r = Route.parse(calc_path(calc_id))
        assert (r.section, r.item, r.path) == (CALCULATORS, ("calc", calc_id),
                                               calc_path(calc_id))
        assert item_path(item_key("calc", calc_id)) == calc_path(calc_id)
    for section in (HOME, CALCULATORS, SETTINGS):
        assert Route.parse(section).path == section
    assert Route.parse(CHANGES_PATH).path == CHANGES_PATH
    assert Route.parse(CHANGES_PATH).item is None
    assert parse_item_key(item_key("card", "x")) == ("card", "x")


@pytest.mark.parametrize(("shown", "url", "beside"), [
    (HOME, "/calc/sins", HOME),                 # a calculator opened from Home keeps Home
    (CALCULATORS, "/calc/sins", CALCULATORS),
    (CALCULATORS, "/card/hypocalcemia", HOME),  # a card is not in the calculators list
    (SETTINGS, "/calc/sins", CALCULATORS),      # nor in Settings
    (SETTINGS, "/card/hypocalcemia", HOME),
    (HOME, "/settings", SETTINGS),              # a section's own URL shows its list
    (CALCULATORS, "/", HOME),
    (HOME, "/changes", SETTINGS),
])
def test_tablet_list_beside(shown: Section, url: str, beside: Section) -> None:
    assert Route.parse(url).list_beside(shown) == beside
