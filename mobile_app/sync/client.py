"""The sync client: fetch, verify and install a signed knowledge-base update.

Order of checks (sync-design §7; nothing is parsed before its signature or hash verified):

1. fix the start time ``t0``; load the installed content (re-verified);
2. download ``manifest.json`` (at most 256 KiB) and verify the DSSE signature over its raw bytes;
3. parse the signed body (closed pydantic model); check ``min_app_version``;
4. ``version`` below the highest version seen → :class:`RollbackError`;
5. ``expires`` at or before ``t0`` → :class:`FreezeError` (installed content stays in use);
6. same version as installed: same documents → up to date; different → conflict;
7. download only documents whose sha256 is not already on the device, each capped at its
   signed length and checked against its sha256;
8. validate the complete new knowledge base, then install it atomically
   (:meth:`ContentStore.install`).

The core is pure Python and ``async``: it runs under CPython with :class:`HttpxFetcher` and can
run under Pyodide with a fetcher built on the browser's ``fetch`` (anything satisfying
:class:`Fetcher`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Literal, Protocol, Self

from pydantic import ValidationError

from mobile_app import __version__
from mobile_app.knowledge.loader import MANIFEST, KBValidationError, load_files
from mobile_app.sync.content import ContentStore, LoadedContent, bundled_content, sha256_hex
from mobile_app.sync.envelope import TrustedKeys, verify_envelope
from mobile_app.sync.errors import (
    AppTooOldError,
    ContentInvalidError,
    DownloadTimeoutError,
    EqualVersionConflictError,
    FreezeError,
    HashMismatchError,
    HTTPStatusError,
    LengthMismatchError,
    ManifestFormatError,
    NetworkError,
    RedirectError,
    RollbackError,
    SyncError,
    TooLargeError,
    TruncatedError,
)
from mobile_app.sync.manifest import (
    MANIFEST_MAX_BYTES,
    FileEntry,
    SignedManifest,
    app_version_tuple,
    doc_id,
    kb_manifest_bytes,
)

if TYPE_CHECKING:
    import httpx

__all__ = [
    "MANIFEST_MAX_BYTES",
    "ChangeEntry",
    "Fetcher",
    "HttpxFetcher",
    "SyncClient",
    "SyncResult",
    "SyncState",
    "SyncStatus",
]

_log = logging.getLogger(__name__)

SyncState = Literal[
    "checking", "downloading", "installed", "up_to_date", "offline", "rejected", "error"
]


class Fetcher(Protocol):
    """Downloads one URL completely, or raises a :class:`DownloadError` subclass.

    Implementations must stop reading and raise :class:`TooLargeError` as soon as more than
    ``max_bytes`` arrive, raise :class:`DownloadTimeoutError` when the whole response has not
    arrived within ``timeout`` seconds, :class:`HTTPStatusError` for a status other than 200,
    :class:`TruncatedError` when the body ends early, :class:`RedirectError` for a redirect to
    another origin and :class:`NetworkError` when the server cannot be reached.
    """

    async def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """Return the body of a 200 response to ``GET url``."""
        ...


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


class HttpxFetcher:
    """A :class:`Fetcher` on ``httpx.AsyncClient`` (server mode and the CLI).

    Streams every response and counts bytes as they arrive (after content decoding, so a
    compression bomb is capped too), enforces an overall deadline per request and follows
    redirects only within the same origin. Use it as an async context manager, or call
    :meth:`aclose`, to release connections.
    """

    def __init__(
        self,
        client: httpx.AsyncClient | None = None,
        *,
        max_redirects: int = 3,
        trust_env: bool = True,
    ) -> None:
        """Create the fetcher.

        Args:
            client: An ``httpx.AsyncClient`` to use (not closed by :meth:`aclose`); by default
                one is created on first use and owned by this fetcher.
            max_redirects: How many same-origin redirects to follow.
            trust_env: Whether the owned client honours proxy environment variables.
        """
        self._client = client
        self._owned = client is None
        self._max_redirects = max_redirects
        self._trust_env = trust_env

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(follow_redirects=False, trust_env=self._trust_env)
        return self._client

    async def aclose(self) -> None:
        """Close the owned HTTP client (idempotent)."""
        if self._owned and self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """Download ``url`` (see :class:`Fetcher`)."""
        import httpx

        try:
            async with asyncio.timeout(timeout):
                return await self._get(url, max_bytes, timeout)
        except TimeoutError:
            raise DownloadTimeoutError(
                f"{url} did not arrive within {timeout:g} s", url
            ) from None
        except httpx.TimeoutException:
            raise DownloadTimeoutError(f"{url} timed out", url) from None
        except httpx.RemoteProtocolError as exc:
            raise TruncatedError(f"{url}: connection ended early ({exc})", url) from None
        except httpx.DecodingError as exc:
            raise TruncatedError(f"{url}: body could not be decoded ({exc})", url) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"cannot reach {url} ({type(exc).__name__}: {exc or 'no detail'})", url
            ) from None

    async def _get(self, url: str, max_bytes: int, timeout: float) -> bytes:
        import httpx

        client = self._http()
        start = httpx.URL(url)
        current = start
        for _ in range(self._max_redirects + 1):
            request = client.build_request(
                "GET", current, timeout=httpx.Timeout(timeout)
            )
            response = await client.send(request, stream=True)
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    target = current.join(location)
                    if _origin(target) != _origin(start):
                        raise RedirectError(
                            f"{url} redirects to another origin ({target}); refused", url
                        )
                    current = target
                    continue
                if response.status_code != 200:
                    raise HTTPStatusError(
                        f"{current} answered HTTP {response.status_code}", url,
                        response.status_code,
                    )
                announced = response.headers.get("content-length", "")
                if announced.isdigit() and int(announced) > max_bytes and (
                    "content-encoding" not in response.headers
                ):
                    raise TooLargeError(
                        f"{url} announces {announced} bytes; at most {max_bytes} are allowed",
                        url, max_bytes,
                    )
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > max_bytes:
                        raise TooLargeError(
                            f"{url} sent more than {max_bytes} bytes; download aborted",
                            url, max_bytes,
                        )
                return bytes(body)
            finally:
                await response.aclose()
        raise RedirectError(f"{url}: more than {self._max_redirects} redirects", url)


@dataclass(frozen=True)
class SyncStatus:
    """Progress of a sync, for a status line.

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
    """One document that differs between the content before and after an update.

    Attributes:
        id: Card or calculator id (the file stem; ``references``/``synonyms`` for those).
        path: Document path in the knowledge base.
        kind: ``added``, ``changed`` or ``removed``.
        note: The publisher's changelog text for this id in the installed version ("" when
            the version skipped over the release that changed it).
    """

    id: str
    path: str
    kind: Literal["added", "changed", "removed"]
    note: str


@dataclass(frozen=True)
class SyncResult:
    """Outcome of :meth:`SyncClient.sync`.

    Attributes:
        state: Final state: ``installed``, ``up_to_date``, ``offline``, ``rejected`` or
            ``error``.
        message: Human text for the status line.
        version: The content version in use after the sync.
        previous_version: The version in use before the sync.
        changes: What changed (only for ``installed``).
        requests: HTTP requests made.
        bytes_downloaded: Body bytes received by completed requests.
        error: The failure (``None`` when ``ok``).
        content: The newly installed content for the UI to swap in (``installed`` only).
    """

    state: SyncState
    message: str
    version: int
    previous_version: int
    changes: tuple[ChangeEntry, ...] = ()
    requests: int = 0
    bytes_downloaded: int = 0
    error: BaseException | None = field(default=None, compare=False)
    content: LoadedContent | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Whether the sync ended installed or up to date."""
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


class SyncClient:
    """Pulls signed updates from a static publisher origin into a :class:`ContentStore`."""

    def __init__(
        self,
        base_url: str,
        content: ContentStore,
        fetcher: Fetcher,
        *,
        keys: TrustedKeys | None = None,
        now: Callable[[], datetime] | None = None,
        timeout: float = 15.0,
        manifest_max_bytes: int = MANIFEST_MAX_BYTES,
        concurrency: int = 8,
        app_version: str = __version__,
    ) -> None:
        """Configure the client.

        Args:
            base_url: The publisher output's URL (``manifest.json`` and ``docs/`` below it); a
                URL ending in ``/manifest.json`` is accepted too.
            content: Where content is installed.
            fetcher: The HTTP implementation.
            keys: Trusted publisher keys (default: the content store's keys).
            now: Clock returning a timezone-aware datetime (default: UTC now).
            timeout: Deadline in seconds for each request, body included.
            manifest_max_bytes: Cap on the manifest download.
            concurrency: Documents downloaded at the same time.
            app_version: This app's version, compared with ``min_app_version``.
        """
        if base_url.endswith("/" + MANIFEST):
            base_url = base_url[: -len(MANIFEST)]
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.content = content
        self.fetcher = fetcher
        self.keys = keys if keys is not None else content.keys
        self._now = now or (lambda: datetime.now(UTC))
        self.timeout = timeout
        self.manifest_max_bytes = manifest_max_bytes
        self.concurrency = max(1, concurrency)
        self.app_version = app_version
        self._requests = 0
        self._bytes = 0

    @property
    def manifest_url(self) -> str:
        """Where the signed manifest is fetched from."""
        return self.base_url + MANIFEST

    def doc_url(self, sha256: str) -> str:
        """Where a content-addressed document is fetched from."""
        return f"{self.base_url}docs/{sha256}.json"

    async def sync(self, on_progress: Callable[[SyncStatus], None] | None = None) -> SyncResult:
        """Check for an update and install it if it verifies; never touches the installed
        content on failure.

        Args:
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
                _log.exception("Sync progress callback failed")

        self._requests = 0
        self._bytes = 0
        t0 = self._now()
        emit(SyncStatus("checking", "Checking for updates…"))
        serving = self.content.load()
        try:
            outcome = await self._sync(t0, serving, emit)
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
            content=outcome.content,
        )

    def _failure(
        self,
        state: SyncState,
        exc: BaseException,
        serving: LoadedContent,
        emit: Callable[[SyncStatus], None],
    ) -> SyncResult:
        reason = str(exc).rstrip(".") or type(exc).__name__
        if state == "rejected":
            message = f"Update rejected: {reason}."
        elif state == "offline":
            message = f"Offline: {reason}. Using version {serving.version}."
        else:
            if isinstance(exc, OSError) and not isinstance(exc, SyncError):
                reason = f"could not save the update ({exc.strerror or exc})"
            message = f"Update failed: {reason}. Still using version {serving.version}."
        _log.info("Sync %s: %s", state, message)
        emit(SyncStatus(state, message))
        return SyncResult(
            state=state,
            message=message,
            version=serving.version,
            previous_version=serving.version,
            requests=self._requests,
            bytes_downloaded=self._bytes,
            error=exc,
        )

    async def _fetch(self, url: str, max_bytes: int) -> bytes:
        self._requests += 1
        data = await self.fetcher.get(url, max_bytes=max_bytes, timeout=self.timeout)
        self._bytes += len(data)
        return data

    async def _sync(
        self, t0: datetime, serving: LoadedContent, emit: Callable[[SyncStatus], None]
    ) -> _Outcome:
        raw = await self._fetch(self.manifest_url, self.manifest_max_bytes)
        verified = verify_envelope(raw, self.keys)
        try:
            manifest = SignedManifest.model_validate_json(verified.body)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ManifestFormatError(
                f"signed manifest does not match the schema ({where}: {first['msg']})"
            ) from None
        if app_version_tuple(manifest.min_app_version) > app_version_tuple(self.app_version):
            raise AppTooOldError(
                f"pack version {manifest.version} needs app version "
                f"{manifest.min_app_version} or later; this is {self.app_version}"
            )
        floor = self.content.rollback_floor(serving)
        if manifest.version < floor:
            what = (
                f"installed {floor}" if floor == serving.version
                else f"version {floor} already seen"
            )
            raise RollbackError(f"pack version {manifest.version} is older than {what}")
        if manifest.is_expired(t0):
            raise FreezeError(
                f"pack version {manifest.version} expired on "
                f"{manifest.expires.isoformat(timespec='minutes')} (device time "
                f"{t0.isoformat(timespec='minutes')}); keeping version {serving.version}"
            )
        if manifest.version == serving.version:
            if manifest.digests() == serving.digests:
                return _Outcome("up_to_date", serving.version)
            raise EqualVersionConflictError(
                f"pack version {manifest.version} lists other documents than the installed "
                "version with the same number"
            )
        files = await self._collect(manifest, serving, emit)
        try:
            kb = load_files({**files, MANIFEST: kb_manifest_bytes(manifest)})
        except KBValidationError as exc:
            raise ContentInvalidError(
                f"pack version {manifest.version} fails validation: "
                + "; ".join(exc.problems[:3]),
                exc.problems,
            ) from None
        self.content.install(raw, manifest, files, source=self.base_url, serving=serving)
        installed = LoadedContent(
            kb=kb,
            source="installed",
            version=manifest.version,
            verification=(
                f"signature by trusted key {', '.join(verified.keyids)} and {len(files)} "
                "document hashes verified; schema valid"
            ),
            manifest=manifest,
            documents=files,
            keyids=verified.keyids,
        )
        changes = tuple(_diff(serving.digests, manifest))
        return _Outcome("installed", manifest.version, changes, installed)

    async def _collect(
        self, manifest: SignedManifest, serving: LoadedContent, emit: Callable[[SyncStatus], None]
    ) -> dict[str, bytes]:
        """Every document of ``manifest``: reused from the device by sha256, or downloaded."""
        pool: dict[str, bytes] = {}
        for source in (bundled_content().documents, serving.documents):
            for data in source.values():
                pool[sha256_hex(data)] = data
        wanted: dict[str, FileEntry] = {}
        for entry in manifest.files.values():
            if entry.sha256 not in pool:
                wanted.setdefault(entry.sha256, entry)
        if wanted:
            pool.update(await self._download(list(wanted.values()), emit))
        files: dict[str, bytes] = {}
        for path, entry in manifest.files.items():
            data = pool[entry.sha256]
            if len(data) != entry.length:
                raise LengthMismatchError(
                    f"{path} has {len(data)} bytes; the signed length is {entry.length}"
                )
            files[path] = data
        return files

    async def _download(
        self, entries: list[FileEntry], emit: Callable[[SyncStatus], None]
    ) -> dict[str, bytes]:
        total = len(entries)
        done = 0
        results: dict[str, bytes] = {}
        queue: Iterator[FileEntry] = iter(entries)
        emit(SyncStatus("downloading", f"downloading 0 of {total}", 0, total))

        async def worker() -> None:
            nonlocal done
            for entry in queue:
                url = self.doc_url(entry.sha256)
                data = await self._fetch(url, entry.length)
                _check_document(url, entry, data)
                results[entry.sha256] = data
                done += 1
                emit(SyncStatus("downloading", f"downloading {done} of {total}", done, total))

        tasks = [asyncio.ensure_future(worker()) for _ in range(min(self.concurrency, total))]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return results


def _check_document(url: str, entry: FileEntry, data: bytes) -> None:
    if len(data) != entry.length:
        raise LengthMismatchError(
            f"{url} sent {len(data)} bytes; the signed length is {entry.length}"
        )
    if sha256_hex(data) != entry.sha256:
        raise HashMismatchError(f"{url} does not match its signed sha256")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentInvalidError(f"{url} is not UTF-8 text", [f"{url}: not UTF-8"]) from None


def _diff(before: Mapping[str, str], manifest: SignedManifest) -> Iterator[ChangeEntry]:
    after = manifest.digests()
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        kind: Literal["added", "changed", "removed"] = (
            "added" if old is None else "removed" if new is None else "changed"
        )
        ident = doc_id(path)
        yield ChangeEntry(id=ident, path=path, kind=kind, note=manifest.changes.get(ident, ""))

