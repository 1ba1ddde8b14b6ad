"""A :class:`~mobile_app.sync.client.Fetcher` on the browser's ``fetch`` (the PWA, Pyodide).

In the browser build Python runs in a Web Worker and cannot open sockets; every download goes
through the worker's ``fetch``:

- ``cache: "no-store"`` for documents and roots (neither the HTTP cache nor a stale copy is
  ever used; the app's service worker also lets such requests through untouched) and
  ``cache: "no-cache"`` for the manifest (always revalidated with the host, so an unchanged
  manifest costs one 304 on the wire; the body the app verifies is the same either way),
  ``credentials: "omit"`` (no
  cookies or HTTP authentication go to the update host), ``referrerPolicy: "no-referrer"``;
- the body is read as a stream (``response.body.getReader()``) and the request is aborted
  (``AbortController``) as soon as more than ``max_bytes`` have arrived, so an endless or
  oversized answer never fills the memory;
- one overall deadline per request, body included (``asyncio.wait_for``, then abort);
- a status other than 200 → :class:`HTTPStatusError`; a body shorter than its
  ``Content-Length``, or a connection that breaks while the body streams →
  :class:`TruncatedError`; a final ``response.url`` on another origin than the one requested →
  :class:`RedirectError` (the browser follows redirects itself; same-origin ones are fine);
- ``fetch`` rejecting with a ``TypeError`` → :class:`NetworkError`. The browser gives the same
  error for "no network" and for a cross-origin answer without CORS headers, so the message
  names both.

Nothing here imports ``js`` or ``pyodide`` at import time: the module imports (and its logic
runs, with stand-ins for the JavaScript objects) on CPython.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from mobile_app.sync.errors import (
    DownloadError,
    DownloadTimeoutError,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    TooLargeError,
    TruncatedError,
)
from mobile_app.sync.source import Fetched

__all__ = ["FETCH_OPTIONS", "REVALIDATE_OPTIONS", "FetchFetcher"]

#: The ``RequestInit`` of every download (plus the abort ``signal``).
FETCH_OPTIONS: dict[str, str] = {
    "method": "GET",
    "mode": "cors",
    "cache": "no-store",
    "credentials": "omit",
    "redirect": "follow",
    "referrerPolicy": "no-referrer",
}

#: The ``RequestInit`` of the manifest request: the browser revalidates its cached copy.
REVALIDATE_OPTIONS: dict[str, str] = {**FETCH_OPTIONS, "cache": "no-cache"}

_DEFAULT_PORTS = {"http": 80, "https": 443}

FetchFunction = Callable[[str, Any], Awaitable[Any]]


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def _is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme and parts.netloc)


def _js_error_name(exc: BaseException) -> str:
    """The JavaScript error's ``name`` (``TypeError``, ``AbortError``…) of a ``JsException``."""
    for candidate in (exc, getattr(exc, "js_error", None)):
        name = getattr(candidate, "name", None)
        if isinstance(name, str) and name:
            return name
    head = str(exc).split(":", 1)[0].strip()
    return head if head.isidentifier() else type(exc).__name__


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or _js_error_name(exc)


def _header(response: Any, name: str) -> str | None:
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    value = headers.get(name)
    return None if value is None else str(value)


def _chunk_bytes(value: Any) -> bytes:
    """A ``Uint8Array`` chunk of a ``ReadableStream`` as bytes."""
    to_bytes = getattr(value, "to_bytes", None)
    if to_bytes is not None:
        data = to_bytes()
        return data if isinstance(data, bytes) else bytes(data)
    return bytes(value)


def _browser_api() -> tuple[FetchFunction, Callable[[], Any], Callable[[dict[str, Any]], Any],
                            str | None]:
    """``fetch``, an ``AbortController`` factory, a dict → JS object converter and the
    worker's own URL, from the running Pyodide.
    """
    import js  # type: ignore[import-not-found,unused-ignore]  # only exists inside Pyodide
    from pyodide.ffi import to_js  # type: ignore[import-not-found,unused-ignore]

    def options(init: dict[str, Any]) -> Any:
        return to_js(init, dict_converter=js.Object.fromEntries)

    try:
        location: str | None = str(js.location.href)
    except Exception:
        location = None
    fetch: FetchFunction = js.fetch
    return fetch, js.AbortController.new, options, location


class FetchFetcher:
    """Downloads with the browser's ``fetch`` (see the module docstring).

    The JavaScript side is looked up on first use; the keyword arguments replace it (tests on
    CPython pass stand-ins).
    """

    def __init__(
        self,
        *,
        fetch: FetchFunction | None = None,
        abort_controller: Callable[[], Any] | None = None,
        options: Callable[[dict[str, Any]], Any] | None = None,
        location: str | None = None,
    ) -> None:
        """Create the fetcher.

        Args:
            fetch: ``fetch(url, init)`` returning an awaitable ``Response`` (default: the
                worker's ``fetch``).
            abort_controller: Makes a new ``AbortController`` (default: the browser's).
            options: Converts the ``RequestInit`` dict for ``fetch`` (default: a JS object).
            location: Base URL for relative URLs (default: the worker's ``location.href``).
        """
        self._fetch = fetch
        self._new_controller = abort_controller
        self._options = options
        self._location = location
        self._resolved = fetch is not None and abort_controller is not None

    def _api(self) -> tuple[FetchFunction, Callable[[], Any], Callable[[dict[str, Any]], Any]]:
        if not self._resolved:
            fetch, controller, options, location = _browser_api()
            self._fetch = self._fetch or fetch
            self._new_controller = self._new_controller or controller
            self._options = self._options or options
            self._location = self._location or location
            self._resolved = True
        assert self._fetch is not None and self._new_controller is not None
        return self._fetch, self._new_controller, self._options or (lambda init: init)

    async def aclose(self) -> None:
        """Nothing to release (each request ends or is aborted by :meth:`get`)."""

    async def get(self, url: str, *, max_bytes: int, timeout: float) -> bytes:
        """Download ``url`` (see :class:`~mobile_app.sync.http.Fetcher`)."""
        return await self._download(url, max_bytes, timeout, FETCH_OPTIONS)

    async def get_conditional(self, url: str, *, max_bytes: int, timeout: float,
                              etag: str | None = None,
                              last_modified: str | None = None) -> Fetched:
        """Download ``url`` with ``cache: "no-cache"``: the browser revalidates its own cached
        copy with the host (one ``304`` on the wire when nothing changed) and hands the body
        to the app either way. Scripts cannot send ``If-None-Match`` cross-origin without a
        CORS preflight, so the browser's validators are used, never ``etag``/``last_modified``.
        """
        body = await self._download(url, max_bytes, timeout, REVALIDATE_OPTIONS)
        return Fetched(body, url)

    async def _download(self, url: str, max_bytes: int, timeout: float,
                        init: dict[str, str]) -> bytes:
        fetch, new_controller, options = self._api()
        target = url if _is_absolute(url) or not self._location else urljoin(self._location, url)
        controller = new_controller()
        try:
            return await asyncio.wait_for(
                self._get(fetch, options, controller, url, target, max_bytes, init), timeout
            )
        except TimeoutError:
            raise DownloadTimeoutError(f"{url} did not arrive within {timeout:g} s", url) from None
        finally:
            # Ends whatever is still in flight (a timeout, an error before the body was read);
            # a no-op once the body is complete.
            try:
                controller.abort()
            except Exception:
                pass

    async def _get(
        self,
        fetch: FetchFunction,
        options: Callable[[dict[str, Any]], Any],
        controller: Any,
        url: str,
        target: str,
        max_bytes: int,
        init: dict[str, str],
    ) -> bytes:
        try:
            response = await fetch(target, options({**init, "signal": controller.signal}))
        except DownloadError:
            raise
        except Exception as exc:
            name = _js_error_name(exc)
            if name == "TypeError":
                raise NetworkError(
                    f"cannot reach {url} ({_detail(exc)}): no network, or the update host does "
                    "not allow this site (CORS: no Access-Control-Allow-Origin header)",
                    url,
                ) from None
            raise NetworkError(f"cannot reach {url} ({name}: {_detail(exc)})", url) from None

        final = str(getattr(response, "url", "") or "") or target
        if _is_absolute(target) and _origin(final) != _origin(target):
            raise RedirectError(f"{url} redirects to another origin ({final}); refused", url)
        status = int(response.status)
        if status != 200:
            raise HTTPStatusError(f"{final} answered HTTP {status}", url, status)

        announced_text = (_header(response, "content-length") or "").strip()
        announced = int(announced_text) if announced_text.isdigit() else None
        # A compressed body is counted after decoding; its Content-Length is not comparable.
        # (Cross-origin, Content-Encoding is not exposed to scripts: then the length is only
        # checked in the direction compression cannot explain for JSON: too few bytes.)
        encoding = (_header(response, "content-encoding") or "identity").strip().lower()
        encoded = encoding not in ("", "identity")
        if announced is not None and announced > max_bytes and not encoded:
            raise TooLargeError(
                f"{url} announces {announced} bytes; at most {max_bytes} are allowed",
                url, max_bytes,
            )
        body = await self._read_body(response, controller, url, max_bytes)
        if announced is not None and not encoded and len(body) < announced:
            raise TruncatedError(
                f"{url}: connection ended early ({len(body)} of {announced} bytes)", url
            )
        return body

    @staticmethod
    async def _read_body(response: Any, controller: Any, url: str, max_bytes: int) -> bytes:
        stream = getattr(response, "body", None)
        if stream is None:  # a response without a body (status 200 with nothing in it)
            return b""
        reader = stream.getReader()
        body = bytearray()
        while True:
            try:
                chunk = await reader.read()
            except Exception as exc:
                raise TruncatedError(
                    f"{url}: connection ended early after {len(body)} bytes "
                    f"({_js_error_name(exc)}: {_detail(exc)})",
                    url,
                ) from None
            if chunk.done:
                return bytes(body)
            value = chunk.value
            if value is None:
                continue
            body += _chunk_bytes(value)
            if len(body) > max_bytes:
                controller.abort()
                raise TooLargeError(
                    f"{url} sent more than {max_bytes} bytes; download aborted", url, max_bytes
                )
