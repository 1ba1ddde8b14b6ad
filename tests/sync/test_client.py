"""Sync client cases beyond the §5.3 matrix: app version, clock, redirects, lying lengths,
overall deadline, progress, skipped versions, schema of the signed body."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.client import SyncClient, SyncStatus
from mobile_app.sync.errors import (
    AppTooOldError,
    DownloadTimeoutError,
    FreezeError,
    LengthMismatchError,
    ManifestFormatError,
    RedirectError,
    RollbackError,
    TooLargeError,
)
from mobile_app.sync.http import HttpxFetcher
from tests.sync.conftest import (
    BOLUS,
    DEXA,
    HYPO,
    Env,
    FaultServer,
    body,
    dose_amount,
    drip,
    installed,
    redirect,
    set_dose,
    sign,
    v3_files,
)


def test_min_app_version_above_ours_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"}, min_app_version="99.0")
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, AppTooOldError)
    assert "needs app version 99.0 or later" in result.message
    assert installed(at_v2.content) == before
    assert at_v2.server.doc_hits() == []


def test_min_app_version_equal_to_ours_is_accepted(at_v2: Env) -> None:
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"}, min_app_version="0.1")
    assert at_v2.sync().state == "installed"


def test_expired_installed_content_is_still_served(at_v2: Env) -> None:
    """Clock moves past `expires`: the content stays in use, flagged; updates are refused."""
    later = datetime.now(UTC) + timedelta(days=45)
    at_v2.clock[0] = later
    loaded = at_v2.content.load()
    assert (loaded.version, loaded.source, loaded.expired) == (2, "installed", True)
    assert "expired" in loaded.verification
    result = at_v2.sync()  # the server still offers the (now expired) v2 manifest
    assert result.state == "rejected"
    assert isinstance(result.error, FreezeError)
    assert at_v2.content.load().version == 2


def test_expiry_uses_one_fixed_start_time(at_v2: Env) -> None:
    """The clock is read once per sync (TUF's fixed update start time)."""
    calls: list[int] = []

    def clock() -> datetime:
        calls.append(1)
        return datetime.now(UTC)

    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})

    async def go() -> None:
        async with HttpxFetcher(trust_env=False) as f:
            await SyncClient(at_v2.server.url, at_v2.content, f,
                             now=clock).sync()

    asyncio.run(go())
    assert len(calls) == 1


def test_clock_set_back_before_issue_still_installs(at_v2: Env) -> None:
    """A device clock that is behind is not a freeze: only `expires` is checked."""
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    result = at_v2.sync(now=datetime.now(UTC) - timedelta(days=300))
    assert result.state == "installed"


def test_redirect_to_another_origin_is_refused(at_v2: Env) -> None:
    before = installed(at_v2.content)
    other = FaultServer(at_v2.tmp / "elsewhere")
    try:
        at_v2.server.faults["/manifest.json"] = redirect(other.url + "manifest.json")
        result = at_v2.sync()
        assert result.state == "rejected"
        assert isinstance(result.error, RedirectError)
        assert "another origin" in result.message
        assert other.hits == []
    finally:
        other.stop()
    assert installed(at_v2.content) == before


def test_same_origin_redirect_is_followed(at_v2: Env) -> None:
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    (at_v2.out / "current").mkdir()
    (at_v2.out / "current" / "manifest.json").write_bytes((at_v2.out / MANIFEST).read_bytes())
    at_v2.server.faults["/manifest.json"] = redirect("/current/manifest.json", 301)
    result = at_v2.sync()
    assert result.state == "installed", result.message
    assert at_v2.server.hits[:2] == ["/manifest.json", "/current/manifest.json"]


def test_redirect_loop_is_bounded(at_v2: Env) -> None:
    at_v2.server.faults["/manifest.json"] = redirect("/manifest.json")
    result = at_v2.sync()
    assert isinstance(result.error, RedirectError)
    assert len(at_v2.server.hits) == 4  # first request + 3 redirects


def test_content_length_above_the_signed_length_aborts_before_the_body(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "x"})
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = body(files[HYPO] + b" " * 100)
    result = at_v2.sync()
    assert isinstance(result.error, TooLargeError)
    assert "announces" in str(result.error)
    assert installed(at_v2.content) == before


def test_complete_but_shorter_document_is_a_length_mismatch(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "x"})
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = body(files[HYPO][:-5])
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, LengthMismatchError)
    assert installed(at_v2.content) == before


def test_overall_deadline_stops_a_slow_drip(at_v2: Env) -> None:
    """Each byte arrives quickly enough for a per-read timeout; the deadline still fires."""
    before = installed(at_v2.content)
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "x"})
    # The whole body would take several seconds and then install: a timeout error proves the
    # per-request deadline covers the body, not each read (no wall-clock assertion).
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = drip(files[HYPO][:200], 0.05)
    result = at_v2.sync(timeout=0.5)
    assert isinstance(result.error, DownloadTimeoutError)
    assert installed(at_v2.content) == before


def test_progress_reports_checking_downloading_and_installed(at_v2: Env) -> None:
    files = set_dose(v3_files(), DEXA, "Dexamethasone", "12")
    at_v2.publish(files, version=3, notes={"hypocalcemia": "a", "dexamethasone": "b"})
    seen: list[SyncStatus] = []

    async def go() -> None:
        async with HttpxFetcher(trust_env=False) as f:
            await SyncClient(at_v2.server.url, at_v2.content, f,
                             concurrency=1).sync(seen.append)

    asyncio.run(go())
    assert [(s.state, s.message) for s in seen] == [
        ("checking", "Checking for updates…"),
        ("downloading", "downloading 0 of 2"),
        ("downloading", "downloading 1 of 2"),
        ("downloading", "downloading 2 of 2"),
        ("installed", "installed version 3"),
    ]
    assert (seen[2].done, seen[2].total) == (1, 2)


def test_a_failing_progress_callback_does_not_break_the_update(at_v2: Env) -> None:
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})

    def broken(status: SyncStatus) -> None:
        raise RuntimeError("UI gone")

    async def go() -> str:
        async with HttpxFetcher(trust_env=False) as f:
            r = await SyncClient(at_v2.server.url, at_v2.content, f).sync(broken)
            return r.state

    assert asyncio.run(go()) == "installed"


def test_skipping_versions_reports_every_changed_card(at_v2: Env) -> None:
    v3 = v3_files()
    at_v2.publish(v3, version=3, notes={"hypocalcemia": "Bolus 20 mL."})
    v4 = set_dose(v3, DEXA, "Dexamethasone", "12")
    at_v2.publish(v4, version=4, notes={"dexamethasone": "MSCC dose 12 mg/day."})
    result = at_v2.sync()  # the app jumps from 2 to 4
    assert result.state == "installed"
    assert {c.id: c.note for c in result.changes} == {
        "dexamethasone": "MSCC dose 12 mg/day.",
        "hypocalcemia": "",  # changed in v3, whose changelog this app never saw
    }
    assert result.previous_version == 2 and result.version == 4
    assert result.content is not None
    assert dose_amount(result.content, "hypocalcemia", BOLUS) == "20"


def test_unknown_field_in_the_signed_body_is_rejected(at_v2: Env) -> None:
    before = installed(at_v2.content)
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    doc = json.loads((at_v2.out / MANIFEST).read_bytes())
    body_doc = json.loads(base64.b64decode(doc["payload"]))
    body_doc["install_script"] = "rm -rf /"
    raw_body = json.dumps(body_doc).encode()
    (at_v2.out / MANIFEST).write_bytes(sign(raw_body, at_v2.key))
    result = at_v2.sync()
    assert isinstance(result.error, ManifestFormatError)
    assert installed(at_v2.content) == before


def test_rollback_floor_is_the_highest_version_seen_not_the_installed_one(at_v2: Env) -> None:
    """v3 installed then corrupted (serving v2): a signed v2 replay is still a rollback
    (highest seen is 3), while v3 itself may be re-installed."""
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    assert at_v2.sync().state == "installed"
    at_v2.content.slot_path(3).write_text("{")
    assert at_v2.content.load().version == 2
    v3_manifest = (at_v2.out / MANIFEST).read_bytes()
    (at_v2.out / MANIFEST).write_bytes((at_v2.out / "manifests" / "2.json").read_bytes())
    result = at_v2.sync()
    assert isinstance(result.error, RollbackError)
    assert "already seen" in result.message
    (at_v2.out / MANIFEST).write_bytes(v3_manifest)
    repaired = at_v2.sync()
    assert repaired.state == "installed", repaired.message
    loaded = at_v2.content.load()
    assert (loaded.version, loaded.source, loaded.problems) == (3, "installed", [])


def test_base_url_may_name_the_manifest(at_v2: Env) -> None:
    result = at_v2.sync(url=at_v2.server.url + "manifest.json")
    assert result.state == "up_to_date"


def test_bundled_documents_are_reused_on_first_sync(env: Env) -> None:
    """Delta against the app's bundled KB: only documents it lacks are fetched."""
    files = v3_files()
    env.publish(files, version=2)
    result = env.sync()
    assert result.state == "installed"
    assert env.server.hits == ["/manifest.json", "/root/2.json", env.doc_path(files[HYPO])]


def test_envelope_must_be_the_exact_signed_bytes(at_v2: Env) -> None:
    """Whitespace added around the payload JSON is fine; the payload is what is signed."""
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    raw = (at_v2.out / MANIFEST).read_bytes()
    (at_v2.out / MANIFEST).write_bytes(b"\n  " + raw + b"\n\n")
    assert at_v2.sync().state == "installed"


@pytest.mark.parametrize("version", [0, -1])
def test_nonpositive_versions_are_rejected(at_v2: Env, version: int) -> None:
    doc = json.loads((at_v2.out / MANIFEST).read_bytes())
    body_doc = json.loads(base64.b64decode(doc["payload"]))
    body_doc["version"] = version
    (at_v2.out / MANIFEST).write_bytes(sign(json.dumps(body_doc).encode(), at_v2.key))
    before = installed(at_v2.content)
    assert isinstance(at_v2.sync().error, ManifestFormatError)
    assert installed(at_v2.content) == before
