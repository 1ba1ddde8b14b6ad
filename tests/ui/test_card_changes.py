"""The card view shows the card's change note (pure builder, no page needed)."""

from __future__ import annotations

import json

import flet as ft

from mobile_app.knowledge.loader import read_bundled_files
from mobile_app.knowledge.models import Card
from mobile_app.ui.views.card import change_notes_block


def test_change_notes_block_lists_every_line_and_is_absent_without_changes() -> None:
    raw = json.loads(read_bundled_files()["cards/pain_ladder.json"])
    raw.update(version=2, changes=[
        {"version": 2, "date": "2026-12-02", "text": "Warning now cites the WHO ladder."}])
    block = change_notes_block(Card.model_validate(raw))
    assert isinstance(block, ft.ExpansionTile)
    assert block.key == "card-change-notes"
    assert isinstance(block.title, ft.Text) and block.title.value == "Changes in revision 2"
    body = block.controls[0]
    assert isinstance(body, ft.Container) and isinstance(body.content, ft.Column)
    texts = [c.value for c in body.content.controls if isinstance(c, ft.Text)]
    assert texts == ["Revision 2 (2026-12-02):", "  - Warning now cites the WHO ladder."]
    raw.update(version=1, changes=[])
    assert change_notes_block(Card.model_validate(raw)) is None
