"""The updater: fetch, verify and install a signed knowledge-base version from any source.

One code path for the update host (:class:`~mobile_app.sync.http.HttpSource`) and for update
files (:class:`~mobile_app.sync.pack.PackSource`):

1. fix the start time ``t0`` and the overall deadline; take the content in use and its root
   (held by the caller, not reloaded);
2. read the manifest (at most 256 KiB). From the host this is a conditional request: a
   ``304`` is accepted only for the exact manifest installed, and only while neither it nor the
   trusted root has expired (otherwise the manifest is fetched in full: a 304 never hides a
   freeze beyond the signed expiry);
3. walk ``root/<N+1>.json`` from the trusted root (TUF §5.3): each new root signed by a
   threshold of the old root keys and of its own, version exactly N+1; from the host each is
   kept as soon as it verifies, from a pack only with content that verifies under it;
4. the rollback floor (discarding what only rotated-out publisher/reviewer keys vouched for);
5. :func:`~mobile_app.sync.verify.verify_manifest` (signatures of both roles, schema, app
   version, rollback, expiry) before any document is fetched;
6. same version as installed: same documents → up to date; different → conflict;
7. read only documents whose sha256 is not already on the device, each capped at its signed
   length, every request bounded by what is left of the overall deadline;
8. :func:`~mobile_app.sync.verify.verify_pack` on the complete version, then install it
   atomically (:meth:`ContentStore.install`).

Pure Python and ``async``: it runs under CPython and under Pyodide (one thread, no sockets: the
browser's ``fetch`` through :class:`~mobile_app.sync.browser_fetch.FetchFetcher`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Literal, TypeVar

from mobile_app import __version__
from mobile_app.config import DEFAULT_DEADLINE_S, DEFAULT_TIMEOUT_S
from mobile_app.knowledge.models import ManifestEntry
from mobile_app.sync.content import ContentStore, LoadedContent, bundled_content
from mobile_app.sync.errors import (
    DeadlineError,
    DownloadTimeoutError,
    EqualVersionConflictError,
    HTTPStatusError,
    SyncError,
)
from mobile_app.sync.http import Fetcher, HttpSource
from mobile_app.sync.manifest import MANIFEST_MAX_BYTES, SignedManifest, doc_id
from mobile_app.sync.root import MAX_ROOT_ROTATIONS, TrustedRoot, verify_next_root
from mobile_app.sync.source import Fetched, Source
from mobile_app.sync.state import Validators
from mobile_app.sync.verify import sha256_hex, verify_manifest, verify_pack

__all__ = [
    "DEFAULT_DEADLINE_S",
    "DEFAULT_TIMEOUT_S",
    "MANIFEST_MAX_BYTES",
    "ChangeEntry",
    "SyncClient",
    "SyncResult",
    "SyncState",
    "SyncStatus",
    "Updater",
    "changes_of",
]

_log = logging.getLogger(__name__)
T = TypeVar("T")

SyncState = Literal[
    "checking", "downloading", "installed", "up_to_date", "offline", "rejected", "error"
]
ChangeKind = Literal["added", "changed", "removed", "updated"]


@dataclass(frozen=True)
class SyncStatus:
    """Progress of an update, for a status line.

    Attributes:
        state: ``checking``, ``downloading``, ``installed``, ``up_to_date``, ``offline``,
            ``rejected`` or ``error``.
        message: Human text ("downloading 3 of 7", "installed version 5",
            "Update rejected: pack version 41 is older than installed 42.").
        done: Documents downloaded so far (``downloading``).
        total: Documents to download (``downloading``).
    """

    state: SyncState
    message: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class ChangeEntry:
    """One card or calculator that differs between the content before and after an update.

    Attributes:
        id: Card or calculator id (the file stem; ``references``/``synonyms`` for those).
        path: Document path in the knowledge base ("" when only the changelog is known).
        kind: ``added``, ``changed``, ``removed``, or ``updated`` (after a restart: the
            signed changelog names it, the kind is no longer known).
        note: The publisher's changelog text for this id in the installed version ("" when
            the version skipped over the release that changed it).
    """

    id: str
    path: str
    kind: ChangeKind
    note: str


@dataclass(frozen=True)
class SyncResult:
    """Outcome of an update.

    Attributes:
        state: Final state: ``installed``, ``up_to_date``, ``offline``, ``rejected`` or
            ``error``.
        message: Human text for the status line.
        version: The content version in use after the update.
        previous_version: The version in use before it.
        changes: What changed (only for ``installed``).
        requests: Requests made (manifest, roots, documents).
        bytes_downloaded: Body bytes received by completed requests.
        not_modified: The host answered ``304 Not Modified`` for the manifest.
        root_version: The trusted root's version after the update.
        error: The failure (``None`` when ``ok``).
        content: Content for the caller to use from now on: the new version when
            ``installed``, or what is left after a new root revoked the keys of the content
            in use; ``None`` when the content in use stays.
    """

    state: SyncState
    message: str
    version: int
    previous_version: int
    changes: tuple[ChangeEntry, ...] = ()
    requests: int = 0
    bytes_downloaded: int = 0
    not_modified: bool = False
    root_version: int = 1
    error: BaseException | None = field(default=None, compare=False)
    content: LoadedContent | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the update ended installed or up to date."""
        return self.state in ("installed", "up_to_date")

    @property
    def changelog(self) -> dict[str, str]:
        """Changed id → changelog text."""
        return {c.id: c.note for c in self.changes}


@dataclass
class _Outcome:
    state: SyncState
    version: int
    changes: tuple[ChangeEntry, ...] = ()
    content: LoadedContent | None = None
    not_modified: bool = False


class Updater:
    """Runs one update from a :class:`~mobile_app.sync.source.Source` into a
    :class:`ContentStore` (see the module docstring).
    """

    def __init__(
        self,
        content: ContentStore,
        source: Source,
        *,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        timeout: float = DEFAULT_TIMEOUT_S,
        deadline: float = DEFAULT_DEADLINE_S,
        concurrency: int = 8,
        app_version: str = __version__,
    ) -> None:
        """Configure the updater.

        Args:
            content: Where content is installed.
            source: Where the new version is read from.
            now: Clock returning a timezone-aware datetime (default: UTC now); read once.
            monotonic: Seconds clock for the overall deadline (injectable for tests).
            timeout: Deadline in seconds for each request, body included.
            deadline: Deadline in seconds for the whole update.
            concurrency: Documents downloaded at the same time.
            app_version: This app's version, compared with ``min_app_version``.
        """
        self.content = content
        self.source = source
        self._now = now or (lambda: datetime.now(UTC))
        self._monotonic = monotonic
        self.timeout = timeout
        self.deadline = deadline
        self.concurrency = max(1, concurrency)
        self.app_version = app_version
        self._requests = 0
        self._bytes = 0
        self._started = 0.0
        self._done = 0
        self._total = 0
        self._roots_kept = False

    async def run(
        self,
        serving: LoadedContent | None = None,
        on_progress: Callable[[SyncStatus], None] | None = None,
    ) -> SyncResult:
        """Check for an update and install it if it verifies; never touches the installed
        content on failure.

        Args:
            serving: The content in use (default: loaded from the content store); its
                documents are reused and it becomes the fallback slot.
            on_progress: Called with each :class:`SyncStatus` (checking, downloading n of m,
                and the final state).

        Returns:
            The outcome; failures are reported in it (``offline``, ``rejected``, ``error``)
            rather than raised. An ``OSError`` while saving (e.g. disk full) is ``error`` with
            the ``OSError`` in :attr:`SyncResult.error`.
        """

        def emit(status: SyncStatus) -> None:
            if on_progress is None:
                return
            try:
                on_progress(status)
            except Exception:  # a broken status line must not break the update
                _log.exception("Update progress callback failed")

        self._requests = self._bytes = self._done = self._total = 0
        self._roots_kept = False
        self._root: TrustedRoot | None = None
        t0 = self._now()
        self._started = self._monotonic()
        emit(SyncStatus("checking", "Checking for updates…"))
        if serving is None:
            serving = self.content.load()
        root = serving.root if serving.root is not None else self.content.trusted_root()[0]
        self._root = root
        try:
            outcome = await self._update(t0, serving, root, emit)
        except SyncError as exc:
            return self._failure(exc.state, exc, serving, emit)
        except OSError as exc:
            return self._failure("error", exc, serving, emit)
        if outcome.state == "installed":
            message = f"installed version {outcome.version}"
        else:
            message = f"up to date (version {outcome.version})"
        emit(SyncStatus(outcome.state, message))
        return SyncResult(
            state=outcome.state,
            message=message,
            version=outcome.version,
            previous_version=serving.version,
            changes=outcome.changes,
            requests=self._requests,
            bytes_downloaded=self._bytes,
            not_modified=outcome.not_modified,
            root_version=self._root.version,
            content=outcome.content,
        )

    def _failure(
        self,
        state: SyncState,
        exc: BaseException,
        serving: LoadedContent,
        emit: Callable[[SyncStatus], None],
    ) -> SyncResult:
        content: LoadedContent | None = None
        in_use = serving
        if self._roots_kept:
            # New roots were kept (they verified): the content in use is checked again under
            # them, so what they revoked is no longer served.
            content = in_use = self.content.load()
        reason = str(exc).rstrip(".") or type(exc).__name__
        if state == "rejected":
            message = f"Update rejected: {reason}."
        elif state == "offline":
            message = f"Offline: {reason}. Using version {in_use.version}."
        else:
            if isinstance(exc, OSError) and not isinstance(exc, SyncError):
                reason = f"could not save the update ({exc.strerror or exc})"
            message = f"Update failed: {reason}. Still using version {in_use.version}."
        _log.info("Update %s: %s", state, message)
        emit(SyncStatus(state, message))
        return SyncResult(
            state=state,
            message=message,
            version=in_use.version,
            previous_version=serving.version,
            requests=self._requests,
            bytes_downloaded=self._bytes,
            root_version=self._root.version if self._root is not None else 1,
            error=exc,
            content=content,
        )

    # --- requests under the overall deadline --------------------------------------------------

    def _budget(self) -> float:
        left = self.deadline - (self._monotonic() - self._started)
        if left <= 0:
            raise self._deadline_error()
        return min(self.timeout, left)

    def _deadline_error(self) -> DeadlineError:
        progress = (f" ({self._done} of {self._total} documents downloaded)"
                    if self._total else "")
        return DeadlineError(
            f"the update did not finish within its overall deadline of {self.deadline:g} s"
            f"{progress}; {self.source.description} is too slow"
        )

    async def _call(self, request: Callable[[float], Awaitable[T]]) -> T:
        budget = self._budget()
        self._requests += 1
        try:
            return await request(budget)
        except DownloadTimeoutError:
            if budget < self.timeout:
                raise self._deadline_error() from None
            raise

    def _count(self, data: bytes | None) -> None:
        if data is not None:
            self._bytes += len(data)

    # --- the update ---------------------------------------------------------------------------

    def _validators(self, serving: LoadedContent) -> Validators | None:
        if serving.envelope is None:
            return None
        saved = self.content.read_validators()
        if saved is None or saved.envelope_sha256 != sha256_hex(serving.envelope):
            return None
        return saved

    def _fresh(self, serving: LoadedContent, root: TrustedRoot, t0: datetime) -> bool:
        return (serving.manifest is not None and not serving.manifest.is_expired(t0)
                and not root.is_expired(t0))

    async def _read_manifest(self, serving: LoadedContent, root: TrustedRoot, t0: datetime
                             ) -> Fetched:
        validators = self._validators(serving)
        fetched = await self._call(lambda t: self.source.manifest(validators, t))
        self._count(fetched.body)
        if fetched.not_modified and not self._fresh(serving, root, t0):
            # "Not modified" for an expired manifest: ask again in full, so the expiry check
            # sees what the host really serves.
            fetched = await self._call(lambda t: self.source.manifest(None, t))
            self._count(fetched.body)
        if fetched.not_modified and validators is None:
            raise HTTPStatusError(f"{fetched.url} answered 304 to a request without "
                                  "validators", fetched.url, 304)
        return fetched

    async def _walk_roots(self, root: TrustedRoot) -> list[TrustedRoot]:
        new: list[TrustedRoot] = []
        for _ in range(MAX_ROOT_ROTATIONS):
            version = root.version + 1
            raw = await self._call(partial(self.source.root, version))
            self._count(raw)
            if raw is None:
                break
            root = verify_next_root(root, raw)
            new.append(root)
            self._root = root
            if self.source.persist_roots_early:
                self.content.save_roots([root])
                self._roots_kept = True
        return new

    async def _update(
        self, t0: datetime, serving: LoadedContent, root: TrustedRoot,
        emit: Callable[[SyncStatus], None],
    ) -> _Outcome:
        fetched = await self._read_manifest(serving, root, t0)
        if fetched.body is None:
            return _Outcome("up_to_date", serving.version, not_modified=True)
        envelope = fetched.body
        new_roots = await self._walk_roots(root)
        if new_roots:
            root = new_roots[-1]
        floor = self.content.rollback_floor(serving, root)
        verified = verify_manifest(root, envelope, floor=floor, now=t0,
                                   app_version=self.app_version)
        manifest = verified.manifest
        pending_roots = [] if self.source.persist_roots_early else new_roots
        if manifest.version == serving.version:
            if manifest.digests() != serving.digests:
                raise EqualVersionConflictError(
                    f"pack version {manifest.version} lists other documents than the "
                    "installed version with the same number"
                )
            if serving.source == "bundled" or envelope == serving.envelope:
                if pending_roots:
                    self.content.save_roots(pending_roots)
                self._remember(fetched, envelope)
                if new_roots and self.source.persist_roots_early:
                    reloaded = self.content.load()
                    self._roots_kept = False
                    return _Outcome("up_to_date", serving.version, content=reloaded)
                return _Outcome("up_to_date", serving.version)
            # The same version signed again (e.g. under new keys): keep the new signatures.
            pack = verify_pack(root, envelope, lambda p, _e: serving.documents.get(p),
                               floor=floor, now=t0, app_version=self.app_version)
            self.content.install(pack, pending_roots, source=self.source.description,
                                 serving=serving)
            self._roots_kept = False
            self._remember(fetched, envelope)
            return _Outcome("up_to_date", serving.version,
                            content=LoadedContent.from_pack(pack, "installed"))
        files = await self._collect(manifest, serving, emit)
        pack = verify_pack(root, envelope, lambda p, _e: files.get(p), floor=floor, now=t0,
                           app_version=self.app_version)
        self.content.install(pack, pending_roots, source=self.source.description,
                             serving=serving)
        self._roots_kept = False
        self._remember(fetched, envelope)
        changes = tuple(_diff(serving.digests, manifest))
        return _Outcome("installed", manifest.version, changes,
                        LoadedContent.from_pack(pack, "installed"))

    def _remember(self, fetched: Fetched, envelope: bytes) -> None:
        if fetched.etag or fetched.last_modified:
            self.content.write_validators(Validators(
                url=fetched.url, etag=fetched.etag, last_modified=fetched.last_modified,
                envelope_sha256=sha256_hex(envelope)))

    async def _collect(
        self, manifest: SignedManifest, serving: LoadedContent,
        emit: Callable[[SyncStatus], None],
    ) -> dict[str, bytes]:
        """Every document of ``manifest``: reused from the device by sha256, or read."""
        pool: dict[str, bytes] = {}
        for source in (bundled_content().documents, serving.documents):
            for data in source.values():
                pool[sha256_hex(data)] = data
        wanted: dict[str, tuple[str, ManifestEntry]] = {}
        for path, entry in manifest.files.items():
            if entry.sha256 not in pool:
                wanted.setdefault(entry.sha256, (path, entry))
        if wanted:
            pool.update(await self._download(list(wanted.values()), emit))
        return {path: pool[entry.sha256] for path, entry in manifest.files.items()
                if entry.sha256 in pool}

    async def _download(
        self, entries: list[tuple[str, ManifestEntry]], emit: Callable[[SyncStatus], None]
    ) -> dict[str, bytes]:
        self._total = len(entries)
        self._done = 0
        results: dict[str, bytes] = {}
        queue: Iterator[tuple[str, ManifestEntry]] = iter(entries)
        emit(SyncStatus("downloading", f"downloading 0 of {self._total}", 0, self._total))

        async def fetch(path: str, entry: ManifestEntry) -> bytes:
            return await self._call(lambda t: self.source.document(path, entry, t))

        async def worker() -> None:
            for path, entry in queue:
                data = await fetch(path, entry)
                self._count(data)
                results[entry.sha256] = data
                self._done += 1
                emit(SyncStatus("downloading", f"downloading {self._done} of {self._total}",
                                self._done, self._total))

        tasks = [asyncio.ensure_future(worker())
                 for _ in range(min(self.concurrency, self._total))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return results


class SyncClient:
    """An :class:`Updater` on the update host (the network path, as the app and the CLI use it)."""

    def __init__(
        self,
        base_url: str,
        content: ContentStore,
        fetcher: Fetcher,
        *,
        now: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        timeout: float = DEFAULT_TIMEOUT_S,
        deadline: float = DEFAULT_DEADLINE_S,
        manifest_max_bytes: int = MANIFEST_MAX_BYTES,
        concurrency: int = 8,
        app_version: str = __version__,
    ) -> None:
        """Configure the client (arguments as for :class:`Updater` and
        :class:`~mobile_app.sync.http.HttpSource`).
        """
        self.source = HttpSource(base_url, fetcher, manifest_max_bytes=manifest_max_bytes)
        self.content = content
        self.updater = Updater(content, self.source, now=now, monotonic=monotonic,
                               timeout=timeout, deadline=deadline, concurrency=concurrency,
                               app_version=app_version)

    @property
    def base_url(self) -> str:
        """The publisher output's URL, ending in ``/``."""
        return self.source.base_url

    @property
    def manifest_url(self) -> str:
        """Where the signed manifest is fetched from."""
        return self.source.manifest_url

    async def sync(self, on_progress: Callable[[SyncStatus], None] | None = None,
                   serving: LoadedContent | None = None) -> SyncResult:
        """Run one update (see :meth:`Updater.run`)."""
        return await self.updater.run(serving, on_progress)


def _diff(before: Mapping[str, str], manifest: SignedManifest) -> Iterator[ChangeEntry]:
    after = manifest.digests()
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        kind: ChangeKind = "added" if old is None else "removed" if new is None else "changed"
        ident = doc_id(path)
        yield ChangeEntry(id=ident, path=path, kind=kind, note=manifest.changes.get(ident, ""))


def changes_of(content: LoadedContent) -> tuple[ChangeEntry, ...]:
    """The changelog signed into ``content``'s manifest (after a restart: kind ``updated``)."""
    return tuple(ChangeEntry(i, "", "updated", note) for i, note in sorted(content.changes.items()))

