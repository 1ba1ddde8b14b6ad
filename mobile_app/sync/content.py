"""The installed knowledge base on disk: verified on every load, installed atomically.

Layout under ``<data_dir>/content/`` (sync-design §7)::

    kb-<N>.json    one version: the signed manifest envelope and every document's text,
                   written in ONE atomic write (staging); never modified afterwards
    state.json     the pointer: ContentState {current, previous, highest_seen, ...} in a
                   TinyDB file on AtomicJSONStorage; replacing it is the commit point

:meth:`ContentStore.load` treats everything on disk as untrusted: it re-verifies the current
version (signature with the trusted keys, every sha256 and length, the KB schema), then the
previous one, then falls back to the knowledge base bundled with the app. It never raises for
corrupt content; it reports what it found in :attr:`LoadedContent.problems`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from tinydb import TinyDB

from mobile_app.knowledge.loader import (
    MANIFEST,
    KBValidationError,
    KnowledgeBase,
    load_bundled,
    load_files,
    read_bundled_files,
)
from mobile_app.store.db import AtomicJSONStorage, CorruptStoreError, Store
from mobile_app.store.repositories import ContentState, ContentStateRepo
from mobile_app.sync.envelope import TrustedKeys, verify_envelope
from mobile_app.sync.errors import SignatureError
from mobile_app.sync.manifest import SignedManifest, kb_manifest_bytes

__all__ = [
    "CONTENT_DIR",
    "STATE_FILE",
    "ContentSource",
    "ContentStore",
    "LoadedContent",
    "bundled_content",
    "sha256_hex",
]

_log = logging.getLogger(__name__)

CONTENT_DIR = "content"
STATE_FILE = "state.json"
_SLOT = re.compile(r"kb-(\d{1,12})\.json")
_SLOT_TEMP = re.compile(r"\.kb-\d{1,12}\.json\.tmp-.*\.part")
_SLOT_TABLE = "kb"
_SLOT_DOC = "1"
_SLOT_FORMAT = 1

ContentSource = Literal["installed", "previous", "bundled"]


def sha256_hex(data: bytes) -> str:
    """The sha256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class LoadedContent:
    """The knowledge base the app should show, and how it was checked.

    Attributes:
        kb: The validated knowledge base.
        source: ``installed`` (the current slot), ``previous`` (the fallback slot, because the
            current one failed verification) or ``bundled`` (shipped with the app).
        version: Content version.
        verification: One human line on how the content was verified.
        problems: What was wrong on disk (empty when the current slot verified or nothing was
            installed yet). Show these to support, not as a blocking error.
        manifest: The signed manifest of an installed slot; ``None`` for bundled content.
        documents: Document path → exact bytes (used for delta downloads).
        keyids: Key ids of the trusted keys that signed the manifest.
        expired: Whether the signed manifest had expired when loaded (content still shown;
            the UI should say it may be out of date).
    """

    kb: KnowledgeBase
    source: ContentSource
    version: int
    verification: str
    problems: list[str] = field(default_factory=list)
    manifest: SignedManifest | None = None
    documents: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    keyids: tuple[str, ...] = ()
    expired: bool = False

    @property
    def changes(self) -> dict[str, str]:
        """Changelog of this version: card or calculator id → text (empty for bundled)."""
        return dict(self.manifest.changes) if self.manifest is not None else {}

    @property
    def expires(self) -> datetime | None:
        """When the signed manifest expires (``None`` for bundled content)."""
        return self.manifest.expires if self.manifest is not None else None

    @property
    def digests(self) -> dict[str, str]:
        """Document path → sha256."""
        return {path: sha256_hex(data) for path, data in self.documents.items()}


def bundled_content(problems: list[str] | None = None, note: str = "") -> LoadedContent:
    """The knowledge base shipped inside the app, as :class:`LoadedContent`."""
    kb = load_bundled()
    docs = sorted((k, v) for k, v in read_bundled_files().items() if k != MANIFEST)
    verification = "bundled with the app (validated on load)"
    if note:
        verification += f"; {note}"
    return LoadedContent(
        kb=kb,
        source="bundled",
        version=kb.version,
        verification=verification,
        problems=list(problems or []),
        documents=dict(docs),
    )


class _SlotError(Exception):
    """An installed slot failed verification (message says why)."""


class ContentStore:
    """Installed content under ``<data_dir>/content``: load with re-verification, install.

    One process writes a data directory at a time (the app, or the CLI), as for
    :class:`~mobile_app.store.db.Store`.
    """

    def __init__(
        self,
        data_dir: str | Path,
        keys: TrustedKeys | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Bind to a data directory; nothing is read or created yet.

        Args:
            data_dir: The app's data directory; content lives in its ``content`` folder.
            keys: Trusted publisher keys (default: the keys bundled with the app).
            now: Clock returning a timezone-aware datetime (default: UTC now).
        """
        self.data_dir = Path(data_dir)
        self.content_dir = self.data_dir / CONTENT_DIR
        self.keys = keys if keys is not None else TrustedKeys.bundled()
        self._now = now or (lambda: datetime.now(UTC))

    # --- paths --------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """The pointer file."""
        return self.content_dir / STATE_FILE

    def slot_path(self, version: int) -> Path:
        """The staged file of one installed version."""
        return self.content_dir / f"kb-{version}.json"

    # --- reading ------------------------------------------------------------------------------

    def read_state(self) -> ContentState:
        """The content pointer, without modifying anything on disk.

        Raises:
            CorruptStoreError: The pointer file exists but is unreadable or invalid.
        """
        if not self.state_path.exists():
            return ContentState()
        store = Store(TinyDB(self.state_path, storage=AtomicJSONStorage), path=self.state_path)
        with store:
            return ContentStateRepo(store).get()

    def load(self) -> LoadedContent:
        """The content to show: current slot, else previous slot, else bundled. Never raises
        for corrupt or missing content; problems are reported in the result.
        """
        problems: list[str] = []
        bundled_version = load_bundled().version
        try:
            state = self.read_state()
        except CorruptStoreError as exc:
            problems.append(f"content pointer {self.state_path} is corrupt: {exc}")
            return bundled_content(problems)
        slots: tuple[tuple[ContentSource, int | None], ...] = (
            ("installed", state.current),
            ("previous", state.previous),
        )
        for source, version in slots:
            if version is None:
                continue
            try:
                loaded = self._load_slot(version, source)
            except _SlotError as exc:
                problems.append(f"{source} version {version}: {exc}")
                _log.warning("Installed content %s v%s rejected: %s", source, version, exc)
                continue
            if loaded.version < bundled_version:
                return bundled_content(
                    problems,
                    f"newer than the installed version {loaded.version}",
                )
            return replace(loaded, problems=problems)
        return bundled_content(problems)

    def _read_slot(self, version: int) -> dict[str, Any]:
        path = self.slot_path(version)
        try:
            data = AtomicJSONStorage(path).read()
        except CorruptStoreError as exc:
            raise _SlotError(f"{path.name} is corrupt ({exc})") from None
        except OSError as exc:
            raise _SlotError(f"{path.name} cannot be read ({exc})") from None
        if data is None:
            raise _SlotError(f"{path.name} is missing")
        record = data.get(_SLOT_TABLE, {}).get(_SLOT_DOC)
        if (
            not isinstance(record, dict)
            or record.get("format") != _SLOT_FORMAT
            or not isinstance(record.get("envelope"), str)
            or not isinstance(record.get("documents"), dict)
            or not all(isinstance(v, str) for v in record["documents"].values())
        ):
            raise _SlotError(f"{path.name} does not have the installed-content layout")
        return record

    def _verify_slot_manifest(
        self, version: int, record: Mapping[str, Any]
    ) -> tuple[SignedManifest, tuple[str, ...]]:
        try:
            verified = verify_envelope(record["envelope"].encode("utf-8"), self.keys)
        except SignatureError as exc:
            raise _SlotError(f"manifest signature invalid: {exc}") from None
        try:
            manifest = SignedManifest.model_validate_json(verified.body)
        except ValidationError as exc:
            raise _SlotError(f"signed manifest invalid: {exc.error_count()} error(s)") from None
        if manifest.version != version:
            raise _SlotError(f"holds version {manifest.version}, not {version}")
        return manifest, verified.keyids

    def _load_slot(self, version: int, source: ContentSource) -> LoadedContent:
        record = self._read_slot(version)
        manifest, keyids = self._verify_slot_manifest(version, record)
        documents = {path: text.encode("utf-8") for path, text in record["documents"].items()}
        bad = [
            path
            for path, entry in manifest.files.items()
            if path not in documents
            or len(documents[path]) != entry.length
            or sha256_hex(documents[path]) != entry.sha256
        ]
        extra = sorted(set(documents) - set(manifest.files))
        if bad or extra:
            detail = ", ".join([*(f"{p} (sha256/length)" for p in bad[:3]), *extra[:3]])
            raise _SlotError(f"{len(bad) + len(extra)} document(s) fail verification: {detail}")
        try:
            kb = load_files({**documents, MANIFEST: kb_manifest_bytes(manifest)})
        except KBValidationError as exc:
            raise _SlotError(f"content invalid: {'; '.join(exc.problems[:3])}") from None
        expired = manifest.is_expired(self._now())
        verification = (
            f"signature by trusted key {', '.join(keyids)} and {len(documents)} document "
            f"hashes verified; schema valid; issued {manifest.issued.date().isoformat()}"
        )
        if expired:
            verification += f"; manifest expired {manifest.expires.date().isoformat()}"
        return LoadedContent(
            kb=kb,
            source=source,
            version=manifest.version,
            verification=verification,
            manifest=manifest,
            documents=documents,
            keyids=keyids,
            expired=expired,
        )

    def rollback_floor(self, serving: LoadedContent | None = None) -> int:
        """The lowest version a new manifest may have: max(highest seen, bundled, serving).

        When the pointer is corrupt, the highest version among verifiable slot files left on
        disk stands in for the lost ``highest_seen``.
        """
        try:
            seen = self.read_state().highest_seen
        except CorruptStoreError:
            seen = self._recovered_highest_seen()
        floor = max(seen, load_bundled().version)
        if serving is not None:
            floor = max(floor, serving.version)
        return floor

    def _recovered_highest_seen(self) -> int:
        highest = 0
        for version in self._slot_versions():
            try:
                manifest, _ = self._verify_slot_manifest(version, self._read_slot(version))
            except _SlotError:
                continue
            highest = max(highest, manifest.version)
        return highest

    def _slot_versions(self) -> list[int]:
        try:
            names = [p.name for p in self.content_dir.iterdir()]
        except FileNotFoundError:
            return []
        return sorted(int(m.group(1)) for n in names if (m := _SLOT.fullmatch(n)))

    # --- installing ---------------------------------------------------------------------------

    def install(
        self,
        envelope: bytes,
        manifest: SignedManifest,
        documents: Mapping[str, bytes],
        *,
        source: str,
        serving: LoadedContent,
    ) -> ContentState:
        """Stage a verified version, commit it by replacing the pointer, then clean up.

        The caller has verified ``envelope`` and every document against ``manifest``. A crash
        before the commit leaves the old pointer (the staged file is ignored and later
        removed); a crash after it leaves the new version in use.

        Args:
            envelope: The raw, verified manifest envelope.
            manifest: Its parsed body.
            documents: Every document of the new version, path → exact bytes.
            source: Where it came from (the sync base URL), kept in the pointer.
            serving: What the app was showing; it becomes the fallback slot if installed.

        Returns:
            The committed pointer.

        Raises:
            OSError: Writing failed (e.g. disk full); the installed content is unchanged.
        """
        version = manifest.version
        self.content_dir.mkdir(parents=True, exist_ok=True)
        self._stage(version, envelope, documents, source)
        store = Store.open(self.state_path)
        try:
            repo = ContentStateRepo(store)
            if store.recovered_from is not None:
                old = ContentState(highest_seen=self._recovered_highest_seen())
            else:
                try:
                    old = repo.get()
                except CorruptStoreError:
                    old = ContentState(highest_seen=self._recovered_highest_seen())
            previous = serving.version if serving.source != "bundled" else None
            new = ContentState(
                current=version,
                previous=previous if previous != version else None,
                highest_seen=max(old.highest_seen, load_bundled().version, serving.version,
                                 version),
                source=source,
                updated_at=self._now().isoformat(),
            )
            self._write_state(repo, new)
        finally:
            store.close()
        self.collect_garbage(new)
        return new

    def _stage(
        self, version: int, envelope: bytes, documents: Mapping[str, bytes], source: str
    ) -> None:
        """Write ``kb-<version>.json`` in one atomic write (temp file, fsync, replace)."""
        record = {
            "format": _SLOT_FORMAT,
            "version": version,
            "source": source,
            "staged_at": self._now().isoformat(),
            "envelope": envelope.decode("utf-8"),
            "documents": {path: data.decode("utf-8") for path, data in sorted(documents.items())},
        }
        AtomicJSONStorage(self.slot_path(version)).write({_SLOT_TABLE: {_SLOT_DOC: record}})

    def _write_state(self, repo: ContentStateRepo, state: ContentState) -> None:
        """The commit point: one atomic replace of the pointer file."""
        repo.set(state)

    def collect_garbage(self, state: ContentState | None = None) -> list[Path]:
        """Delete slot files the pointer does not reference, and temp files of failed writes.

        Args:
            state: The pointer (read from disk when omitted; nothing is deleted if it is
                corrupt).

        Returns:
            The removed files.
        """
        if state is None:
            try:
                state = self.read_state()
            except CorruptStoreError:
                return []
        keep = {v for v in (state.current, state.previous) if v is not None}
        removed: list[Path] = []
        try:
            entries = list(self.content_dir.iterdir())
        except FileNotFoundError:
            return removed
        for path in entries:
            slot = _SLOT.fullmatch(path.name)
            stale = (slot is not None and int(slot.group(1)) not in keep) or bool(
                _SLOT_TEMP.fullmatch(path.name)
            )
            if stale:
                try:
                    path.unlink()
                except OSError as exc:
                    _log.warning("Could not remove %s: %s", path, exc)
                    continue
                removed.append(path)
        return removed
