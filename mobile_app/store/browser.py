"""The user store when the app runs in the browser (Pyodide, ``sys.platform == "emscripten"``).

Pyodide's filesystem is Emscripten's MEMFS: files written there vanish on every reload. Here a
directory is mounted on Emscripten's IDBFS, which mirrors it to IndexedDB on demand:
``FS.syncfs(true)`` once at start-up loads the saved files, and ``FS.syncfs(false)`` after each
successful write of the store saves them. :class:`AtomicJSONStorage` still replaces the file
atomically in memory; the sync then copies whole files, so IndexedDB holds either the previous
or the new store file, never a torn one. A write made in the last moment before the tab is
closed can be lost (the sync is asynchronous); everything before it is kept.

One store per browser profile (the IndexedDB database is per origin and profile), so no client
id is needed. Nothing here runs on CPython except with a stand-in filesystem (tests).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import PurePosixPath
from typing import Any

from mobile_app.store.db import Store

__all__ = ["PERSIST_DIR", "STORE_FILE", "IDBFSSync", "mount_idbfs", "open_browser_store"]

_log = logging.getLogger(__name__)

PERSIST_DIR = "/persist"
STORE_FILE = "bonemets/store.json"


def _pyodide_fs() -> Any:
    """Emscripten's ``FS`` object of the running Pyodide."""
    import pyodide_js  # type: ignore[import-not-found]  # only exists inside Pyodide

    return pyodide_js.FS


def _callback(fn: Any) -> Any:
    """Wrap a Python callable for a one-shot call from JavaScript (identity outside Pyodide)."""
    try:
        from pyodide.ffi import create_once_callable  # type: ignore[import-not-found]
    except ImportError:
        return fn
    return create_once_callable(fn)


def _js_object() -> Any:
    """An empty JavaScript object (a plain dict outside Pyodide)."""
    try:
        import js  # type: ignore[import-not-found]
    except ImportError:
        return {}
    return js.Object.new()


async def _syncfs(fs: Any, populate: bool) -> None:
    """Run ``FS.syncfs(populate)`` and wait for its callback; raise ``OSError`` on failure."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def finished(err: Any = None) -> None:
        if not done.done():
            done.set_result(err)

    fs.syncfs(populate, _callback(finished))
    err = await done
    if err:
        raise OSError(f"FS.syncfs({str(populate).lower()}) failed: {err}")


def _is_mounted(fs: Any, path: str) -> bool:
    try:
        node = fs.lookupPath(path).node
    except Exception:
        return False
    return bool(node.mount is not None and node.mount.mountpoint == path)


async def mount_idbfs(path: str = PERSIST_DIR, fs: Any = None) -> Any:
    """Mount ``path`` on IDBFS (once) and load what IndexedDB holds for it.

    Args:
        path: An absolute directory in Pyodide's filesystem.
        fs: Emscripten's ``FS`` (default: the running Pyodide's).

    Returns:
        The ``FS`` object, for :class:`IDBFSSync`.
    """
    fs = fs if fs is not None else _pyodide_fs()
    if not _is_mounted(fs, path):
        fs.mkdirTree(path)
        fs.mount(fs.filesystems.IDBFS, _js_object(), path)
    await _syncfs(fs, True)
    return fs


class IDBFSSync:
    """Saves the in-memory filesystem to IndexedDB; calls that arrive during a sync coalesce.

    :meth:`request` is the store's ``after_write`` hook: it returns at once. A sync already in
    flight is followed by exactly one more, so the last write is always covered.
    """

    def __init__(self, fs: Any) -> None:
        """Wrap Emscripten's ``FS``."""
        self._fs = fs
        self._busy = False
        self._again = False
        self.completed = 0
        self.failed = 0

    @property
    def busy(self) -> bool:
        """Whether a sync is in flight."""
        return self._busy

    def request(self) -> None:
        """Start ``FS.syncfs(false)``, or schedule one more if a sync is in flight."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        try:
            self._fs.syncfs(False, _callback(self._done))
        except Exception:
            self._busy = False
            self.failed += 1
            _log.exception("could not start saving the store to IndexedDB")

    def _done(self, err: Any = None) -> None:
        self._busy = False
        if err:
            self.failed += 1
            _log.error("saving the store to IndexedDB failed: %s", err)
        else:
            self.completed += 1
        if self._again:
            self._again = False
            self.request()


async def open_browser_store(path: str = PERSIST_DIR, fs: Any = None) -> Store:
    """Mount IndexedDB-backed storage at ``path`` and open the user store in it.

    Every successful write of the store is followed by a sync to IndexedDB.

    Args:
        path: Mount point (default ``/persist``).
        fs: Emscripten's ``FS`` (default: the running Pyodide's).
    """
    fs = await mount_idbfs(path, fs)
    syncer = IDBFSSync(fs)
    store = Store.open(str(PurePosixPath(path) / STORE_FILE), after_write=syncer.request)
    # Opening may have removed a stale temporary file or moved a corrupt store aside.
    syncer.request()
    return store
