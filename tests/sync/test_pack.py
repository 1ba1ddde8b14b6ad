"""Update files (``.bmpack``, issue 11 §4): ``kb pack`` writes one; ``mobile-app sync FILE``,
the app's Import update file (:meth:`ContentService.import_pack`) install one with exactly the
network path's checks; Share this content (:meth:`ContentService.export_pack`) passes the
installed content on. A pack failing any check is refused with the reason; nothing changes,
not even the stored roots."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from mobile_app.cli import main
from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.client import SyncResult, Updater
from mobile_app.sync.content import ContentStore, sha256_hex
from mobile_app.sync.errors import (
    HashMismatchError,
    LengthMismatchError,
    NestingError,
    PackError,
    RollbackError,
    SignatureError,
    TooLargeError,
)
from mobile_app.sync.pack import PackSource, build_pack, pack_name
from mobile_app.sync.publish import site_pack
from mobile_app.sync.root import TrustedRoot
from mobile_app.sync.service import ContentService
from tests.sync.conftest import BOLUS, HYPO, Env, dose_amount, installed, set_dose, v3_files
from tests.sync.test_roots import KEYS, release, root_body, serve_root, signed


def import_pack(store: ContentStore, data: bytes, name: str = "test.bmpack") -> SyncResult:
    async def go() -> SyncResult:
        try:
            source = PackSource(data, name)
        except PackError as exc:
            return SyncResult("rejected", f"Update rejected: {exc}.", 0, 0, error=exc)
        return await Updater(store, source).run()

    return asyncio.run(go())


@pytest.fixture
def v3_pack(at_v2: Env) -> bytes:
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "bolus 20 mL"})
    return site_pack(at_v2.out)[1]


def other_device(env: Env, name: str = "device-b") -> ContentStore:
    return ContentStore(env.tmp / name, env.keys, now=env.now)


def rezip(data: bytes, edit: Callable[[str, bytes], bytes | None],
          extra: dict[str, bytes] | None = None) -> bytes:
    """The pack with each entry passed through ``edit`` (``None`` drops it)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            new = edit(info.filename, src.read(info))
            if new is not None:
                dst.writestr(info.filename, new)
        for name, value in (extra or {}).items():
            dst.writestr(name, value)
    return out.getvalue()


# --- the happy paths --------------------------------------------------------------------------


def test_pack_installs_like_the_network(at_v2: Env, v3_pack: bytes) -> None:
    names = zipfile.ZipFile(io.BytesIO(v3_pack)).namelist()
    assert names[:2] == ["bmpack.json", MANIFEST]
    assert all(n.startswith("docs/") for n in names[2:])
    device = other_device(at_v2)
    result = import_pack(device, v3_pack)
    assert result.state == "installed", result.message
    assert result.version == 3 and result.requests > 0
    loaded = device.load()
    assert (loaded.version, loaded.source) == (3, "installed")
    assert dose_amount(loaded, "hypocalcemia", BOLUS) == "20"
    assert device.read_state().source == "update file test.bmpack"
    # the same bytes the network installs
    net = at_v2.sync()
    assert net.state == "installed"
    assert at_v2.content.load().digests == loaded.digests
    # again: up to date, nothing written
    again = import_pack(device, v3_pack)
    assert again.state == "up_to_date"


def test_the_same_content_gives_the_same_pack(at_v2: Env, v3_pack: bytes) -> None:
    assert site_pack(at_v2.out)[1] == v3_pack


def test_a_pack_carries_the_root_chain(env: Env) -> None:
    env.keys = TrustedRoot.from_json(signed(root_body(1, [KEYS[0]]), [KEYS[0]]))
    serve_root(env, signed(root_body(2, [KEYS[1]]), [KEYS[0], KEYS[1]]), 2)
    serve_root(env, signed(root_body(3, [KEYS[2]]), [KEYS[1], KEYS[2]]), 3)
    release(env, v3_files(), 2)
    version, data = site_pack(env.out)
    assert version == 2
    assert {"root/2.json", "root/3.json"} <= set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    device = other_device(env)
    result = import_pack(device, data)
    assert result.state == "installed" and result.root_version == 3
    assert device.trusted_root()[0].version == 3
    # a pack whose content fails keeps none of its roots
    bad = rezip(data, lambda n, b: b.replace(b'"version"', b'"versiom"') if n.startswith(
        "docs/") else b)
    fresh = other_device(env, "device-c")
    assert import_pack(fresh, bad).state == "rejected"
    assert fresh.trusted_root()[0].version == 1
    assert not fresh.root_path(2).exists()


# --- refused packs: nothing changes -----------------------------------------------------------


def _refused(store: ContentStore, data: bytes, error: type[Exception], words: str) -> None:
    before = installed(store)
    files_before = sorted(p.name for p in store.content_dir.rglob("*")) \
        if store.content_dir.exists() else []
    result = import_pack(store, data)
    assert result.state == "rejected", result.message
    assert isinstance(result.error, error), result.error
    assert words in result.message
    assert installed(store) == before
    after = sorted(p.name for p in store.content_dir.rglob("*")) \
        if store.content_dir.exists() else []
    assert after == files_before


def test_tampered_document(at_v2: Env, v3_pack: bytes) -> None:
    doc = "docs/" + sha256_hex(v3_files()[HYPO]) + ".json"
    bad = rezip(v3_pack, lambda n, b: b.replace(b"20", b"90", 1) if n == doc else b)
    _refused(at_v2.content, bad, HashMismatchError, "does not match its signed sha256")


def test_tampered_manifest(at_v2: Env, v3_pack: bytes) -> None:
    def flip(name: str, data: bytes) -> bytes:
        if name != MANIFEST:
            return data
        env = json.loads(data)
        env["payload"] = env["payload"][:-8] + ("A" if env["payload"][-8] != "A" else "B") \
            + env["payload"][-7:]
        return json.dumps(env).encode()

    _refused(at_v2.content, rezip(v3_pack, flip), SignatureError, "lacks valid signatures")


def test_a_longer_document(at_v2: Env, v3_pack: bytes) -> None:
    doc = "docs/" + sha256_hex(v3_files()[HYPO]) + ".json"
    bad = rezip(v3_pack, lambda n, b: b + b" " if n == doc else b)
    _refused(at_v2.content, bad, LengthMismatchError, "longer than its signed length")


def test_a_missing_document(at_v2: Env, v3_pack: bytes) -> None:
    doc = "docs/" + sha256_hex(v3_files()[HYPO]) + ".json"
    bad = rezip(v3_pack, lambda n, b: None if n == doc else b)
    _refused(at_v2.content, bad, PackError, "lacks cards/hypocalcemia.json")


@pytest.mark.parametrize("keep", [0, 30, 200, -22, -1])
def test_truncated_pack(at_v2: Env, v3_pack: bytes, keep: int) -> None:
    _refused(at_v2.content, v3_pack[:keep], PackError, "update file")


def test_rolled_back_pack(at_v2: Env, v3_pack: bytes) -> None:
    v2_pack = build_pack([], (at_v2.out / "manifests" / "2.json").read_bytes(),
                         at_v2.content.load().documents, 2)
    assert import_pack(at_v2.content, v3_pack).state == "installed"
    _refused(at_v2.content, v2_pack, RollbackError, "pack version 2 is older than")


@pytest.mark.parametrize(("extra", "words"), [
    ({"../evil.json": b"{}"}, "unexpected entry '../evil.json'"),
    ({"docs/x.json": b"{}"}, "unexpected entry 'docs/x.json'"),
    ({"run.sh": b"rm -rf /"}, "unexpected entry 'run.sh'"),
    ({"manifest.json": b"{}"}, "holds 'manifest.json' twice"),
])
def test_unexpected_entries(at_v2: Env, v3_pack: bytes, extra: dict[str, bytes],
                            words: str) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        bad = rezip(v3_pack, lambda n, b: b, extra)
    _refused(at_v2.content, bad, PackError, words)


def test_not_a_pack_and_nested_manifest(at_v2: Env, v3_pack: bytes) -> None:
    _refused(at_v2.content, b"PK\x03\x04 hello", PackError, "not a complete pack")
    _refused(at_v2.content, json.dumps({"hello": 1}).encode(), PackError, "not a complete")
    deep = rezip(v3_pack, lambda n, b: b"[" * 200_000 if n == MANIFEST else b)
    _refused(at_v2.content, deep, NestingError, "nested more than 64 levels")


def test_a_pack_that_inflates_without_end_is_cut_off(at_v2: Env, v3_pack: bytes) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, b" " * (64 * 1024 * 1024))
    _refused(at_v2.content, out.getvalue(), TooLargeError,
             "manifest.json in the update file is larger than 262144 bytes")


# --- the CLI ----------------------------------------------------------------------------------


def test_kb_pack_and_sync_file(at_v2: Env, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    at_v2.publish(v3_files(), version=3, notes={"hypocalcemia": "bolus 20 mL"})
    out = tmp_path / pack_name(3)
    assert main(["kb", "pack", str(at_v2.out), "--out", str(out)]) == 0
    assert f"content version 3, {out.stat().st_size} bytes" in capsys.readouterr().out
    keyfile = tmp_path / "keys.json"
    keyfile.write_text(json.dumps(at_v2.keys.to_json()))
    device = tmp_path / "device"
    argv = ["sync", str(out), "--data-dir", str(device), "--trusted-keys", str(keyfile)]
    assert main([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["state"], result["version"]) == ("installed", 3)
    assert main(argv) == 0
    assert "up to date (version 3)" in capsys.readouterr().out
    out.write_bytes(out.read_bytes()[:-10])
    assert main(argv) == 1
    assert capsys.readouterr().out.startswith("Update rejected: the update file")
    assert main(["sync", str(tmp_path / "missing.bmpack")]) == 2
    assert main(["kb", "pack", str(tmp_path / "nothing"), "--out", str(out)]) == 1


# --- the app: import and share ----------------------------------------------------------------


def service(store: ContentStore) -> ContentService:
    return ContentService(store, None)


def test_share_then_import_on_another_device(at_v2: Env, v3_pack: bytes) -> None:
    device_a = service(at_v2.content)
    result = asyncio.run(device_a.import_pack(v3_pack, "from-usb.bmpack"))
    assert result is not None and result.state == "installed"
    assert device_a.state == "installed" and device_a.message == "Installed version 3"
    info = device_a.info()
    assert info.version == 3 and info.shareable and info.can_import
    assert info.installed_now and [c.id for c in info.changes] == ["hypocalcemia"]
    name, data = device_a.export_pack()
    assert name == "bonemets-content-v3.bmpack"
    device_b = service(other_device(at_v2))
    assert not device_b.info().shareable  # bundled content: nothing signed to pass on
    with pytest.raises(SignatureError, match="only an installed, signed update"):
        device_b.export_pack()
    got = asyncio.run(device_b.import_pack(data, name))
    assert got is not None and got.state == "installed", got.message
    assert dose_amount(device_b.content, "hypocalcemia", BOLUS) == "20"
    assert device_b.content.digests == device_a.content.digests


def test_a_refused_import_changes_nothing(at_v2: Env, v3_pack: bytes) -> None:
    app = service(at_v2.content)
    before = app.content
    for data, words in ((v3_pack[:100], "not a complete pack"),
                        (rezip(v3_pack, lambda n, b: b.replace(b"20", b"90", 1)
                               if n.startswith("docs/") else b), "sha256")):
        result = asyncio.run(app.import_pack(data, "bad.bmpack"))
        assert result is not None and result.state == "rejected"
        assert app.state == "rejected"
        assert app.message.startswith("Update rejected:") and words in app.message
        assert app.content is before
    assert installed(at_v2.content)[0] == 2


def test_import_waits_for_a_running_sync(at_v2: Env, v3_pack: bytes) -> None:
    """One update at a time: an import during a network sync runs after it."""
    from mobile_app.sync.http import HttpxFetcher

    at_v2.publish(set_dose(v3_files(), HYPO, BOLUS, "30"), version=4,
                  notes={"hypocalcemia": "30 mL"})
    app = ContentService(at_v2.content, at_v2.server.url, lambda: HttpxFetcher(
        trust_env=False), now=at_v2.now)

    async def both() -> tuple[SyncResult | None, SyncResult | None]:
        sync = asyncio.ensure_future(app.check())
        await asyncio.sleep(0)
        imported = await app.import_pack(v3_pack, "old.bmpack")
        return await sync, imported

    synced, imported = asyncio.run(both())
    assert synced is not None and synced.state == "installed" and synced.version == 4
    assert imported is not None and imported.state == "rejected"
    assert isinstance(imported.error, RollbackError)
    assert app.content.version == 4
