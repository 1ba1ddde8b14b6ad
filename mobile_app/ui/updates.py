"""Content updates for the UI: the content in use, sync on start and on demand, the status line
and "what changed". A plain class (no Flet): views render :class:`UpdateInfo` snapshots.

One :class:`ContentService` per process in server mode (content is not per user: every browser
of the server sees the same verified content) and one per page in the browser build. Sessions
subscribe to be told when the content or the status changes; a failing listener (a closed
session) is dropped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.sync.client import ChangeEntry, Fetcher, SyncClient, SyncResult, SyncStatus
from mobile_app.sync.content import ContentStore, LoadedContent, bundled_content

__all__ = ["ChangeRow", "ContentService", "UpdateInfo"]

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
class ChangeRow:
    """One changed card or calculator, for the "What changed" screen."""

    id: str
    kind: str
    """``added``, ``changed``, ``removed`` or ``updated`` (kind unknown after a restart)."""
    note: str


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
    changes: tuple[ChangeRow, ...]
    installed_now: bool
    """Whether this process installed the content now in use (show "updated" once)."""
    previous_version: int | None = None

    @property
    def source_text(self) -> str:
        """Where the content comes from, in words."""
        return SOURCE_TEXT.get(self.source, self.source)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class ContentService:
    """Owns the content in use and runs syncs; see the module docstring."""

    store: ContentStore | None
    url: str | None
    fetcher_factory: Callable[[], Fetcher] | None = None
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    recheck_after: timedelta = timedelta(minutes=15)
    after_install: Callable[[], None] | None = None
    """Called after new content was installed (the browser build saves its files)."""
    timeout_s: float = 15.0
    off_reason: str = ""
    """Why updates are off although they might be wanted (shown instead of the default)."""

    def __post_init__(self) -> None:
        self.content: LoadedContent = self.store.load() if self.store else bundled_content()
        self._prepare(self.content.kb)
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
        """Whether a sync is running."""
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
            changes=self._change_rows(), installed_now=self._changes is not None,
            previous_version=self._previous_version,
        )

    def _change_rows(self) -> tuple[ChangeRow, ...]:
        if self._changes is not None:
            return tuple(ChangeRow(c.id, c.kind, c.note) for c in self._changes)
        # After a restart: the changelog signed into the manifest of the installed version.
        changes = sorted(self.content.changes.items())
        return tuple(ChangeRow(i, "updated", note) for i, note in changes)

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

    # --- syncing ------------------------------------------------------------------------------

    async def check(self) -> SyncResult | None:
        """Sync now (or join the sync already running). Never raises for network or content
        problems: they end in the status line and the installed content stays in use.

        Returns:
            The outcome, or ``None`` when no update source is configured.
        """
        if not self.url or self.store is None or self.fetcher_factory is None:
            self.state, self.message = "unconfigured", self._off_message()
            self._notify()
            return None
        if self._running is not None and not self._running.done():
            return await asyncio.shield(self._running)
        self._running = asyncio.ensure_future(self._sync(self.url, self.store,
                                                         self.fetcher_factory))
        return await asyncio.shield(self._running)

    async def _sync(self, url: str, store: ContentStore,
                    factory: Callable[[], Fetcher]) -> SyncResult | None:
        fetcher = factory()
        client = SyncClient(url, store, fetcher, now=self.now, timeout=self.timeout_s)
        try:
            result = await client.sync(self._progress)
        except Exception as exc:  # a bug must not take the app down; the content stays
            log.exception("sync failed unexpectedly")
            self.state, self.message = "error", f"Update failed: {exc}"
            self.checked_at = self.now()
            self._notify()
            return None
        finally:
            aclose = getattr(fetcher, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except Exception:
                    log.debug("closing the fetcher failed", exc_info=True)
        self.checked_at = self.now()
        self.state = result.state
        self.message = _capitalised(result.message)
        if result.state == "installed" and result.content is not None:
            self._prepare(result.content.kb)
            self._previous_version = result.previous_version
            self.content = result.content
            self._changes = result.changes
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
