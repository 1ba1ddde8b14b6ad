"""Attacks on the client from issue 11 §1, against the real 127.0.0.1 server: a gzip bomb
(two layers, and one layer decoded under the cap, with a bound on the bytes held), nesting
that would exhaust the stack, a connection reset mid-document, a slow mirror against the
overall deadline (on an injected clock), conditional requests, and the publisher commands
without their extra."""

from __future__ import annotations

import asyncio
import json
import sys
import tracemalloc
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from mobile_app.cli import main
from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.client import SyncClient, SyncResult
from mobile_app.sync.content import ContentStore, sha256_hex
from mobile_app.sync.errors import (
    ConnectionLostError,
    DeadlineError,
    EncodingError,
    FreezeError,
    HTTPStatusError,
    NestingError,
    SignatureError,
    TooLargeError,
)
from mobile_app.sync.http import HttpxFetcher
from mobile_app.sync.manifest import MANIFEST_MAX_BYTES
from mobile_app.sync.service import ContentService
from mobile_app.sync.source import Fetched
from tests.sync.conftest import (
    HYPO,
    Env,
    base_files,
    edit_card,
    encoded,
    gzip_bomb,
    installed,
    raw_encoded,
    reset_after,
    stall,
    v3_files,
    write_tree,
)

BOMB_BYTES = 256 * 1024 * 1024
MEMORY_BOUND = 8 * 1024 * 1024
"""Peak bytes a sync against a bomb may allocate (one normal sync stays far below this; the
bomb decoded would be 256 MB)."""


def _peak(run: Callable[[], SyncResult]) -> tuple[SyncResult, int]:
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- content encoding -------------------------------------------------------------------------


def test_the_client_asks_for_identity(at_v2: Env) -> None:
    at_v2.sync()
    assert at_v2.server.request_headers
    assert all(h.get("accept-encoding") == "identity" for h in at_v2.server.request_headers)


def test_gzip_gzip_bomb_is_refused_without_inflating(at_v2: Env) -> None:
    before = installed(at_v2.content)
    bomb = gzip_bomb(BOMB_BYTES, layers=2)
    assert len(bomb) < 2048  # the 590-byte manifest
    at_v2.server.faults["/manifest.json"] = raw_encoded(bomb, "gzip, gzip")
    result, peak = _peak(at_v2.sync)
    assert result.state == "rejected"
    assert isinstance(result.error, EncodingError)
    assert "only identity or a single gzip layer" in result.message
    assert peak < MEMORY_BOUND, peak
    assert installed(at_v2.content) == before


def test_one_gzip_layer_is_decoded_under_the_cap(at_v2: Env) -> None:
    """A single layer inflating to 256 MB is cut off right after the 256 KiB cap."""
    before = installed(at_v2.content)
    bomb = gzip_bomb(BOMB_BYTES, layers=1)
    assert len(bomb) < MANIFEST_MAX_BYTES  # small enough to pass the raw cap
    at_v2.server.faults["/manifest.json"] = raw_encoded(bomb, "gzip")
    result, peak = _peak(at_v2.sync)
    assert result.state == "rejected"
    assert isinstance(result.error, TooLargeError)
    assert result.error.limit == MANIFEST_MAX_BYTES
    assert peak < MEMORY_BOUND, peak
    assert installed(at_v2.content) == before


def test_a_gzip_layer_holding_another_gzip_layer_is_not_decoded_twice(at_v2: Env) -> None:
    before = installed(at_v2.content)
    bomb = gzip_bomb(BOMB_BYTES, layers=2)
    at_v2.server.faults["/manifest.json"] = raw_encoded(bomb, "gzip")
    result, peak = _peak(at_v2.sync)
    assert result.state == "rejected"
    assert isinstance(result.error, SignatureError)  # the inner gzip is just bytes
    assert peak < MEMORY_BOUND, peak
    assert installed(at_v2.content) == before


def test_an_honest_gzip_answer_installs(at_v2: Env) -> None:
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "20 mL"})
    manifest = (at_v2.out / MANIFEST).read_bytes()
    at_v2.server.faults["/manifest.json"] = encoded(manifest, "gzip")
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = encoded(files[HYPO], "x-gzip")
    result = at_v2.sync()
    assert result.state == "installed", result.message
    assert installed(at_v2.content)[0] == 3


@pytest.mark.parametrize("encoding", ["br", "deflate", "gzip, br", "compress"])
def test_other_encodings_are_refused(at_v2: Env, encoding: str) -> None:
    before = installed(at_v2.content)
    at_v2.server.faults["/manifest.json"] = raw_encoded(b"{}", encoding)
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, EncodingError)
    assert repr(encoding) in result.message
    assert installed(at_v2.content) == before


def test_corrupt_or_trailing_gzip_is_refused(at_v2: Env) -> None:
    manifest = (at_v2.out / MANIFEST).read_bytes()
    import gzip

    good = gzip.compress(manifest)
    for data, words in ((b"not gzip at all", "corrupt gzip"),
                        (good + b"junk", "after the end of the gzip stream")):
        at_v2.server.faults["/manifest.json"] = raw_encoded(data, "gzip")
        result = at_v2.sync()
        assert result.state == "rejected", result.message
        assert isinstance(result.error, EncodingError) and words in result.message


# --- nesting ----------------------------------------------------------------------------------


def test_deeply_nested_manifest_is_a_named_rejection(at_v2: Env) -> None:
    before = installed(at_v2.content)
    (at_v2.out / MANIFEST).write_bytes(b"[" * 200_000)
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, NestingError)
    assert "nested more than 64 levels deep" in result.message
    assert "recursion" not in result.message.lower()
    assert installed(at_v2.content) == before


def test_nesting_inside_a_validly_signed_manifest_and_document(at_v2: Env) -> None:
    before = installed(at_v2.content)
    deep = b'{"a":' * 500 + b"1" + b"}" * 500
    files = {**base_files(), "cards/deep.json": deep}
    at_v2.publish_raw(files, version=3)
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, NestingError)
    assert "cards/deep.json is nested more than 64 levels deep" in result.message
    assert installed(at_v2.content) == before


def test_deeply_nested_root_is_a_named_rejection(at_v2: Env) -> None:
    at_v2.server.etags = False  # roots are walked whenever a manifest arrives (not on a 304)
    (at_v2.out / "root").mkdir()
    (at_v2.out / "root" / "2.json").write_bytes(b"{" * 60_000)  # under the 64 KiB root cap
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, NestingError)
    assert "root version 2 is nested more than 64 levels deep" in result.message


def test_deeply_nested_stored_content_falls_back_cleanly(at_v2: Env) -> None:
    store = at_v2.content
    store.slot_path(2).write_bytes(b"[" * 200_000)
    loaded = store.load()
    assert (loaded.source, loaded.version) == ("bundled", 1)
    assert any("kb-2.json is corrupt" in p for p in loaded.problems)


def test_cli_and_app_report_nesting_without_a_traceback(
        at_v2: Env, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (at_v2.out / MANIFEST).write_bytes(b"[" * 200_000)
    keyfile = tmp_path / "keys.json"
    keyfile.write_text(json.dumps(at_v2.keys.to_json()))
    code = main(["sync", at_v2.server.url, "--data-dir", str(at_v2.data), "--trusted-keys",
                 str(keyfile)])
    out, err = capsys.readouterr()
    assert code == 1
    assert out.startswith("Update rejected: the manifest is nested more than 64 levels deep")
    assert "Traceback" not in err

    service = ContentService(at_v2.content, at_v2.server.url, lambda: HttpxFetcher(
        trust_env=False), now=at_v2.now)
    result = asyncio.run(service.check())
    assert result is not None and result.state == "rejected"
    assert service.state == "rejected"
    assert service.message.startswith("Update rejected: the manifest is nested more than 64")
    assert service.content.version == 2


# --- reset ------------------------------------------------------------------------------------


def test_reset_mid_document_says_the_host_was_reached(at_v2: Env) -> None:
    before = installed(at_v2.content)
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "20 mL"})
    at_v2.server.faults[at_v2.doc_path(files[HYPO])] = reset_after(files[HYPO], 100)
    result = at_v2.sync()
    assert result.state == "error"
    assert isinstance(result.error, ConnectionLostError)
    assert not result.message.startswith("Offline")
    assert "the update host was reached" in result.message
    assert "reset" in result.message
    assert result.message.endswith("Still using version 2.")
    assert installed(at_v2.content) == before


def test_reset_of_the_manifest_is_not_offline(at_v2: Env) -> None:
    manifest = (at_v2.out / MANIFEST).read_bytes()
    at_v2.server.faults["/manifest.json"] = reset_after(manifest, 10)
    result = at_v2.sync()
    assert result.state == "error" and isinstance(result.error, ConnectionLostError)


# --- overall deadline (injected clock) --------------------------------------------------------


class SlowMirror:
    """Every request 'takes' ``seconds`` on an injected clock (just under the per-request
    timeout), then is answered by the real server."""

    def __init__(self, inner: HttpxFetcher, clock: list[float], seconds: float) -> None:
        self.inner, self.clock, self.seconds = inner, clock, seconds

    async def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        self.clock[0] += self.seconds
        return await self.inner.get(url, max_bytes=max_bytes, timeout=timeout)

    async def get_conditional(self, url: str, *, max_bytes: int, timeout: float,
                              etag: str | None = None,
                              last_modified: str | None = None) -> Fetched:
        self.clock[0] += self.seconds
        return await self.inner.get_conditional(url, max_bytes=max_bytes, timeout=timeout,
                                                etag=etag, last_modified=last_modified)


def _ten_changed_cards(env: Env) -> dict[str, bytes]:
    files = base_files()
    cards = sorted(p for p in files if p.startswith("cards/"))[:10]
    for path in cards:
        files = edit_card(files, path, lambda c: c.update(summary=c["summary"] + " (rev)"))
    env.publish(files, version=3, notes={Path(p).stem: "summary revised" for p in cards})
    return files


def _sync_with_clock(env: Env, clock: list[float], seconds: float, *, deadline: float,
                     timeout: float = 15.0) -> SyncResult:
    env.server.request_headers.clear()
    async def go() -> SyncResult:
        async with HttpxFetcher(trust_env=False) as inner:
            client = SyncClient(env.server.url, env.content, SlowMirror(inner, clock, seconds),
                                now=env.now, monotonic=lambda: clock[0], timeout=timeout,
                                deadline=deadline, concurrency=1)
            return await client.sync()

    env.server.hits.clear()
    return asyncio.run(go())


def test_a_slow_mirror_is_stopped_by_the_overall_deadline(at_v2: Env) -> None:
    before = installed(at_v2.content)
    _ten_changed_cards(at_v2)
    clock = [1000.0]
    result = _sync_with_clock(at_v2, clock, 14.0, deadline=60)
    assert result.state == "error"
    assert isinstance(result.error, DeadlineError)
    assert "did not finish within its overall deadline of 60 s" in result.message
    assert "of 10 documents downloaded" in result.message
    assert result.message.endswith("Still using version 2.")
    # manifest (14 s), root probe (28 s), then documents until 60 s were used up
    assert len(at_v2.server.doc_hits()) == 3
    assert installed(at_v2.content) == before
    # the same mirror within a generous deadline installs
    ok = _sync_with_clock(at_v2, clock, 14.0, deadline=600)
    assert ok.state == "installed", ok.message


def test_the_last_request_gets_only_what_is_left_of_the_deadline(at_v2: Env) -> None:
    """59.5 of 60 s are used up by the manifest; the root probe stalls (the real server waits
    5 s) and is cut at the 0.5 s left: reported as the overall deadline, not a timeout."""
    at_v2.server.etags = False
    at_v2.server.faults["/root/2.json"] = stall(5.0)
    clock = [0.0]
    result = _sync_with_clock(at_v2, clock, 59.5, deadline=60, timeout=15)
    assert isinstance(result.error, DeadlineError), result.message
    assert result.state == "error"


def test_overall_deadline_is_configured_like_every_setting(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mobile_app.config import Config, ConfigError

    cfg = Config.from_env({"BONEMETS_SYNC_DEADLINE": "45", "BONEMETS_TIMEOUT": "5"})
    assert (cfg.deadline_s, cfg.timeout_s) == (45.0, 5.0)
    with pytest.raises(ConfigError, match="BONEMETS_SYNC_DEADLINE"):
        Config.from_env({"BONEMETS_SYNC_DEADLINE": "-1"})


# --- conditional requests ---------------------------------------------------------------------


def test_last_modified_makes_nothing_changed_one_304(at_v2: Env) -> None:
    at_v2.server.etags = False
    at_v2.server.last_modified = True
    first = at_v2.sync()  # learns Last-Modified
    assert first.state == "up_to_date" and not first.not_modified
    second = at_v2.sync()
    assert second.state == "up_to_date" and second.not_modified
    assert at_v2.server.hits == ["/manifest.json"]
    assert "if-modified-since" in at_v2.server.request_headers[-1]
    assert second.bytes_downloaded == 0


def test_a_304_never_hides_an_expired_manifest(at_v2: Env) -> None:
    """The host keeps answering 304, but the installed manifest has expired: the client asks
    again in full, and the expiry check sees what the host really serves."""
    at_v2.clock[0] += timedelta(days=31)
    result = at_v2.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, FreezeError)
    assert at_v2.server.hits[:2] == ["/manifest.json", "/manifest.json"]
    assert "if-none-match" in at_v2.server.request_headers[0]
    assert "if-none-match" not in at_v2.server.request_headers[1]
    loaded = at_v2.content.load()
    assert loaded.version == 2 and loaded.expired  # still shown, flagged


def test_validators_follow_the_installed_manifest(at_v2: Env) -> None:
    files = v3_files()
    at_v2.publish(files, version=3, notes={"hypocalcemia": "20 mL"})
    assert at_v2.sync().state == "installed"
    saved = at_v2.content.read_validators()
    assert saved is not None
    assert saved.envelope_sha256 == sha256_hex((at_v2.out / MANIFEST).read_bytes())
    again = at_v2.sync()
    assert again.not_modified and at_v2.server.hits == ["/manifest.json"]
    # validators for other bytes than the installed manifest are not sent
    store = ContentStore(at_v2.data, at_v2.keys, now=at_v2.now)
    store.write_validators(saved.model_copy(update={"envelope_sha256": "0" * 64}))
    full = at_v2.sync()
    assert not full.not_modified
    assert "if-none-match" not in at_v2.server.request_headers[0]


def test_a_304_without_validators_is_an_error(at_v2: Env) -> None:
    from tests.sync.conftest import status

    at_v2.content.validators_path.unlink()
    at_v2.server.faults["/manifest.json"] = status(304)
    result = at_v2.sync()
    assert result.state == "error"
    assert isinstance(result.error, HTTPStatusError) and result.error.status == 304


# --- the publisher extra ----------------------------------------------------------------------


@pytest.fixture
def without_cryptography(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "cryptography" or m.startswith("cryptography.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "cryptography", None)  # type: ignore[arg-type]


@pytest.mark.usefixtures("without_cryptography")
def test_publisher_commands_name_the_extra_to_install(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "keygen", "--out", str(tmp_path / "keys")]) == 1
    err = capsys.readouterr().err
    assert "install the publisher extra" in err and "[publish]" in err
    assert "Traceback" not in err and "ModuleNotFoundError" not in err
    src = write_tree(tmp_path / "src", base_files())
    (tmp_path / "k.pem").write_text("not a key")
    assert main(["kb", "publish", str(src), "--out", str(tmp_path / "site"), "--key",
                 str(tmp_path / "k.pem")]) == 1
    assert "install the publisher extra" in capsys.readouterr().err
