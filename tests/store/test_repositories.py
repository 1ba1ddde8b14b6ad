from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from mobile_app.store import (
    CorruptStoreError,
    FavouritesRepo,
    RecentsRepo,
    Settings,
    SettingsRepo,
    Store,
    validate_item_key,
)
from mobile_app.sync.state import ContentState, ContentStateRepo

BAD_KEYS = [
    "",
    "card:",
    "card",
    "hypocalcemia",
    "card:Hypocalcemia",
    "card:hypo-calcemia",
    "card:hypo calcemia",
    "note:hypocalcemia",
    "CARD:hypocalcemia",
    "card:../etc",
    "card:x\n",
    " card:x",
    "card:" + "a" * 65,
    "card:jane_doe:1970",
]


# --- keys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["card:hypocalcemia", "calc:sins", "calc:a", "card:" + "z" * 64])
def test_valid_keys_accepted(key: str) -> None:
    assert validate_item_key(key) == key


@pytest.mark.parametrize("key", [*BAD_KEYS, None, 3])
def test_invalid_keys_rejected(key: object) -> None:
    with pytest.raises(ValueError, match="Item key must be"):
        validate_item_key(key)


@pytest.mark.parametrize("key", BAD_KEYS)
def test_repos_reject_invalid_keys_and_store_nothing(store: Store, key: str) -> None:
    fav = FavouritesRepo(store)
    rec = RecentsRepo(store)
    for call in (fav.add, fav.remove, fav.toggle, fav.contains, rec.push):
        with pytest.raises(ValueError):
            call(key)
    assert fav.list() == []
    assert rec.list() == []


# --- favourites ---------------------------------------------------------------------------


def test_favourites_round_trip_in_order_added(store: Store) -> None:
    fav = FavouritesRepo(store)
    assert fav.list() == []
    fav.add("calc:sins")
    fav.add("card:hypocalcemia")
    fav.add("calc:mirels")
    fav.add("calc:sins")  # already there: keeps its place, no duplicate
    assert fav.list() == ["calc:sins", "card:hypocalcemia", "calc:mirels"]
    assert fav.contains("card:hypocalcemia")
    assert not fav.contains("card:other")
    fav.remove("card:hypocalcemia")
    fav.remove("card:never_added")  # no-op
    assert fav.list() == ["calc:sins", "calc:mirels"]
    assert not fav.contains("card:hypocalcemia")


def test_favourites_toggle_returns_new_state(store: Store) -> None:
    fav = FavouritesRepo(store)
    assert fav.toggle("calc:sins") is True
    assert fav.contains("calc:sins")
    assert fav.toggle("card:srs") is True
    assert fav.toggle("calc:sins") is False
    assert not fav.contains("calc:sins")
    assert fav.list() == ["card:srs"]
    assert fav.toggle("calc:sins") is True
    assert fav.list() == ["card:srs", "calc:sins"]  # re-added at the end


def test_list_returns_a_copy(store: Store) -> None:
    fav = FavouritesRepo(store)
    fav.add("calc:sins")
    listed = fav.list()
    listed.append("calc:mutated")
    assert fav.list() == ["calc:sins"]


# --- recents ------------------------------------------------------------------------------


def test_recents_most_recent_first_dedupe_and_limit(store: Store) -> None:
    rec = RecentsRepo(store, limit=3)
    assert rec.list() == []
    rec.push("calc:a")
    rec.push("calc:b")
    rec.push("card:c")
    assert rec.list() == ["card:c", "calc:b", "calc:a"]
    rec.push("calc:a")  # moves to the front, not duplicated
    assert rec.list() == ["calc:a", "card:c", "calc:b"]
    rec.push("card:d")  # oldest (calc:b) falls off
    assert rec.list() == ["card:d", "calc:a", "card:c"]
    rec.push("card:d")  # already first: unchanged
    assert rec.list() == ["card:d", "calc:a", "card:c"]
    rec.clear()
    assert rec.list() == []


def test_recents_default_limit_is_8(store: Store) -> None:
    rec = RecentsRepo(store)
    assert rec.limit == 8
    for i in range(20):
        rec.push(f"card:c{i}")
    assert rec.list() == [f"card:c{i}" for i in range(19, 11, -1)]


def test_recents_smaller_limit_applies_to_stored_list(store: Store) -> None:
    RecentsRepo(store, limit=8).push("card:a")
    RecentsRepo(store, limit=8).push("card:b")
    RecentsRepo(store, limit=8).push("card:c")
    assert RecentsRepo(store, limit=2).list() == ["card:c", "card:b"]


@pytest.mark.parametrize("limit", [0, -1, True, 2.5])
def test_recents_rejects_bad_limit(store: Store, limit: object) -> None:
    with pytest.raises(ValueError, match="limit"):
        RecentsRepo(store, limit=limit)  # type: ignore[arg-type]


def test_favourites_and_recents_are_independent(store: Store) -> None:
    FavouritesRepo(store).add("calc:sins")
    RecentsRepo(store).push("card:hypocalcemia")
    assert FavouritesRepo(store).list() == ["calc:sins"]
    assert RecentsRepo(store).list() == ["card:hypocalcemia"]


# --- settings -----------------------------------------------------------------------------


def test_settings_defaults_when_nothing_saved(store: Store) -> None:
    assert SettingsRepo(store).get() == Settings(
        theme="system", text_scale=1.0, units="conventional"
    )


def test_settings_round_trip(store: Store) -> None:
    repo = SettingsRepo(store)
    wanted = Settings(theme="dark", text_scale=1.5, units="si")
    repo.save(wanted)
    assert repo.get() == wanted
    repo.save(Settings(theme="light"))
    assert repo.get() == Settings(theme="light", text_scale=1.0, units="conventional")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text_scale": 3.0},
        {"text_scale": 0.5},
        {"theme": "blue"},
        {"units": "imperial"},
        {"patient_name": "Jane Doe"},  # extra=forbid: nothing but settings can be stored
    ],
)
def test_settings_validation_on_construction(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings.model_validate(kwargs)


def test_text_scale_3_rejected_on_construction() -> None:
    with pytest.raises(ValidationError, match="text_scale"):
        Settings(text_scale=3.0)


def test_settings_boundaries_accepted() -> None:
    assert Settings(text_scale=0.8).text_scale == 0.8
    assert Settings(text_scale=2.0).text_scale == 2.0


def test_settings_are_frozen() -> None:
    s = Settings()
    with pytest.raises(ValidationError):
        s.theme = "dark"  # type: ignore[misc]


def test_invalid_stored_settings_fall_back_to_defaults_with_warning(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.table("settings").insert({"theme": "neon", "text_scale": 9})
    with caplog.at_level(logging.WARNING, logger="mobile_app.store.repositories"):
        assert SettingsRepo(store).get() == Settings()
    assert any("Saved settings are invalid" in r.getMessage() for r in caplog.records)
    # Saving replaces the bad document completely (no stale fields left behind).
    SettingsRepo(store).save(Settings(units="si"))
    assert SettingsRepo(store).get() == Settings(units="si")
    assert store.table("settings").all() == [{"theme": "system", "text_scale": 1.0, "units": "si"}]


def test_settings_save_rejects_non_settings(store: Store) -> None:
    with pytest.raises(TypeError):
        SettingsRepo(store).save({"theme": "dark"})  # type: ignore[arg-type]


# --- content state ------------------------------------------------------------------------


def test_content_state_defaults(store: Store) -> None:
    assert ContentStateRepo(store).get() == ContentState(
        current=None, previous=None, highest_seen=0, source="bundled", updated_at=None,
        trust=None,
    )


def test_content_state_round_trip(store: Store) -> None:
    repo = ContentStateRepo(store)
    state = ContentState(
        current=42,
        previous=41,
        highest_seen=42,
        source="https://kb.example.org/packs",
        updated_at="2025-03-01T12:00:00+00:00",
    )
    repo.set(state)
    assert repo.get() == state
    newer = state.model_copy(update={"current": 43, "previous": 42, "highest_seen": 43})
    repo.set(newer)
    assert repo.get() == newer


@pytest.mark.parametrize(
    "kwargs",
    [{"updated_at": "yesterday"}, {"highest_seen": -1}, {"current": -3}],
)
def test_content_state_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ContentState.model_validate(kwargs)


def test_invalid_stored_content_state_raises_not_defaults(store: Store) -> None:
    # Defaults would reset highest_seen to 0 and re-open rollbacks, so this must be loud.
    store.table("content_state").insert({"highest_seen": "lots"})
    with pytest.raises(CorruptStoreError, match="content state"):
        ContentStateRepo(store).get()


# --- persistence (file store only) --------------------------------------------------------


def test_everything_persists_across_close_and_reopen(db_path: Path) -> None:
    settings = Settings(theme="dark", text_scale=1.25, units="si")
    state = ContentState(current=7, highest_seen=7, updated_at="2025-01-02T03:04:05Z")
    with Store.open(db_path) as s:
        fav = FavouritesRepo(s)
        fav.add("calc:sins")
        fav.add("card:hypocalcemia")
        fav.toggle("calc:mirels")
        rec = RecentsRepo(s)
        rec.push("card:a")
        rec.push("card:b")
        SettingsRepo(s).save(settings)
        ContentStateRepo(s).set(state)

    with Store.open(db_path) as s:
        assert s.recovered_from is None
        assert FavouritesRepo(s).list() == ["calc:sins", "card:hypocalcemia", "calc:mirels"]
        assert RecentsRepo(s).list() == ["card:b", "card:a"]
        assert SettingsRepo(s).get() == settings
        assert ContentStateRepo(s).get() == state


def test_file_holds_only_item_keys_settings_and_state(db_path: Path) -> None:
    with Store.open(db_path) as s:
        FavouritesRepo(s).add("calc:sins")
        RecentsRepo(s).push("card:hypocalcemia")
        SettingsRepo(s).save(Settings())
        ContentStateRepo(s).set(ContentState())
    data = json.loads(db_path.read_text(encoding="utf-8"))
    assert data == {
        "content_state": {
            "1": {
                "current": None,
                "highest_seen": 0,
                "previous": None,
                "source": "bundled",
                "trust": None,
                "updated_at": None,
            }
        },
        "favourites": {"1": {"keys": ["calc:sins"]}},
        "recents": {"1": {"keys": ["card:hypocalcemia"]}},
        "settings": {"1": {"text_scale": 1.0, "theme": "system", "units": "conventional"}},
    }


def test_tampered_key_lists_are_filtered_with_warning(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.table("favourites").insert({"keys": ["calc:sins", "Jane Doe", "calc:sins", 7, "card:ok"]})
    store.table("recents").insert({"keys": "not a list"})
    with caplog.at_level(logging.WARNING, logger="mobile_app.store.repositories"):
        assert FavouritesRepo(store).list() == ["calc:sins", "card:ok"]
        assert RecentsRepo(store).list() == []
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "'Jane Doe'" in messages
    assert "malformed recents" in messages
