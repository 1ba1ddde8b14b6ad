"""Card change notes: schema rules, and that the CLI/copy text shows them."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from mobile_app.knowledge.loader import (
    MANIFEST,
    KBValidationError,
    KnowledgeBase,
    build_manifest,
    load_files,
    read_bundled_files,
)
from mobile_app.knowledge.models import Card
from mobile_app.knowledge.text import card_text, change_note_lines


def _card(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(read_bundled_files()["cards/pain_ladder.json"])
    raw.update(overrides)
    return raw


def _resign(files: dict[str, bytes]) -> dict[str, bytes]:
    old = json.loads(files[MANIFEST])
    man = build_manifest(files, version=old["version"], issued=old["issued"])
    return {**files, MANIFEST: man.model_dump_json().encode()}


def test_change_note_is_grouped_newest_first_and_rendered_in_card_text(
    kb: KnowledgeBase,
) -> None:
    card = Card.model_validate(_card(version=3, changes=[
        {"version": 3, "date": "2026-12-02", "text": "Opioid doses removed; see local policy."},
        {"version": 3, "date": "2026-12-02", "text": "WHO ladder reference added (1996)."},
        {"version": 2, "date": "2026-11-30", "text": "Breakthrough pain line reworded."},
    ]))
    assert [(v, d) for v, d, _ in card.change_log] == [
        (3, date(2026, 12, 2)), (2, date(2026, 11, 30))]
    assert change_note_lines(card) == [
        "Revision 3 (2026-12-02):",
        "  - Opioid doses removed; see local policy.",
        "  - WHO ladder reference added (1996).",
        "Revision 2 (2026-11-30):",
        "  - Breakthrough pain line reworded.",
    ]
    text = card_text(card, kb)
    changes_at = text.index("Changes:")
    assert text.index("Sources:") < changes_at < text.index("card revision 3")
    assert "    - WHO ladder reference added (1996)." in text[changes_at:]


def test_card_without_changes_renders_no_change_section(kb: KnowledgeBase) -> None:
    card = Card.model_validate(_card(version=1, changes=[]))
    assert change_note_lines(card) == []
    assert "Changes:" not in card_text(card, kb)


@pytest.mark.parametrize(("changes", "message"), [
    ([{"version": 2, "date": "2026-12-02", "text": "Dose table corrected to the label."}],
     "newest change is for version 2, but the card is version 3"),
    ([{"version": 3, "date": "2026-12-02", "text": "Dose table corrected to the label."},
      {"version": 4, "date": "2026-11-01", "text": "An older line listed as newer."}],
     "changes must be newest first"),
    ([{"version": 3, "date": "2026-11-01", "text": "Dose table corrected to the label."},
      {"version": 2, "date": "2026-12-02", "text": "An older revision with a later date."}],
     "changes must be newest first"),
])
def test_change_note_order_and_version_are_validated(
    changes: list[dict[str, Any]], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Card.model_validate(_card(version=3, changes=changes))


def test_loader_rejects_a_card_whose_change_note_lags_its_version() -> None:
    files = dict(read_bundled_files())
    raw = _card(version=7, changes=[
        {"version": 6, "date": "2026-12-02", "text": "Forgot to add the line for revision 7."}])
    files["cards/pain_ladder.json"] = json.dumps(raw).encode()
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    assert any("pain_ladder.json" in p and "newest change is for version 6" in p
               for p in exc.value.problems)


def test_every_revised_bundled_card_explains_its_revision(kb: KnowledgeBase) -> None:
    for card in kb.cards.values():
        if card.version > 1:
            assert card.changes and card.changes[0].version == card.version, card.id
            assert card.changes[0].date <= card.last_reviewed, card.id
