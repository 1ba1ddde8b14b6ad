"""The installed knowledge base on disk: verified on every load, installed atomically.

Layout under ``<data_dir>/content/`` (sync-design §7)::

    root/<N>.json    every root after the shipped one, exactly as published (each verified
                     against the one before it; TUF §5.3.7)
    kb-<N>.json      one version: the signed manifest envelope and every document's text,
                     written in ONE atomic write (staging); never modified afterwards
    state.json       the pointer: ContentState {current, previous, highest_seen, trust, ...} in
                     a TinyDB file on AtomicJSONStorage; replacing it is the commit point
    validators.json  ETag / Last-Modified of the last verified manifest (a bandwidth hint)

:meth:`ContentStore.load` treats everything on disk as untrusted: it walks the stored roots from
the shipped anchor (:func:`~mobile_app.sync.root.verify_next_root`), then re-verifies the
current version with the one verifier (:func:`~mobile_app.sync.verify.verify_pack`: signatures
of both roles under the newest root, every sha256 and length, the KB schema), then the previous
one, then falls back to the knowledge base bundled with the app. Content whose keys a newer
root revoked therefore stops being served on the next load. It never raises for corrupt
content; it reports what it found in :attr:`LoadedContent.problems`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from tinydb import TinyDB

from mobile_app.knowledge.loader import (
    MANIFEST,
    KnowledgeBase,
    load_bundled,
    read_bundled_files,
)
from mobile_app.store.atomic import write_atomic
from mobile_app.store.db import AtomicJSONStorage, CorruptStoreError, Store
from mobile_app.sync.envelope import Envelope
from mobile_app.sync.errors import SignatureError, SyncError
from mobile_app.sync.manifest import SignedManifest
from mobile_app.sync.root import TrustedRoot, verify_next_root
from mobile_app.sync.state import (
    ContentState,
    ContentStateRepo,
    Validators,
    read_validators,
    write_validators,
)
from mobile_app.sync.verify import (
    RollbackFloor,
    VerifiedPack,
    sha256_hex,
    verify_manifest,
    verify_pack,
)

__all__ = [
    "CONTENT_DIR",
    "STATE_FILE",
    "ContentSource",
    "ContentStore",
    "LoadedContent",
    "bundled_content",
    "bundled_version",
    "sha256_hex",
]

_log = logging.getLogger(__name__)

CONTENT_DIR = "content"
STATE_FILE = "state.json"
ROOTS_DIR = "root"
VALIDATORS_FILE = "validators.json"
_SLOT = re.compile(r"kb-(\d{1,12})\.json")
_SLOT_TEMP = re.compile(r"\.kb-\d{1,12}\.json\.tmp-.*\.part")
_SLOT_TABLE = "kb"
_SLOT_DOC = "1"
_SLOT_FORMAT = 1

ContentSource = Literal["installed", "previous", "bundled"]


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
        documents: Document path → exact bytes (used for delta downloads and packs).
        keyids: Key ids that signed the manifest (both roles).
        expired: Whether the signed manifest (or the trusted root) had expired when loaded
            (content still shown; the UI should say it may be out of date).
        root: The trusted root the content was checked against (``None`` only for bundled
            content made outside a :class:`ContentStore`).
        envelope: The signed manifest envelope as installed; ``None`` for bundled content.
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
    root: TrustedRoot | None = field(default=None, repr=False)
    envelope: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_pack(cls, pack: VerifiedPack, source: ContentSource,
                  problems: Sequence[str] = ()) -> LoadedContent:
        """The content of a verified version."""
        return cls(kb=pack.knowledge_base, source=source, version=pack.version,
                   verification=pack.verification_text(), problems=list(problems),
                   manifest=pack.manifest, documents=pack.documents, keyids=pack.keyids,
                   expired=pack.expired, root=pack.root, envelope=pack.envelope)

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

    @property
    def shareable(self) -> bool:
        """Whether this content can be passed on as an update file (it was signed)."""
        return self.envelope is not None and self.manifest is not None


def bundled_content(problems: list[str] | None = None, note: str = "",
                    root: TrustedRoot | None = None) -> LoadedContent:
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
        root=root,
    )


def bundled_version() -> int:
    """The content version shipped with the app."""
    return load_bundled().version


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
        anchor: TrustedRoot | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """Bind to a data directory; nothing is read or created yet.

        Args:
            data_dir: The app's data directory; content lives in its ``content`` folder.
            anchor: The trust anchor, root version 1 or later (default: the root shipped with
                the app).
            now: Clock returning a timezone-aware datetime (default: UTC now).
        """
        self.data_dir = Path(data_dir)
        self.content_dir = self.data_dir / CONTENT_DIR
        self.anchor = anchor if anchor is not None else TrustedRoot.bundled()
        self._now = now or (lambda: datetime.now(UTC))

    # --- paths --------------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        """The pointer file."""
        return self.content_dir / STATE_FILE

    def slot_path(self, version: int) -> Path:
        """The staged file of one installed version."""
        return self.content_dir / f"kb-{version}.json"

    def root_path(self, version: int) -> Path:
        """Where root ``version`` is kept once verified."""
        return self.content_dir / ROOTS_DIR / f"{version}.json"

    @property
    def validators_path(self) -> Path:
        """The HTTP validators of the last verified manifest."""
        return self.content_dir / VALIDATORS_FILE

    # --- roots --------------------------------------------------------------------------------

    def trusted_root(self) -> tuple[TrustedRoot, list[str]]:
        """The newest root reachable from the anchor through stored, verified roots.

        Returns:
            The root, and problems with stored roots that did not verify (the walk stops at
            the first one).
        """
        root = self.anchor
        problems: list[str] = []
        while True:
            path = self.root_path(root.version + 1)
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                return root, problems
            except OSError as exc:
                problems.append(f"stored root {path.name} cannot be read ({exc})")
                return root, problems
            try:
                root = verify_next_root(root, raw)
            except SyncError as exc:
                problems.append(f"stored root {path.name} rejected: {exc}")
                return root, problems

    def stored_roots(self, upto: TrustedRoot) -> list[bytes]:
        """The stored root documents after the anchor, up to ``upto``'s version (for packs)."""
        out: list[bytes] = []
        for version in range(self.anchor.version + 1, upto.version + 1):
            try:
                out.append(self.root_path(version).read_bytes())
            except OSError:
                break
        return out

    def save_roots(self, roots: Sequence[TrustedRoot]) -> None:
        """Keep verified roots (each one atomically, in version order).

        Raises:
            OSError: Writing failed; roots already written stay (each one verified).
        """
        for root in roots:
            if root.version <= self.anchor.version:
                continue
            write_atomic(self.root_path(root.version), root.document, mode=0o644,
                         make_parents=True)

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

    def read_validators(self) -> Validators | None:
        """The HTTP validators of the installed manifest, if any."""
        return read_validators(self.validators_path)

    def write_validators(self, validators: Validators) -> None:
        """Save HTTP validators (a failure only costs a full download next time)."""
        try:
            write_validators(self.validators_path, validators)
        except OSError as exc:
            _log.warning("Could not save %s: %s", self.validators_path, exc)

    def load(self) -> LoadedContent:
        """The content to show: current slot, else previous slot, else bundled. Never raises
        for corrupt or missing content; problems are reported in the result.
        """
        root, problems = self.trusted_root()
        bundled_v = bundled_version()
        try:
            state = self.read_state()
        except CorruptStoreError as exc:
            problems.append(f"content pointer {self.state_path} is corrupt: {exc}")
            return bundled_content(problems, root=root)
        slots: tuple[tuple[ContentSource, int | None], ...] = (
            ("installed", state.current),
            ("previous", state.previous),
        )
        for source, version in slots:
            if version is None:
                continue
            try:
                pack = self._verify_slot(version, root)
            except _SlotError as exc:
                problems.append(f"{source} version {version}: {exc}")
                _log.warning("Installed content %s v%s rejected: %s", source, version, exc)
                continue
            if pack.version < bundled_v:
                return bundled_content(problems, f"newer than the installed version "
                                                 f"{pack.version}", root=root)
            return LoadedContent.from_pack(pack, source, problems)
        return bundled_content(problems, root=root)

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

    def _verify_slot(self, version: int, root: TrustedRoot) -> VerifiedPack:
        record = self._read_slot(version)
        envelope = record["envelope"].encode("utf-8")
        documents = {path: text.encode("utf-8") for path, text in record["documents"].items()}
        try:
            pack = verify_pack(root, envelope, lambda path, _entry: documents.get(path),
                               floor=None, now=self._now(), allow_expired=True)
        except SyncError as exc:
            raise _SlotError(str(exc)) from None
        if pack.version != version:
            raise _SlotError(f"holds version {pack.version}, not {version}")
        extra = sorted(set(documents) - set(pack.manifest.files))
        if extra:
            raise _SlotError(f"{len(extra)} document(s) not in the signed manifest: "
                             + ", ".join(extra[:3]))
        return pack

    # --- the rollback floor -------------------------------------------------------------------

    def rollback_floor(self, serving: LoadedContent | None = None,
                       root: TrustedRoot | None = None) -> RollbackFloor:
        """The lowest version a new manifest may have: the highest of the bundled version,
        the highest version installed and the version in use.

        The highest version installed counts only while the publisher and reviewer keys are
        those under which it was installed: after they are rotated, what only the old keys
        vouched for is discarded (a compromised key may have signed a huge version number:
        TUF's fast-forward recovery) and the floor is what verifies under the new root. When
        the pointer is corrupt, the verifiable slot files stand in for the lost value.

        Args:
            serving: The content in use.
            root: The trusted root (default: the newest stored one).
        """
        if root is None:
            root = self.trusted_root()[0]
        bundled_v = bundled_version()
        best = RollbackFloor(bundled_v, f"the content bundled with the app (version "
                                        f"{bundled_v})")
        try:
            state: ContentState | None = self.read_state()
        except CorruptStoreError:
            state = None
        # A pointer written before roots existed has no fingerprint: it was set under the
        # anchor's keys.
        trust = (state.trust or self.anchor.manifest_trust()) if state is not None else None
        if trust != root.manifest_trust():
            seen = self._verifiable_slots(root)
        else:
            assert state is not None
            seen = state.highest_seen
        if seen > best.version:
            best = RollbackFloor(seen, f"version {seen} already seen")
        if serving is not None and serving.source != "bundled" and (
            serving.version >= best.version and self._vouched(serving, root)
        ):
            best = RollbackFloor(serving.version, f"installed {serving.version}")
        return best

    def _vouched(self, content: LoadedContent, root: TrustedRoot) -> bool:
        """Whether ``content`` is bundled or still signed well enough under ``root``."""
        if content.envelope is None:
            return True
        if content.root is not None and content.root.manifest_trust() == root.manifest_trust():
            return True
        try:
            root.check_manifest(Envelope.parse(content.envelope), "the installed manifest")
        except SyncError:
            return False
        return True

    def _verifiable_slots(self, root: TrustedRoot) -> int:
        highest = 0
        for version in self._slot_versions():
            try:
                record = self._read_slot(version)
                vm = verify_manifest(root, record["envelope"].encode("utf-8"), floor=None,
                                     now=self._now(), allow_expired=True)
            except (_SlotError, SyncError):
                continue
            highest = max(highest, vm.version)
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
        pack: VerifiedPack,
        roots: Sequence[TrustedRoot] = (),
        *,
        source: str,
        serving: LoadedContent,
    ) -> ContentState:
        """Keep new roots, stage a verified version, commit it by replacing the pointer, then
        clean up.

        A crash before the commit leaves the old pointer (the staged file is ignored and later
        removed; stored roots are verified on every load and may stay); a crash after it leaves
        the new version in use.

        Args:
            pack: The verified version (:func:`~mobile_app.sync.verify.verify_pack`).
            roots: Newly verified roots it was verified under, oldest first.
            source: Where it came from (the sync base URL, an update file), kept in the pointer.
            serving: What the app was showing; it becomes the fallback slot if installed.

        Returns:
            The committed pointer.

        Raises:
            OSError: Writing failed (e.g. disk full); the installed content is unchanged.
        """
        version = pack.version
        self.content_dir.mkdir(parents=True, exist_ok=True)
        self.save_roots(roots)
        self._stage(version, pack, source)
        floor = self.rollback_floor(serving, pack.root)
        store = Store.open(self.state_path)
        try:
            repo = ContentStateRepo(store)
            try:
                old = repo.get() if store.recovered_from is None else ContentState()
            except CorruptStoreError:
                old = ContentState()
            if serving.source != "bundled" and serving.version != version:
                previous: int | None = serving.version
            else:
                previous = old.previous if old.current == version else None
            new = ContentState(
                current=version,
                previous=previous,
                highest_seen=max(floor.version, version),
                trust=pack.root.manifest_trust(),
                source=source,
                updated_at=self._now().isoformat(),
            )
            self._write_state(repo, new)
        finally:
            store.close()
        self.collect_garbage(new)
        return new

    def _stage(self, version: int, pack: VerifiedPack, source: str) -> None:
        """Write ``kb-<version>.json`` in one atomic write (temp file, fsync, replace)."""
        record = {
            "format": _SLOT_FORMAT,
            "version": version,
            "source": source,
            "staged_at": self._now().isoformat(),
            "envelope": pack.envelope.decode("utf-8"),
            "documents": {path: data.decode("utf-8")
                          for path, data in sorted(pack.documents.items())},
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

    # --- sharing ------------------------------------------------------------------------------

    def export_pack(self, content: LoadedContent) -> bytes:
        """``content`` (installed and verified) as an update file for another device: the
        stored root chain up to the root it verified under, its envelope and its documents.

        Raises:
            SignatureError: ``content`` is the bundled knowledge base (nothing signed to
                pass on).
        """
        from mobile_app.sync.pack import build_pack

        if content.envelope is None or content.manifest is None:
            raise SignatureError(
                "the content in use is the one bundled with the app; only an installed, "
                "signed update can be shared"
            )
        roots = self.stored_roots(content.root) if content.root is not None else []
        return build_pack(roots, content.envelope, content.documents, content.version)

