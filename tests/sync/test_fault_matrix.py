"""The 22 cases of the fault matrix (sync-design §5.3) against a real HTTP server on 127.0.0.1.

Every failure case asserts that the installed version and every document's bytes are exactly
what they were before the sync (``installed()`` re-loads and re-verifies from disk).
"""

from __future__ import annotations

import base64
import errno
import json
import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.client import MANIFEST_MAX_BYTES
from mobile_app.sync.content import ContentStore, sha256_hex
from mobile_app.sync.envelope import keyid_for
from mobile_app.sync.errors import (
    ContentInvalidError,
    DownloadTimeoutError,
    EqualVersionConflictError,
    FreezeError,
    HashMismatchError,
    HTTPStatusError,
    NetworkError,
    PayloadTypeError,
    RollbackError,
    SignatureError,
    TooLargeError,
    TruncatedError,
)
from mobile_app.sync.publish import public_key_bytes
from tests.sync.conftest import (
    BOLUS,
    DEXA,
    HYPO,
    Env,
    base_files,
    body,
    dose_amount,
    edit_card,
    endless,
    free_port,
    installed,
    set_dose,
    stall,
    status,
    truncated,
    v3_files,
)

ROOT = Path(__file__).resolve().parents[2]


def _publish_v3(env: Env) -> dict[str, bytes]:
    files = v3_files()
    env.publish(files, version=3, notes={"hypocalcemia": "Bolus now 20 mL."})
    return files


# 1 -------------------------------------------------------------------------------------------


def test_01_first_sync_installs_and_every_card_is_readable(env: Env) -> None:
    assert installed(env.content)[0] == 1  # bundled
    env.publish(version=2)
    result = env.sync()
    assert result.state == "installed"
    assert result.message == "installed version 2"
    loaded = env.content.load()
    assert (loaded.version, loaded.source, loaded.problems) == (2, "installed", [])
    files = base_files()
    assert loaded.digests == {p: sha256_hex(d) for p, d in files.items()}
    assert set(loaded.kb.cards) == {Path(p).stem for p in files if p.startswith("cards/")}
    assert all(card.sections for card in loaded.kb.cards.values())
    # every document was already on the device (bundled): only the manifest was fetched, and
    # the next root probed (none: the host has no key rotation)
    assert env.server.hits == ["/manifest.json", "/root/2.json"]
    assert result.requests == 2


# 2 -------------------------------------------------------------------------------------------


def test_02_no_change_is_up_to_date_with_only_the_manifest_fetched(at_v2: Env) -> None:
    before = installed(at_v2.content)
    result = at_v2.sync()
    assert result.state == "up_to_date"
    assert result.message == "up to date (version 2)"
    # one conditional request, answered 304: nothing else, not even a byte of body
    assert at_v2.server.hits == ["/manifest.json"]
    assert at_v2.server.not_modified == 1
    assert (result.requests, result.bytes_downloaded, result.not_modified) == (1, 0, True)
    assert installed(at_v2.content) == before
    # without validators on the host it is one full manifest (and the root probe)
    at_v2.server.etags = False
    full = at_v2.sync()
    assert full.state == "up_to_date" and not full.not_modified
    assert at_v2.server.hits == ["/manifest.json", "/root/2.json"]
    assert full.bytes_downloaded == (at_v2.out / MANIFEST).stat().st_size


# 3 -------------------------------------------------------------------------------------------


def test_03_delta_fetches_exactly_the_changed_document(at_v2: Env) -> None:
    files = _publish_v3(at_v2)
    result = at_v2.sync()
    assert result.state == "installed", result.message
    assert at_v2.server.hits == ["/manifest.json", "/root/2.json", at_v2.doc_path(files[HYPO])]
    assert result.requests == 3
    loaded = at_v2.content.load()
    assert loaded.version == 3
    assert dose_amount(loaded, "hypocalcemia", BOLUS) == "20"
    assert [(c.id, c.kind, c.note) for c in result.changes] == [
        ("hypocalcemia", "changed", "Bolus now 20 mL.")
    ]
    assert loaded.changes == {"hypocalcemia": "Bolus now 20 mL."}


# 4 -------------------------------------------------------------------------------------------


def test_04_tampered_manifest_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)
    _publish_v3(at_v2)
    env_doc = json.loads((at_v2.out / MANIFEST).read_bytes())
    payload = base64.b64decode(env_doc["payload"])
    tampered = payload.replace(b'"version":3', b'"version":9')
    assert tampered != payload
    env_doc["payload"] = base64.b64encode(tampered).decode()
    (at_v2.out / MANIFEST).write_text(json.dumps(env_doc))
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, SignatureError)
    assert result.message.startswith("Update rejected:")
    assert installed(at_v2.content) == before
    assert at_v2.server.doc_hits() == []


# 5 -------------------------------------------------------------------------------------------


def test_05_manifest_signed_by_unknown_key_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)
    at_v2.publish_raw(v3_files(), 3, key=Ed25519PrivateKey.generate())  # attacker's own keyid
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, SignatureError)
    assert installed(at_v2.content) == before
    assert at_v2.server.doc_hits() == []


# 6 -------------------------------------------------------------------------------------------


def test_06_type_confusion_is_rejected(at_v2: Env) -> None:
    """A valid signature by OUR key, but over another payload type."""
    before = installed(at_v2.content)
    at_v2.publish_raw(v3_files(), 3, payload_type="application/vnd.bonemets.other+json")
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, PayloadTypeError)
    assert installed(at_v2.content) == before

    # The same signature relabelled with our payload type does not verify either.
    doc = json.loads((at_v2.out / MANIFEST).read_bytes())
    doc["payloadType"] = "application/vnd.bonemets.kb-manifest+json;v=1"
    (at_v2.out / MANIFEST).write_text(json.dumps(doc))
    result = at_v2.sync()
    assert isinstance(result.error, SignatureError)
    assert not isinstance(result.error, PayloadTypeError)
    assert installed(at_v2.content) == before


# 7 -------------------------------------------------------------------------------------------


def test_07_rollback_to_an_older_validly_signed_manifest_is_refused(at_v2: Env) -> None:
    _publish_v3(at_v2)
    assert at_v2.sync().state == "installed"
    before = installed(at_v2.content)
    assert before[0] == 3
    # replay the old, validly signed v2 manifest
    (at_v2.out / MANIFEST).write_bytes((at_v2.out / "manifests" / "2.json").read_bytes())
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, RollbackError)
    assert result.message == "Update rejected: pack version 2 is older than installed 3."
    assert installed(at_v2.content) == before


# 8 -------------------------------------------------------------------------------------------


def test_08_expired_manifest_is_refused_and_installed_content_kept(at_v2: Env) -> None:
    before = installed(at_v2.content)
    past = datetime.now(UTC) - timedelta(days=40)
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"}, now=lambda: past)
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, FreezeError)
    assert "expired" in result.message
    assert at_v2.server.doc_hits() == []
    assert installed(at_v2.content) == before
    loaded = at_v2.content.load()
    assert (loaded.version, loaded.source) == (2, "installed")


# 9 -------------------------------------------------------------------------------------------


def test_09_wrong_hash_same_length_installs_nothing(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = set_dose(v3_files(), DEXA, "Dexamethasone", "12")  # two changed cards
    at_v2.publish(files, version=3, notes={"hypocalcemia": "a", "dexamethasone": "b"})
    good = files[HYPO]
    swapped = good.replace(b'"20"', b'"30"')
    assert len(swapped) == len(good) and swapped != good
    at_v2.server.faults[at_v2.doc_path(good)] = body(swapped)
    result = at_v2.sync(concurrency=1)
    assert result.state == "rejected"
    assert isinstance(result.error, HashMismatchError)
    assert installed(at_v2.content) == before  # the other changed card was not applied
    assert not (at_v2.content.content_dir / "kb-3.json").exists()


# 10 ------------------------------------------------------------------------------------------


def test_10_truncated_download_fails_cleanly(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = _publish_v3(at_v2)
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = truncated(files[HYPO], 10)
    result = at_v2.sync()
    assert result.state == "error"
    assert isinstance(result.error, TruncatedError)
    assert installed(at_v2.content) == before


# 11 ------------------------------------------------------------------------------------------


def test_11_endless_document_is_aborted_at_its_signed_length(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = _publish_v3(at_v2)
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = endless()
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, TooLargeError)
    assert result.error.limit == len(files[HYPO])
    assert installed(at_v2.content) == before


# 12 ------------------------------------------------------------------------------------------


def test_12_endless_manifest_is_aborted_at_the_manifest_cap(at_v2: Env) -> None:
    before = installed(at_v2.content)
    at_v2.server.faults["/manifest.json"] = endless()
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, TooLargeError)
    assert result.error.limit == MANIFEST_MAX_BYTES == 256 * 1024
    assert installed(at_v2.content) == before


# 13 ------------------------------------------------------------------------------------------


def test_13_server_500_then_recovery(at_v2: Env) -> None:
    before = installed(at_v2.content)
    _publish_v3(at_v2)
    at_v2.server.faults["/manifest.json"] = status(500)
    result = at_v2.sync()
    assert result.state == "error"
    assert isinstance(result.error, HTTPStatusError) and result.error.status == 500
    assert "Still using version 2" in result.message
    assert installed(at_v2.content) == before
    del at_v2.server.faults["/manifest.json"]
    retry = at_v2.sync()
    assert retry.state == "installed"
    assert installed(at_v2.content)[0] == 3


# 14 ------------------------------------------------------------------------------------------


def test_14_missing_document_404(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = _publish_v3(at_v2)
    (at_v2.out / at_v2.doc_path(files[HYPO]).lstrip("/")).unlink()
    result = at_v2.sync()
    assert result.state == "error"
    assert isinstance(result.error, HTTPStatusError) and result.error.status == 404
    assert installed(at_v2.content) == before


# 15 ------------------------------------------------------------------------------------------


def test_15_slow_server_times_out_within_the_deadline(at_v2: Env) -> None:
    """The stalled answer would arrive (as ``{}``, a signature error) after 5 s; a timeout
    error proves the 0.5 s request deadline fired first (no wall-clock assertion)."""
    before = installed(at_v2.content)
    _publish_v3(at_v2)
    at_v2.server.faults["/manifest.json"] = stall(5.0)
    result = at_v2.sync(timeout=0.5)
    assert result.state == "offline"
    assert isinstance(result.error, DownloadTimeoutError)
    assert "within 0.5 s" in result.message
    assert installed(at_v2.content) == before


# 16 ------------------------------------------------------------------------------------------


def test_16_no_network_keeps_last_good_content_readable(at_v2: Env) -> None:
    before = installed(at_v2.content)
    result = at_v2.sync(url=f"http://127.0.0.1:{free_port()}/")
    assert result.state == "offline"
    assert isinstance(result.error, NetworkError)
    assert result.message.startswith("Offline:") and "Using version 2" in result.message
    assert installed(at_v2.content) == before
    loaded = at_v2.content.load()
    assert loaded.kb.cards["hypocalcemia"].title


# 17 ------------------------------------------------------------------------------------------


def test_17_signed_but_clinically_invalid_card_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)

    def drop_amount(card: dict[str, object]) -> None:
        for section in card["sections"]:  # type: ignore[attr-defined]
            for dose in section.get("doses", []):
                dose.pop("amount", None)

    files = edit_card(base_files(), HYPO, drop_amount)
    at_v2.publish_raw(files, 3)  # validly signed, but the publisher's validation bypassed
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, ContentInvalidError)
    assert any("amount" in p for p in result.error.problems)
    assert installed(at_v2.content) == before


# 18 ------------------------------------------------------------------------------------------


def test_18_same_version_with_other_content_is_a_conflict(at_v2: Env) -> None:
    before = installed(at_v2.content)
    at_v2.publish_raw(v3_files(), 2)  # re-signed v2 with a different card
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, EqualVersionConflictError)
    assert installed(at_v2.content) == before
    assert at_v2.server.doc_hits() == []


# 19 ------------------------------------------------------------------------------------------

CRASH_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys
    from mobile_app.sync.client import SyncClient
    from mobile_app.sync.content import ContentStore
    from mobile_app.sync.http import HttpxFetcher
    from mobile_app.sync.root import TrustedRoot

    data_dir, url, pub_hex = sys.argv[1:4]
    keys = TrustedRoot.from_public_keys([bytes.fromhex(pub_hex)])

    def crash(self, repo, state):
        staged = self.slot_path(state.current)
        assert staged.exists(), "stage must be complete before the commit"
        os._exit(42)

    ContentStore._write_state = crash

    async def main():
        async with HttpxFetcher(trust_env=False) as fetcher:
            await SyncClient(url, ContentStore(data_dir, keys), fetcher).sync()

    asyncio.run(main())
    sys.exit(0)
    """
)


def test_19_crash_between_stage_and_commit_keeps_the_old_version(at_v2: Env) -> None:
    before = installed(at_v2.content)
    _publish_v3(at_v2)
    script = at_v2.tmp / "crash_child.py"
    script.write_text(CRASH_CHILD)
    envvars = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(script), str(at_v2.data), at_v2.server.url,
         public_key_bytes(at_v2.key).hex()],
        env=envvars, capture_output=True, text=True, timeout=60, check=False,
    )
    assert proc.returncode == 42, proc.stderr
    assert (at_v2.content.content_dir / "kb-3.json").exists()  # staged, never committed
    # a fresh process (fresh ContentStore) serves the old version
    assert installed(at_v2.content) == before
    # the retry installs the new one and cleans up
    retry = at_v2.sync()
    assert retry.state == "installed", retry.message
    assert installed(at_v2.content)[0] == 3


# 20 ------------------------------------------------------------------------------------------


def test_20_disk_full_while_staging(at_v2: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    before = installed(at_v2.content)
    _publish_v3(at_v2)

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)  # the seam AtomicJSONStorage.write uses
    result = at_v2.sync()
    monkeypatch.undo()
    assert result.state == "error"
    assert isinstance(result.error, OSError) and result.error.errno == errno.ENOSPC
    assert "No space left on device" in result.message
    assert installed(at_v2.content) == before
    leftovers = sorted(p.name for p in at_v2.content.content_dir.iterdir())
    # no kb-3, no temp/part file (validators.json: the HTTP validators of the installed v2)
    assert leftovers == ["kb-2.json", "state.json", "validators.json"]


# 21 ------------------------------------------------------------------------------------------


def test_21_store_corrupted_at_rest_falls_back_to_previous(at_v2: Env) -> None:
    _publish_v3(at_v2)
    assert at_v2.sync().state == "installed"
    slot = at_v2.content.slot_path(3)
    raw = bytearray(slot.read_bytes())
    pos = raw.index(b"Calcium gluconate")  # inside a document's text: JSON stays valid
    raw[pos] ^= 0x20  # "C" -> "c"
    slot.write_bytes(bytes(raw))
    loaded = ContentStore(at_v2.data, at_v2.keys).load()
    assert (loaded.version, loaded.source) == (2, "previous")
    assert dose_amount(loaded, "hypocalcemia", BOLUS) == "10–20"
    assert any("sha256" in p and "installed version 3" in p for p in loaded.problems)


# 22 ------------------------------------------------------------------------------------------


def test_22_attacker_claiming_our_keyid_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)
    our_keyid = keyid_for(public_key_bytes(at_v2.key))
    at_v2.publish_raw(v3_files(), 3, key=Ed25519PrivateKey.generate(), keyid=our_keyid)
    doc = json.loads((at_v2.out / MANIFEST).read_bytes())
    assert doc["signatures"][0]["keyid"] == our_keyid
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, SignatureError)
    assert installed(at_v2.content) == before
