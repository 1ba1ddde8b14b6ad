"""The installed-content store: re-verification at load, fallbacks, pointer, garbage collection."""

from __future__ import annotations

import json
from datetime import date

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mobile_app.knowledge.loader import MANIFEST, build_manifest, load_files
from mobile_app.sync import content as content_mod
from mobile_app.sync.content import ContentStore
from mobile_app.sync.envelope import TrustedKeys
from mobile_app.sync.errors import RollbackError
from mobile_app.sync.publish import public_key_bytes
from tests.sync.conftest import (
    BOLUS,
    DEXA,
    Env,
    base_files,
    dose_amount,
    set_dose,
    v3_files,
)


def _to_v3(env: Env) -> None:
    env.publish(v3_files(), version=3, notes={"hypocalcemia": "Bolus 20 mL."})
    assert env.sync().state == "installed"


def test_fresh_data_dir_serves_bundled(env: Env) -> None:
    loaded = env.content.load()
    assert (loaded.source, loaded.version, loaded.problems) == ("bundled", 1, [])
    assert loaded.manifest is None and loaded.changes == {}
    assert not env.content.content_dir.exists()  # loading never writes


def test_current_then_previous_then_bundled(at_v2: Env) -> None:
    _to_v3(at_v2)
    store = at_v2.content
    assert store.read_state().model_dump(exclude={"updated_at"}) == {
        "current": 3, "previous": 2, "highest_seen": 3, "source": at_v2.server.url,
        "trust": at_v2.keys.manifest_trust(),
    }
    # current truncated (not even JSON) -> previous
    store.slot_path(3).write_bytes(store.slot_path(3).read_bytes()[:100])
    loaded = store.load()
    assert (loaded.source, loaded.version) == ("previous", 2)
    assert dose_amount(loaded, "hypocalcemia", BOLUS) == "10–20"
    assert any("kb-3.json is corrupt" in p for p in loaded.problems)
    # previous has one flipped byte inside a document -> sha256 mismatch -> bundled
    raw = bytearray(store.slot_path(2).read_bytes())
    raw[raw.index(b"Dexamethasone")] ^= 0x20
    store.slot_path(2).write_bytes(bytes(raw))
    loaded = store.load()
    assert (loaded.source, loaded.version) == ("bundled", 1)
    assert len(loaded.problems) == 2
    assert any("previous version 2" in p and "sha256" in p for p in loaded.problems)


def test_missing_slot_file_falls_back(at_v2: Env) -> None:
    _to_v3(at_v2)
    at_v2.content.slot_path(3).unlink()
    loaded = at_v2.content.load()
    assert (loaded.source, loaded.version) == ("previous", 2)
    assert any("missing" in p for p in loaded.problems)


def test_slot_swapped_for_another_version_is_detected(at_v2: Env) -> None:
    _to_v3(at_v2)
    store = at_v2.content
    store.slot_path(3).write_bytes(store.slot_path(2).read_bytes())  # kb-3 now holds v2
    loaded = store.load()
    assert (loaded.source, loaded.version) == ("previous", 2)
    assert any("holds version 2, not 3" in p for p in loaded.problems)


def test_installed_content_signed_by_a_key_no_longer_trusted_is_not_served(at_v2: Env) -> None:
    other = TrustedKeys.from_public_keys([public_key_bytes(Ed25519PrivateKey.generate())])
    loaded = ContentStore(at_v2.data, other).load()
    assert loaded.source == "bundled"
    assert any("signature" in p for p in loaded.problems)


def test_document_added_to_a_slot_is_detected(at_v2: Env) -> None:
    store = at_v2.content
    doc = json.loads(store.slot_path(2).read_text())
    doc["kb"]["1"]["documents"]["cards/evil.json"] = "{}"
    store.slot_path(2).write_text(json.dumps(doc))
    loaded = store.load()
    assert loaded.source == "bundled"
    assert any("cards/evil.json" in p for p in loaded.problems)


def test_corrupt_pointer_falls_back_to_bundled_and_keeps_the_rollback_floor(at_v2: Env) -> None:
    _to_v3(at_v2)
    store = at_v2.content
    store.state_path.write_text("{not json")
    loaded = store.load()
    assert (loaded.source, loaded.version) == ("bundled", 1)
    assert any("content pointer" in p and "corrupt" in p for p in loaded.problems)
    # highest_seen is lost with the pointer; the verified slots on disk stand in for it
    assert store.rollback_floor(loaded).version == 3
    v3_manifest = (at_v2.out / "manifest.json").read_bytes()
    (at_v2.out / "manifest.json").write_bytes((at_v2.out / "manifests" / "2.json").read_bytes())
    assert isinstance(at_v2.sync().error, RollbackError)
    # a valid update repairs the pointer (the corrupt file is moved aside, not deleted)
    (at_v2.out / "manifest.json").write_bytes(v3_manifest)
    assert at_v2.sync().state == "installed"
    assert store.load().source == "installed"
    assert store.read_state().highest_seen == 3
    assert list(store.content_dir.glob("state.json.corrupt-*"))


def test_invalid_pointer_document_is_reported_not_reset(at_v2: Env) -> None:
    store = at_v2.content
    doc = json.loads(store.state_path.read_text())
    doc["content_state"]["1"]["highest_seen"] = -5
    store.state_path.write_text(json.dumps(doc))
    loaded = store.load()
    assert loaded.source == "bundled"
    assert any("content pointer" in p for p in loaded.problems)
    assert store.rollback_floor(loaded).version == 2


def test_garbage_collection_keeps_only_current_and_previous(at_v2: Env) -> None:
    _to_v3(at_v2)
    v4 = set_dose(v3_files(), DEXA, "Dexamethasone", "12")
    at_v2.publish(v4, version=4, notes={"dexamethasone": "12 mg"})
    stale = at_v2.content.content_dir / ".kb-9.json.tmp-abc.part"
    stale.write_text("half")
    assert at_v2.sync().state == "installed"
    names = sorted(p.name for p in at_v2.content.content_dir.iterdir())
    assert names == ["kb-3.json", "kb-4.json", "state.json", "validators.json"]
    assert at_v2.content.read_state().model_dump(include={"current", "previous"}) == {
        "current": 4, "previous": 3,
    }


def test_previous_slot_is_what_was_served(at_v2: Env) -> None:
    """If the current slot was corrupt and the previous one served, that one stays the fallback."""
    _to_v3(at_v2)
    at_v2.content.slot_path(3).write_text("{")
    assert at_v2.content.load().version == 2
    v4 = set_dose(v3_files(), DEXA, "Dexamethasone", "12")
    at_v2.publish(v4, version=4, notes={"dexamethasone": "12 mg"})
    assert at_v2.sync().state == "installed"
    state = at_v2.content.read_state()
    assert (state.current, state.previous, state.highest_seen) == (4, 2, 4)
    assert sorted(p.name for p in at_v2.content.content_dir.glob("kb-*.json")) == [
        "kb-2.json", "kb-4.json",
    ]



def test_newer_bundled_content_wins_over_an_older_installed_pack(
    at_v2: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an app upgrade that ships content v5, an installed v2 pack is not shown."""
    files = base_files()
    files[MANIFEST] = build_manifest(files, version=5, issued=date(2026, 12, 1)).model_dump_json(
    ).encode()
    newer = load_files(files)
    monkeypatch.setattr(content_mod, "load_bundled", lambda: newer)
    monkeypatch.setattr(content_mod, "read_bundled_files", lambda: dict(files))
    loaded = at_v2.content.load()
    assert (loaded.source, loaded.version) == ("bundled", 5)
    assert "newer than the installed version 2" in loaded.verification
    assert at_v2.content.rollback_floor(loaded).version == 5
