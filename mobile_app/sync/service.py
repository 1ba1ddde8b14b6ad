"""The content in use and its updates, for the app: sync on start and on demand, update files
in and out, the status line and "what changed". A plain class (no Flet): views render
:class:`UpdateInfo` snapshots.

One :class:`ContentService` per process in server mode (content is not per user: every browser
of the server sees the same verified content) and one per page in the browser build. Sessions
subscribe to be told when the content or the status changes; a failing listener (a closed
session) is dropped. One update runs at a time, whether from the update host or from a file.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from mobile_app.config import DEFAULT_DEADLINE_S, DEFAULT_TIMEOUT_S
from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.sync.content import ContentStore, LoadedContent, bundled_content
from mobile_app.sync.errors import SyncError

if TYPE_CHECKING:
    # The update machinery (client, sources, signature checks) is imported when an update
    # runs, not to show the content at start-up.
    from mobile_app.sync.client import ChangeEntry, SyncResult, SyncStatus
    from mobile_app.sync.http import Fetcher

__all__ = ["ContentService", "UpdateInfo", "UpdateState"]

log = logging.getLogger(__name__)

UpdateState = Literal[
    "unconfigured", "idle", "checking", "downloading", "installed", "up_to_date", "offline",
    "rejected", "error",
]

SOURCE_TEXT = {
    "installed": "installed update, signature verified",
    "previous": "previous update (the latest one failed verification), signature verified",
    "bundled": "bundled with the app",
}


@dataclass(frozen=True)
class UpdateInfo:
    """A snapshot of the content and update status for the views."""

    version: int
    source: str
    verification: str
    issued: str
    expired: bool
    expires: datetime | None
    problems: tuple[str, ...]
    state: UpdateState
    message: str
    checked_at: datetime | None
    configured: bool
    busy: bool
    changes: tuple[ChangeEntry, ...]
    installed_now: bool
    """Whether this process installed the content now in use (show "updated" once)."""
    previous_version: int | None = None
    shareable: bool = False
    """Whether the content in use can be exported as an update file (it was signed)."""
    can_import: bool = False
    """Whether update files can be imported (content can be installed here)."""

    @property
    def source_text(self) -> str:
        """Where the content comes from, in words."""
        return SOURCE_TEXT.get(self.source, self.source)


def _changes_of(content: LoadedContent) -> tuple[ChangeEntry, ...]:
    """The signed changelog of ``content`` (none for the bundled content)."""
    if not content.changes:
        return ()
    from mobile_app.sync.client import changes_of

    return changes_of(content)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class ContentService:
    """Owns the content in use and runs updates; see the module docstring."""

    store: ContentStore | None
    url: str | None
    fetcher_factory: Callable[[], Fetcher] | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    recheck_after: timedelta = timedelta(minutes=15)
    after_install: Callable[[], None] | None = None
    """Called after new content was installed (the browser build saves its files)."""
    timeout_s: float = DEFAULT_TIMEOUT_S
    deadline_s: float = DEFAULT_DEADLINE_S
    off_reason: str = ""
    """Why updates are off although they might be wanted (shown instead of the default)."""

    def __post_init__(self) -> None:
        # The search index of the first content is built on first use (the app builds it
        # after its first screen, or before serving); updates build it before they are shown.
        self.content: LoadedContent = self.store.load() if self.store else bundled_content()
        self.state: UpdateState = "idle" if self.url else "unconfigured"
        self.message = ("Not checked yet" if self.url
                        else self._off_message())
        self.checked_at: datetime | None = None
        self._changes: tuple[ChangeEntry, ...] | None = None
        self._previous_version: int | None = None
        self._running: asyncio.Future[SyncResult | None] | None = None
        self._listeners: list[Callable[[], None]] = []

    # --- reading ------------------------------------------------------------------------------

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base to show."""
        return self.content.kb

    @property
    def busy(self) -> bool:
        """Whether an update is running."""
        return self._running is not None and not self._running.done()

    def due(self) -> bool:
        """Whether a sync on start should run (configured, idle, not checked recently)."""
        if not self.url or self.busy:
            return False
        return self.checked_at is None or self.now() - self.checked_at >= self.recheck_after

    def info(self) -> UpdateInfo:
        """A snapshot for the views."""
        c = self.content
        return UpdateInfo(
            version=c.version, source=c.source, verification=c.verification,
            issued=c.kb.issued.isoformat(), expired=c.expired, expires=c.expires,
            problems=tuple(c.problems), state=self.state, message=self.message,
            checked_at=self.checked_at, configured=bool(self.url), busy=self.busy,
            changes=self._changes if self._changes is not None else _changes_of(c),
            installed_now=self._changes is not None,
            previous_version=self._previous_version, shareable=c.shareable,
            can_import=self.store is not None,
        )

    def _off_message(self) -> str:
        return self.off_reason or "No update source configured; showing the content below"

    # --- listeners ----------------------------------------------------------------------------

    def subscribe(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call ``listener()`` after every change of content or status; returns unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _notify(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:
                log.warning("dropping a content listener that failed", exc_info=True)
                if listener in self._listeners:
                    self._listeners.remove(listener)

    # --- updating -----------------------------------------------------------------------------

    async def check(self) -> SyncResult | None:
        """Sync from the update host now (or join the update already running). Never raises
        for network or content problems: they end in the status line and the installed
        content stays in use.

        Returns:
            The outcome, or ``None`` when no update source is configured.
        """
        if not self.url or self.store is None or self.fetcher_factory is None:
            self.state, self.message = "unconfigured", self._off_message()
            self._notify()
            return None
        url, store, factory = self.url, self.store, self.fetcher_factory
        from mobile_app.sync.client import SyncClient

        async def network() -> SyncResult:
            fetcher = factory()
            client = SyncClient(url, store, fetcher, now=self.now, timeout=self.timeout_s,
                                deadline=self.deadline_s)
            try:
                return await client.sync(self._progress, serving=self.content)
            finally:
                aclose = getattr(fetcher, "aclose", None)
                if aclose is not None:
                    try:
                        await aclose()
                    except Exception:
                        log.debug("closing the fetcher failed", exc_info=True)

        return await self._exclusive(network, record_check=True)

    async def import_pack(self, data: bytes, name: str = "update file") -> SyncResult | None:
        """Install an update file with exactly the checks of a network update (waits for an
        update already running). A file that fails any check is refused with the reason in
        the status line; nothing changes then.

        Returns:
            The outcome, or ``None`` when content cannot be installed here.
        """
        store = self.store
        if store is None:
            self.state, self.message = "error", "Update files cannot be imported here"
            self._notify()
            return None

        from mobile_app.sync.client import Updater
        from mobile_app.sync.pack import PackSource

        async def from_file() -> SyncResult:
            try:
                source = PackSource(data, name)
            except SyncError as exc:
                return self._refused(exc)
            updater = Updater(store, source, now=self.now, timeout=self.timeout_s,
                              deadline=self.deadline_s)
            return await updater.run(self.content, self._progress)

        while self.busy:
            assert self._running is not None
            await asyncio.shield(self._running)
        return await self._exclusive(from_file, record_check=False)

    def export_pack(self) -> tuple[str, bytes]:
        """The content in use as an update file for another device: (file name, bytes).

        Raises:
            SignatureError: The content in use is the bundled one (nothing signed to share).
            RuntimeError: No content store (updates are unavailable here).
        """
        if self.store is None:
            raise RuntimeError("content updates are unavailable here")
        from mobile_app.sync.pack import pack_name

        return pack_name(self.content.version), self.store.export_pack(self.content)

    def _refused(self, exc: SyncError) -> SyncResult:
        from mobile_app.sync.client import SyncResult

        reason = str(exc).rstrip(".")
        return SyncResult(state=exc.state if exc.state != "offline" else "error",
                          message=f"Update rejected: {reason}.", version=self.content.version,
                          previous_version=self.content.version, error=exc)

    async def _exclusive(self, run: Callable[[], Awaitable[SyncResult]],
                         record_check: bool) -> SyncResult | None:
        if self._running is not None and not self._running.done():
            return await asyncio.shield(self._running)
        self._running = asyncio.ensure_future(self._apply(run, record_check))
        return await asyncio.shield(self._running)

    async def _apply(self, run: Callable[[], Awaitable[SyncResult]],
                     record_check: bool) -> SyncResult | None:
        try:
            result = await run()
        except Exception as exc:  # a bug must not take the app down; the content stays
            log.exception("update failed unexpectedly")
            self.state, self.message = "error", f"Update failed: {exc}"
            if record_check:
                self.checked_at = self.now()
            self._notify()
            return None
        if record_check:
            self.checked_at = self.now()
        self.state = result.state
        self.message = _capitalised(result.message)
        if result.content is not None:
            self._prepare(result.content.kb)
            if result.state == "installed":
                self._previous_version = result.previous_version
                self._changes = result.changes
            self.content = result.content
            if self.after_install is not None:
                try:
                    self.after_install()
                except Exception:
                    log.exception("after_install hook failed")
        self._notify()
        return result

    def _progress(self, status: SyncStatus) -> None:
        if status.state in ("checking", "downloading"):
            self.state = status.state
            self.message = _capitalised(status.message)
            self._notify()

    @staticmethod
    def _prepare(kb: KnowledgeBase) -> None:
        kb.index  # noqa: B018  (build the search index before the content is swapped in)
