"""The in-browser store (IDBFS mount + sync after each write), on CPython with a stand-in FS.

The real thing runs in Pyodide and is exercised end to end by tests/pwa; here the sync logic
and the ``after_write`` hook are checked without a browser.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from mobile_app.store import FavouritesRepo, Store
from mobile_app.store.browser import IDBFSSync, mount_idbfs, open_browser_store


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """asyncio.run in a fresh thread (the browser tests keep an event loop on this one)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(scenario())).result()


class FakeFS:
    """Emscripten's FS as far as the browser store uses it; syncs complete when told to."""

    def __init__(self, auto: bool = True) -> None:
        self.auto = auto
        self.calls: list[bool] = []
        self.pending: list[Any] = []
        self.mounts: dict[str, Any] = {}
        self.filesystems = SimpleNamespace(IDBFS=object())

    def mkdirTree(self, path: str) -> None:  # noqa: N802 - Emscripten's name
        Path(path).mkdir(parents=True, exist_ok=True)

    def mount(self, fs_type: Any, opts: Any, path: str) -> None:
        assert fs_type is self.filesystems.IDBFS
        self.mounts[path] = opts

    def lookupPath(self, path: str) -> Any:  # noqa: N802
        mountpoint = path if path in self.mounts else "/"
        return SimpleNamespace(node=SimpleNamespace(mount=SimpleNamespace(mountpoint=mountpoint)))

    def syncfs(self, populate: bool, callback: Any) -> None:
        self.calls.append(populate)
        if self.auto:
            callback(None)
        else:
            self.pending.append(callback)

    def finish(self, err: Any = None) -> None:
        self.pending.pop(0)(err)


def test_after_write_runs_after_each_successful_write(tmp_path: Path) -> None:
    writes: list[bytes] = []
    path = tmp_path / "store.json"
    with Store.open(path, after_write=lambda: writes.append(path.read_bytes())) as store:
        repo = FavouritesRepo(store)
        repo.add("card:radiotherapy")
        repo.add("calc:sins")
    assert len(writes) == 2
    assert b"card:radiotherapy" in writes[0] and b"calc:sins" in writes[1]


def test_no_after_write_when_the_write_fails(tmp_path: Path) -> None:
    calls: list[int] = []
    with Store.open(tmp_path / "store.json", after_write=lambda: calls.append(1)) as store:
        with store.lock, pytest.raises(TypeError):
            store.table("t").insert({"x": object()})
    assert calls == []


def test_a_failing_after_write_hook_is_logged_not_raised(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def boom() -> None:
        raise RuntimeError("sync failed")

    with Store.open(tmp_path / "store.json", after_write=boom) as store, \
            caplog.at_level(logging.ERROR):
        FavouritesRepo(store).add("card:radiotherapy")
        assert FavouritesRepo(store).list() == ["card:radiotherapy"]
    assert "after_write hook" in caplog.text


def test_syncs_coalesce_and_the_last_write_is_always_covered() -> None:
    fs = FakeFS(auto=False)
    sync = IDBFSSync(fs)
    sync.request()
    sync.request()
    sync.request()  # two requests during one sync → exactly one more sync
    assert fs.calls == [False]
    fs.finish()
    assert fs.calls == [False, False] and sync.busy
    fs.finish()
    assert not sync.busy and sync.completed == 2 and sync.failed == 0


def test_a_failed_sync_is_counted_and_the_next_one_still_runs(
        caplog: pytest.LogCaptureFixture) -> None:
    fs = FakeFS(auto=False)
    sync = IDBFSSync(fs)
    sync.request()
    with caplog.at_level(logging.ERROR):
        fs.finish("QuotaExceededError")
    assert sync.failed == 1 and "QuotaExceededError" in caplog.text
    sync.request()
    fs.finish()
    assert sync.completed == 1


def test_open_browser_store_mounts_loads_and_syncs_after_writes(tmp_path: Path) -> None:
    fs = FakeFS()
    persist = str(tmp_path / "persist")

    async def scenario() -> None:
        store = await open_browser_store(persist, fs)
        assert fs.mounts.keys() == {persist}
        assert fs.calls[0] is True  # loaded from IndexedDB before first use
        before = len(fs.calls)
        FavouritesRepo(store).add("card:radiotherapy")
        assert fs.calls[before:] == [False]
        store.close()
        # A second mount of the same directory is not attempted (one per worker).
        await mount_idbfs(persist, fs)
        assert len(fs.mounts) == 1

    run(scenario)
    assert "card:radiotherapy" in (tmp_path / "persist" / "bonemets" / "store.json").read_text()


def test_a_failed_initial_load_raises(tmp_path: Path) -> None:
    fs = FakeFS(auto=False)

    async def scenario() -> None:
        task = asyncio.ensure_future(mount_idbfs(str(tmp_path / "persist"), fs))
        await asyncio.sleep(0)
        fs.finish("InvalidStateError")
        await task

    with pytest.raises(OSError, match="InvalidStateError"):
        run(scenario)
