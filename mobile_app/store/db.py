"""The local user store: one TinyDB instance on a crash-safe storage, guarded by one lock.

TinyDB 4.9's stock ``JSONStorage`` rewrites the live file in place (seek, write, fsync,
truncate), so a crash mid-write can leave a torn, unparseable file; see
``docs/sync-design.md`` §3.2. :class:`AtomicJSONStorage` follows the recipe in §3.4 instead:
serialise first, write a temporary file in the same directory, flush and fsync it, replace the
target with ``os.replace`` and fsync the directory. A file that exists but is not valid TinyDB
JSON raises :class:`CorruptStoreError`; it is never read as "empty", because TinyDB's next write
would then destroy the evidence.

TinyDB is not thread-safe, and Flet runs synchronous event handlers in a thread pool, so
:class:`Store` owns a single :class:`threading.RLock` that every repository takes. Only one
:class:`Store` (one process) may write a given file at a time.

The store holds only ids of cards and calculators, settings and content-sync state; never
patient identifiers.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage
from tinydb.table import Table

from mobile_app.store.atomic import TEMP_SUFFIX, fsync_directory, temp_prefix, write_atomic

__all__ = [
    "AtomicJSONStorage",
    "CorruptStoreError",
    "Store",
    "new_client_id",
]

_log = logging.getLogger(__name__)

_CLIENT_ID = re.compile(r"[0-9a-f]{32}")


class CorruptStoreError(Exception):
    """The store file exists but is not valid TinyDB JSON (or holds an invalid document).

    Attributes:
        path: The file that could not be read, or ``None`` for an in-memory store.
    """

    def __init__(self, message: str, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def new_client_id() -> str:
    """Return a new random client id (``uuid4().hex``: 32 lowercase hex digits)."""
    return uuid.uuid4().hex


def _check_tinydb_shape(data: object, path: Path) -> dict[str, dict[str, Any]]:
    """Return ``data`` if it has TinyDB's on-disk shape, else raise :class:`CorruptStoreError`.

    The shape is ``{table name: {document id (an integer as a string): {field: value}}}``.
    Documents are returned in numeric id order: the file is written with ``sort_keys``, which
    orders ids as strings ("1", "10", "2"), and TinyDB returns documents in dict order.
    """
    if not isinstance(data, dict):
        raise CorruptStoreError(
            f"Store file {path} is not TinyDB JSON: top level is {type(data).__name__}, "
            "expected an object of tables.",
            path,
        )
    for table_name, table in data.items():
        if not isinstance(table, dict):
            raise CorruptStoreError(
                f"Store file {path} is not TinyDB JSON: table {table_name!r} is "
                f"{type(table).__name__}, expected an object of documents.",
                path,
            )
        for doc_id, document in table.items():
            if not (doc_id.isascii() and doc_id.isdigit()) or not isinstance(document, dict):
                raise CorruptStoreError(
                    f"Store file {path} is not TinyDB JSON: table {table_name!r} has an "
                    f"invalid document {doc_id!r}.",
                    path,
                )
    return {name: dict(sorted(table.items(), key=_doc_id_order)) for name, table in data.items()}


def _doc_id_order(item: tuple[str, Any]) -> int:
    return int(item[0])


class AtomicJSONStorage(Storage):
    """A TinyDB storage that replaces its JSON file atomically on every write.

    ``read()`` opens, reads and closes the file each time; nothing is cached, so there is no
    handle to leak or to write through after ``close()``.
    """

    def __init__(
        self, path: str | os.PathLike[str], after_write: Callable[[], None] | None = None
    ) -> None:
        """Create a storage for ``path``; the file is created by the first write.

        Args:
            path: The JSON file. Its directory must exist.
            after_write: Called after each successful write (e.g. to flush an in-browser
                filesystem to IndexedDB). An exception from it is logged, not raised: the
                write itself has already succeeded.
        """
        super().__init__()
        self.path = Path(path)
        self.after_write = after_write

    def read(self) -> dict[str, dict[str, Any]] | None:
        """Return the whole database, or ``None`` when the file does not exist.

        Raises:
            CorruptStoreError: The file exists but is empty, not UTF-8 JSON, or not shaped
                like a TinyDB database.
        """
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        if not raw:
            raise CorruptStoreError(f"Store file {self.path} is empty (0 bytes).", self.path)
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise CorruptStoreError(
                f"Store file {self.path} is not valid JSON ({len(raw)} bytes): {exc}", self.path
            ) from exc
        return _check_tinydb_shape(data, self.path)

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        """Replace the file with ``data`` so that a crash leaves either the old or the new file.

        Raises:
            TypeError: ``data`` is not JSON-serialisable (raised before any file is touched).
            OSError: Writing failed (e.g. ``ENOSPC``); the old file is intact and the
                temporary file has been removed.
        """
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        write_atomic(self.path, payload)
        if self.after_write is not None:
            try:
                self.after_write()
            except Exception:
                _log.exception("after_write hook of %s failed", self.path)

    def close(self) -> None:
        """Nothing to release: no handle is kept open between operations."""

    def remove_stale_temp_files(self) -> list[Path]:
        """Delete temporary files left by a write that was interrupted by a crash.

        Only files named after this storage's target are touched, so several stores can
        share a directory. Call it before the first write, never during one.

        Returns:
            The files that were removed.
        """
        removed: list[Path] = []
        prefix = temp_prefix(self.path)
        try:
            candidates = list(self.path.parent.iterdir())
        except FileNotFoundError:
            return removed
        for candidate in candidates:
            name = candidate.name
            if name.startswith(prefix) and name.endswith(TEMP_SUFFIX):
                try:
                    candidate.unlink()
                except FileNotFoundError:
                    continue
                removed.append(candidate)
        return removed


class Store:
    """One TinyDB database and the lock that serialises access to it.

    Build one with :meth:`open`, :meth:`for_client` or :meth:`memory`; repositories take
    :attr:`lock` around every operation.

    Attributes:
        path: The JSON file, or ``None`` for an in-memory store.
        recovered_from: When :meth:`open` found a corrupt file, where that file was moved
            (``<name>.corrupt-<UTC timestamp>``) before a fresh store was started; tell the
            user. ``None`` otherwise.
        lock: The re-entrant lock every access to :attr:`db` must hold.
    """

    def __init__(
        self, db: TinyDB, *, path: Path | None = None, recovered_from: Path | None = None
    ) -> None:
        """Wrap an open TinyDB; prefer the :meth:`open`/:meth:`memory` constructors."""
        self._db = db
        self.path = path
        self.recovered_from = recovered_from
        self.lock = threading.RLock()
        self._closed = False

    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, after_write: Callable[[], None] | None = None
    ) -> Store:
        """Open (or create) the store at ``path`` on an :class:`AtomicJSONStorage`.

        Parent directories are created. Temporary files left by a crashed write are removed.
        If the file is corrupt it is moved aside, never deleted, and a fresh empty store is
        opened; :attr:`recovered_from` then names the damaged copy.

        Args:
            path: The JSON file.
            after_write: Passed to :class:`AtomicJSONStorage`: called after each successful
                write.

        Returns:
            The open store.
        """
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        storage = AtomicJSONStorage(target)
        for stale in storage.remove_stale_temp_files():
            _log.info("Removed temporary file left by an interrupted write: %s", stale)
        recovered_from: Path | None = None
        try:
            storage.read()
        except CorruptStoreError as exc:
            recovered_from = _move_aside(target)
            _log.warning(
                "Store %s was corrupt (%s); moved it to %s and started an empty store.",
                target,
                exc,
                recovered_from,
            )
        db = TinyDB(target, storage=AtomicJSONStorage, after_write=after_write)
        return cls(db, path=target, recovered_from=recovered_from)

    @classmethod
    def memory(cls) -> Store:
        """Return an empty in-memory store (for tests, or when no writable storage exists)."""
        return cls(TinyDB(storage=MemoryStorage))

    @classmethod
    def for_client(
        cls,
        base_dir: str | os.PathLike[str],
        client_id: str,
        *,
        after_write: Callable[[], None] | None = None,
    ) -> Store:
        """Open the store of one client at ``<base_dir>/clients/<client_id>.json``.

        Args:
            base_dir: The app's data directory.
            client_id: 32 lowercase hex digits, as made by :func:`new_client_id`.
            after_write: Called after each successful write (see :meth:`open`).

        Raises:
            ValueError: ``client_id`` is not 32 lowercase hex digits (this also rules out
                path separators and ``..``).
        """
        if not isinstance(client_id, str) or _CLIENT_ID.fullmatch(client_id) is None:
            raise ValueError(
                f"Client id must be 32 lowercase hex digits (uuid4().hex); got {client_id!r}."
            )
        return cls.open(Path(base_dir) / "clients" / f"{client_id}.json", after_write=after_write)

    @property
    def db(self) -> TinyDB:
        """The TinyDB instance; hold :attr:`lock` while using it."""
        self._check_open()
        return self._db

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has been called."""
        return self._closed

    def table(self, name: str) -> Table:
        """Return the TinyDB table ``name``; hold :attr:`lock` while using it.

        Raises:
            RuntimeError: The store is closed.
        """
        with self.lock:
            self._check_open()
            return self._db.table(name)

    def close(self) -> None:
        """Close the store; further use raises :class:`RuntimeError`. Idempotent."""
        with self.lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        where = str(self.path) if self.path is not None else "memory"
        state = "closed" if self._closed else "open"
        return f"<Store {where} ({state})>"

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"Store {self.path or 'memory'} is closed.")


def _move_aside(target: Path) -> Path:
    """Rename a corrupt ``target`` to ``<name>.corrupt-<UTC timestamp>`` and return the new path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = target.with_name(f"{target.name}.corrupt-{stamp}")
    counter = 1
    while aside.exists():
        aside = target.with_name(f"{target.name}.corrupt-{stamp}-{counter}")
        counter += 1
    os.rename(target, aside)
    fsync_directory(target.parent)
    return aside
