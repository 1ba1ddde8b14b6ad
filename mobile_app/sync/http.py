"""Downloads from the update host: the fetcher interface, the httpx fetcher, the HTTP source.

:class:`HttpxFetcher` (server mode and the CLI) is built to survive a hostile host:

- it asks for ``Accept-Encoding: identity`` and accepts at most ONE gzip layer anyway, which it
  decompresses itself, incrementally, never producing more than the cap (a 590-byte
  ``gzip, gzip`` answer that would inflate to 256 MB is refused after 256 KiB, holding a few
  hundred kB at most); any other encoding is refused;
- it counts bytes as they arrive and stops at the cap (the signed length of a document, the
  manifest cap), before and after decoding;
- one deadline per request, body included; same-origin redirects only;
- it tells "cannot reach the host" (offline) from "the host was reached and then reset or
  closed the connection" (:class:`~mobile_app.sync.errors.ConnectionLostError`);
- conditional requests (``If-None-Match`` / ``If-Modified-Since``): an unchanged manifest costs
  one ``304``.

The browser build uses :class:`~mobile_app.sync.browser_fetch.FetchFetcher` instead.
"""

from __future__ import annotations

import asyncio
import zlib
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.knowledge.models import ManifestEntry
from mobile_app.sync.errors import (
    ConnectionLostError,
    DownloadTimeoutError,
    EncodingError,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    TooLargeError,
    TruncatedError,
)
from mobile_app.sync.manifest import MANIFEST_MAX_BYTES
from mobile_app.sync.root import ROOT_MAX_BYTES
from mobile_app.sync.source import Fetched
from mobile_app.sync.state import Validators

if TYPE_CHECKING:
    import httpx

__all__ = ["Fetcher", "HttpSource", "HttpxFetcher"]

_GZIP = ("gzip", "x-gzip")
_NOT_FOUND = (403, 404, 410)
"""Answers meaning "no such root" (object stores answer 403 for a missing key)."""


class Fetcher(Protocol):
    """Downloads one URL completely, or raises a :class:`DownloadError` subclass.

    Implementations must stop reading and raise :class:`TooLargeError` as soon as more than
    ``max_bytes`` arrive, raise :class:`DownloadTimeoutError` when the whole response has not
    arrived within ``timeout`` seconds, :class:`HTTPStatusError` for a status other than 200
    (and 304 for a conditional request), :class:`TruncatedError` when the body ends early,
    :class:`RedirectError` for a redirect to another origin and :class:`NetworkError` when the
    server cannot be reached.
    """

    async def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """Return the body of a 200 response to ``GET url``."""
        ...

    async def get_conditional(self, url: str, *, max_bytes: int, timeout: float,
                              etag: str | None = None,
                              last_modified: str | None = None) -> Fetched:
        """``GET url`` with the validators given; ``Fetched.body`` is ``None`` for a 304."""
        ...


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


class _Decoder:
    """Identity, or one gzip layer decompressed under a cap (never more than cap+1 bytes out)."""

    def __init__(self, url: str, encoding: str, max_bytes: int) -> None:
        layers = [e.strip().lower() for e in encoding.split(",") if e.strip()]
        layers = [e for e in layers if e != "identity"]
        if len(layers) > 1 or (layers and layers[0] not in _GZIP):
            raise EncodingError(
                f"{url} is sent with Content-Encoding {encoding!r}; only identity or a single "
                "gzip layer is accepted", url)
        self.url = url
        self.max_bytes = max_bytes
        self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS) if layers else None
        self.body = bytearray()

    @property
    def raw_cap(self) -> int:
        """Most bytes accepted on the wire: a gzip layer may be a little larger than what it
        holds, never much larger.
        """
        if self._zlib is None:
            return self.max_bytes
        return self.max_bytes + self.max_bytes // 64 + 1024

    def _too_large(self) -> TooLargeError:
        return TooLargeError(f"{self.url} sent more than {self.max_bytes} bytes; download "
                             "aborted", self.url, self.max_bytes)

    def feed(self, chunk: bytes) -> None:
        if self._zlib is None:
            self.body += chunk
        else:
            data = chunk
            try:
                while data:
                    room = self.max_bytes - len(self.body) + 1
                    self.body += self._zlib.decompress(data, room)
                    if len(self.body) > self.max_bytes:
                        raise self._too_large()
                    data = self._zlib.unconsumed_tail
                    if self._zlib.eof and (self._zlib.unused_data or data):
                        raise EncodingError(f"{self.url}: data after the end of the gzip "
                                            "stream; refused", self.url)
            except zlib.error as exc:
                raise EncodingError(f"{self.url}: corrupt gzip stream ({exc})",
                                    self.url) from None
        if len(self.body) > self.max_bytes:
            raise self._too_large()

    def finish(self) -> bytes:
        if self._zlib is not None and not self._zlib.eof:
            raise TruncatedError(f"{self.url}: the gzip stream ended early", self.url)
        return bytes(self.body)


class HttpxFetcher:
    """A :class:`Fetcher` on ``httpx.AsyncClient`` (see the module docstring). Use it as an
    async context manager, or call :meth:`aclose`, to release connections.
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
        fetched = await self._guarded(url, max_bytes, timeout, {})
        assert fetched.body is not None
        return fetched.body

    async def get_conditional(self, url: str, *, max_bytes: int, timeout: float,
                              etag: str | None = None,
                              last_modified: str | None = None) -> Fetched:
        """Download ``url`` unless it still matches these validators (then a 304)."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._guarded(url, max_bytes, timeout, headers)

    async def _guarded(self, url: str, max_bytes: int, timeout: float,
                       conditions: dict[str, str]) -> Fetched:
        import httpx

        try:
            async with asyncio.timeout(timeout):
                return await self._get(url, max_bytes, timeout, conditions)
        except TimeoutError:
            raise DownloadTimeoutError(
                f"{url} did not arrive within {timeout:g} s", url
            ) from None
        except httpx.TimeoutException:
            raise DownloadTimeoutError(f"{url} timed out", url) from None
        except (httpx.ConnectError, httpx.UnsupportedProtocol, httpx.ProxyError) as exc:
            raise NetworkError(
                f"cannot reach {url} ({type(exc).__name__}: {exc or 'no detail'})", url
            ) from None
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            raise ConnectionLostError(
                f"the update host was reached, but it reset or closed the connection before "
                f"answering {url} ({type(exc).__name__}: {exc or 'no detail'})", url
            ) from None
        except httpx.TransportError as exc:
            raise NetworkError(
                f"cannot reach {url} ({type(exc).__name__}: {exc or 'no detail'})", url
            ) from None

    async def _get(self, url: str, max_bytes: int, timeout: float,
                   conditions: dict[str, str]) -> Fetched:
        import httpx

        client = self._http()
        start = httpx.URL(url)
        current = start
        headers = {"Accept-Encoding": "identity", **conditions}
        for _ in range(self._max_redirects + 1):
            request = client.build_request("GET", current, headers=headers,
                                           timeout=httpx.Timeout(timeout))
            response = await client.send(request, stream=True)
            try:
                etag = response.headers.get("etag")
                modified = response.headers.get("last-modified")
                if response.status_code == 304 and conditions:
                    return Fetched(None, url, etag or conditions.get("If-None-Match"),
                                   modified or conditions.get("If-Modified-Since"))
                if response.status_code != 304 and response.is_redirect:
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
                decoder = _Decoder(url, response.headers.get("content-encoding", ""),
                                   max_bytes)
                raw_cap = decoder.raw_cap
                announced = response.headers.get("content-length", "")
                if announced.isdigit() and int(announced) > raw_cap:
                    raise TooLargeError(
                        f"{url} announces {announced} bytes; at most {max_bytes} are allowed",
                        url, max_bytes,
                    )
                received = 0
                try:
                    async for chunk in response.aiter_raw():
                        received += len(chunk)
                        if received > raw_cap:
                            raise TooLargeError(
                                f"{url} sent more than {max_bytes} bytes; download aborted",
                                url, max_bytes,
                            )
                        decoder.feed(chunk)
                except httpx.RemoteProtocolError as exc:
                    raise TruncatedError(
                        f"{url}: connection ended early after {received} bytes ({exc})", url
                    ) from None
                except (httpx.ReadError, httpx.WriteError) as exc:
                    raise ConnectionLostError(
                        f"the update host was reached, but the connection was reset after "
                        f"{received} bytes of {url} ({type(exc).__name__}: "
                        f"{exc or 'connection reset'})", url,
                    ) from None
                return Fetched(decoder.finish(), url, etag, modified)
            finally:
                await response.aclose()
        raise RedirectError(f"{url}: more than {self._max_redirects} redirects", url)


class HttpSource:
    """The update host as a :class:`~mobile_app.sync.source.Source`: ``manifest.json``,
    ``root/<N>.json`` and ``docs/<sha256>.json`` below a base URL, through a fetcher.

    Attributes:
        base_url: The publisher output's URL, ending in ``/``.
        description: The base URL (kept as the installed content's source).
        persist_roots_early: ``True`` (TUF §5.3.7: each verified root is kept at once).
    """

    persist_roots_early = True

    def __init__(self, base_url: str, fetcher: Fetcher, *,
                 manifest_max_bytes: int = MANIFEST_MAX_BYTES) -> None:
        """Create the source.

        Args:
            base_url: Where ``manifest.json`` is; a URL ending in ``/manifest.json`` is
                accepted too.
            fetcher: The HTTP implementation.
            manifest_max_bytes: Cap on the manifest download.
        """
        if base_url.endswith("/" + MANIFEST):
            base_url = base_url[: -len(MANIFEST)]
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.description = self.base_url
        self.fetcher = fetcher
        self.manifest_max_bytes = manifest_max_bytes

    @property
    def manifest_url(self) -> str:
        """Where the signed manifest is fetched from."""
        return self.base_url + MANIFEST

    def doc_url(self, sha256: str) -> str:
        """Where a content-addressed document is fetched from."""
        return f"{self.base_url}docs/{sha256}.json"

    def root_url(self, version: int) -> str:
        """Where root ``version`` is fetched from."""
        return f"{self.base_url}root/{version}.json"

    async def manifest(self, validators: Validators | None, timeout: float) -> Fetched:
        """The manifest; a conditional request when ``validators`` are for this URL."""
        if validators is not None and validators.url == self.manifest_url and (
            validators.etag or validators.last_modified
        ):
            return await self.fetcher.get_conditional(
                self.manifest_url, max_bytes=self.manifest_max_bytes, timeout=timeout,
                etag=validators.etag, last_modified=validators.last_modified)
        return await self.fetcher.get_conditional(
            self.manifest_url, max_bytes=self.manifest_max_bytes, timeout=timeout)

    async def root(self, version: int, timeout: float) -> bytes | None:
        """Root ``version``, or ``None`` when the host has none (403, 404 or 410)."""
        try:
            return await self.fetcher.get(self.root_url(version), max_bytes=ROOT_MAX_BYTES,
                                          timeout=timeout)
        except HTTPStatusError as exc:
            if exc.status in _NOT_FOUND:
                return None
            raise

    async def document(self, path: str, entry: ManifestEntry, timeout: float) -> bytes:
        """One content-addressed document, capped at its signed length."""
        return await self.fetcher.get(self.doc_url(entry.sha256), max_bytes=entry.length,
                                      timeout=timeout)
