"""FetchFetcher (the PWA's Fetcher on the browser's ``fetch``) on CPython, against a small
stand-in for the JavaScript objects it uses: ``fetch``, ``Response`` (status, url, headers,
``body.getReader()``), ``Uint8Array`` chunks and ``AbortController``.

The stand-in behaves like the browser where it matters: an aborted signal rejects the pending
``fetch`` or ``reader.read()`` with an ``AbortError``, a network or CORS failure rejects
``fetch`` with a ``TypeError``, and a connection that breaks while the body streams rejects
``read()`` with a ``TypeError``.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mobile_app.sync import FetchFetcher as ExportedFetchFetcher
from mobile_app.sync.browser_fetch import FetchFetcher
from mobile_app.sync.client import SyncClient
from mobile_app.sync.errors import (
    DownloadTimeoutError,
    HTTPStatusError,
    NetworkError,
    RedirectError,
    TooLargeError,
    TruncatedError,
)
from tests.sync.conftest import BOLUS, HYPO, Env, base_files, dose_amount, installed, set_dose

URL = "https://updates.example.org/bonemets/manifest.json"


# --- the JavaScript stand-ins -----------------------------------------------------------------


class JsError(Exception):
    """Like Pyodide's JsException: ``name`` is the JavaScript error's name."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


class Signal:
    def __init__(self) -> None:
        self.aborted = False
        self.event = asyncio.Event()


class AbortController:
    made: list[AbortController] = []

    def __init__(self) -> None:
        self.signal = Signal()
        self.aborts = 0
        AbortController.made.append(self)

    def abort(self) -> None:
        self.aborts += 1
        self.signal.aborted = True
        self.signal.event.set()


class Uint8Array:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def to_bytes(self) -> bytes:
        return self._data


@dataclass
class Chunk:
    done: bool
    value: Uint8Array | None = None


class Headers:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._values = {k.lower(): v for k, v in values.items()}

    def get(self, name: str) -> str | None:  # JS null → Python None
        return self._values.get(name.lower())


Body = Callable[[], AsyncIterator[bytes]]


class Reader:
    def __init__(self, body: Body, signal: Signal) -> None:
        self._it = body()
        self._signal = signal
        self.reads = 0

    async def read(self) -> Chunk:
        self.reads += 1
        if self._signal.aborted:
            raise JsError("AbortError", "signal is aborted without reason")
        nxt = asyncio.ensure_future(anext(self._it, None))
        aborted = asyncio.ensure_future(self._signal.event.wait())
        done, _ = await asyncio.wait({nxt, aborted}, return_when=asyncio.FIRST_COMPLETED)
        aborted.cancel()
        if nxt not in done:
            nxt.cancel()
            raise JsError("AbortError", "signal is aborted without reason")
        data = nxt.result()
        return Chunk(True) if data is None else Chunk(False, Uint8Array(data))


class Stream:
    def __init__(self, body: Body, signal: Signal, log: list[Reader]) -> None:
        self._body, self._signal, self._log = body, signal, log

    def getReader(self) -> Reader:  # noqa: N802 - the JavaScript name
        reader = Reader(self._body, self._signal)
        self._log.append(reader)
        return reader


@dataclass
class Route:
    status: int = 200
    body: Body | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None  # response.url after redirects (default: the request URL)
    error: JsError | None = None  # fetch() rejects with this
    delay: float = 0.0  # before the response headers arrive


def chunks(*parts: bytes, every: float = 0.0, fail: JsError | None = None) -> Body:
    async def gen() -> AsyncIterator[bytes]:
        for part in parts:
            if every:
                await asyncio.sleep(every)
            yield part
        if fail is not None:
            raise fail

    return gen


def endless(chunk: bytes = b"{" * 1024, counter: list[int] | None = None) -> Body:
    async def gen() -> AsyncIterator[bytes]:
        while True:
            if counter is not None:
                counter[0] += 1
            yield chunk
            await asyncio.sleep(0)

    return gen


def fixed(data: bytes, **headers: str) -> Route:
    return Route(body=chunks(data), headers={"Content-Length": str(len(data)), **headers})


class Browser:
    """``fetch`` over a table of routes; records every call and its RequestInit."""

    def __init__(self, routes: Mapping[str, Route] | None = None,
                 not_found_under: str | None = None) -> None:
        self.routes: dict[str, Route] = dict(routes or {})
        # A static host with CORS on every answer: other URLs below this prefix are a 404.
        self.not_found_under = not_found_under
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.readers: list[Reader] = []

    async def fetch(self, url: str, init: dict[str, Any]) -> Any:
        self.calls.append((url, init))
        signal: Signal = init["signal"]
        route = self.routes.get(url)
        if route is None and self.not_found_under and url.startswith(self.not_found_under):
            route = Route(status=404, body=chunks(b"not found"))
        if route is None:
            raise JsError("TypeError", "Failed to fetch")
        if route.delay:
            try:
                await asyncio.wait_for(signal.event.wait(), route.delay)
                raise JsError("AbortError", "signal is aborted without reason")
            except TimeoutError:
                pass
        if route.error is not None:
            raise route.error
        stream = Stream(route.body, signal, self.readers) if route.body is not None else None
        return _Response(route.status, route.final_url or url, Headers(route.headers), stream)

    def fetcher(self) -> FetchFetcher:
        return FetchFetcher(fetch=self.fetch, abort_controller=AbortController)


@dataclass
class _Response:
    status: int
    url: str
    headers: Headers
    body: Stream | None


def get(browser: Browser, url: str = URL, *, max_bytes: int = 1 << 20,
        timeout: float = 5.0) -> bytes:
    async def go() -> bytes:
        return await browser.fetcher().get(url, max_bytes=max_bytes, timeout=timeout)

    return asyncio.run(go())


@pytest.fixture(autouse=True)
def _reset_controllers() -> None:
    AbortController.made.clear()


# --- the happy path ---------------------------------------------------------------------------


def test_streams_the_body_with_no_store_and_no_credentials() -> None:
    browser = Browser({URL: Route(body=chunks(b'{"a":', b" 1", b"}"),
                                  headers={"Content-Length": "8"})})
    assert get(browser) == b'{"a": 1}'
    (url, init), = browser.calls
    assert url == URL
    assert init["cache"] == "no-store"
    assert init["credentials"] == "omit"
    assert init["mode"] == "cors" and init["redirect"] == "follow"
    assert init["method"] == "GET"
    assert init["signal"] is AbortController.made[0].signal
    assert browser.readers[0].reads == 4  # three chunks, then done


def test_a_body_of_exactly_max_bytes_and_no_content_length_is_accepted() -> None:
    data = b"x" * 4096
    browser = Browser({URL: Route(body=chunks(data[:1000], data[1000:]))})
    assert get(browser, max_bytes=4096) == data


def test_a_same_origin_redirect_is_followed() -> None:
    final = "https://updates.example.org:443/bonemets/v2/manifest.json"
    browser = Browser({URL: Route(body=chunks(b"{}"), final_url=final)})
    assert get(browser) == b"{}"


def test_relative_urls_resolve_against_the_worker_location() -> None:
    browser = Browser({URL: fixed(b"{}")})
    fetcher = FetchFetcher(fetch=browser.fetch, abort_controller=AbortController,
                           location="https://updates.example.org/bonemets/app/worker.js")

    async def go() -> bytes:
        return await fetcher.get("../manifest.json", max_bytes=100, timeout=5)

    assert asyncio.run(go()) == b"{}"
    assert browser.calls[0][0] == URL


def test_options_are_converted_for_javascript() -> None:
    seen: list[dict[str, Any]] = []
    browser = Browser({URL: fixed(b"{}")})

    def to_js(init: dict[str, Any]) -> dict[str, Any]:
        seen.append(init)
        return {**init, "converted": True}

    fetcher = FetchFetcher(fetch=browser.fetch, abort_controller=AbortController, options=to_js)
    assert asyncio.run(fetcher.get(URL, max_bytes=100, timeout=5)) == b"{}"
    assert seen and seen[0]["cache"] == "no-store"
    assert browser.calls[0][1]["converted"] is True


# --- cap --------------------------------------------------------------------------------------


def test_endless_body_is_aborted_right_after_the_cap() -> None:
    produced = [0]
    browser = Browser({URL: Route(body=endless(b"{" * 1000, produced))})
    with pytest.raises(TooLargeError) as err:
        get(browser, max_bytes=10_000)
    assert err.value.limit == 10_000
    assert err.value.state == "rejected"
    # 11 chunks of 1000 bytes pass the cap; nothing more was read.
    assert browser.readers[0].reads == 11
    assert produced[0] == 11
    assert AbortController.made[0].aborts >= 1
    assert AbortController.made[0].signal.aborted


def test_announced_length_above_the_cap_is_refused_before_reading() -> None:
    browser = Browser({URL: Route(body=endless(), headers={"Content-Length": "5000000"})})
    with pytest.raises(TooLargeError, match="announces 5000000 bytes"):
        get(browser, max_bytes=1000)
    assert browser.readers == []  # the body was never read
    assert AbortController.made[0].signal.aborted  # and the request was cancelled


def test_one_byte_over_the_cap_is_too_large() -> None:
    browser = Browser({URL: Route(body=chunks(b"x" * 101))})
    with pytest.raises(TooLargeError):
        get(browser, max_bytes=100)


# --- deadline ---------------------------------------------------------------------------------


def test_no_answer_times_out_and_aborts() -> None:
    browser = Browser({URL: Route(body=chunks(b"{}"), delay=30)})
    with pytest.raises(DownloadTimeoutError, match="within 0.3 s") as err:
        get(browser, timeout=0.3)
    assert err.value.state == "offline"
    assert AbortController.made[0].signal.aborted


def test_deadline_covers_the_whole_body_not_each_chunk() -> None:
    # Every chunk comes quickly (50 ms), but the whole body would take 2 s.
    browser = Browser({URL: Route(body=chunks(*([b"x"] * 40), every=0.05))})
    with pytest.raises(DownloadTimeoutError, match="within 0.4 s"):
        get(browser, timeout=0.4)
    assert AbortController.made[0].signal.aborted
    assert browser.readers[0].reads < 40


# --- status, truncation, redirect, network ----------------------------------------------------


@pytest.mark.parametrize("code", [204, 304, 404, 500, 503])
def test_status_other_than_200_is_an_error(code: int) -> None:
    browser = Browser({URL: Route(status=code, body=chunks(b"oops"))})
    with pytest.raises(HTTPStatusError) as err:
        get(browser)
    assert err.value.status == code
    assert err.value.url == URL
    assert f"HTTP {code}" in str(err.value)
    assert browser.readers == []  # the error body is not downloaded
    assert AbortController.made[0].signal.aborted


def test_body_shorter_than_content_length_is_truncated() -> None:
    browser = Browser({URL: Route(body=chunks(b"x" * 40), headers={"Content-Length": "100"})})
    with pytest.raises(TruncatedError, match="40 of 100 bytes"):
        get(browser)


def test_connection_breaking_while_streaming_is_truncated() -> None:
    broken = JsError("TypeError", "network error")
    browser = Browser({URL: Route(body=chunks(b"x" * 40, fail=broken),
                                  headers={"Content-Length": "100"})})
    with pytest.raises(TruncatedError, match="after 40 bytes .*TypeError: network error"):
        get(browser)


def test_compressed_body_is_not_compared_with_content_length() -> None:
    # Content-Length counts compressed bytes; the stream delivers decoded ones.
    data = b'{"cards": []}' * 20
    browser = Browser({URL: Route(body=chunks(data),
                                  headers={"Content-Length": "31", "Content-Encoding": "gzip"})})
    assert get(browser) == data


@pytest.mark.parametrize("final", [
    "https://evil.example.net/bonemets/manifest.json",  # other host
    "http://updates.example.org/bonemets/manifest.json",  # downgraded scheme
    "https://updates.example.org:8443/bonemets/manifest.json",  # other port
])
def test_redirect_to_another_origin_is_refused(final: str) -> None:
    browser = Browser({URL: Route(body=chunks(b"{}"), final_url=final)})
    with pytest.raises(RedirectError, match="another origin") as err:
        get(browser)
    assert err.value.state == "rejected"
    assert final in str(err.value)


def test_cross_origin_redirect_is_refused_even_with_an_error_status() -> None:
    browser = Browser({URL: Route(status=404, final_url="https://evil.example.net/x")})
    with pytest.raises(RedirectError):
        get(browser)


def test_fetch_type_error_is_offline_and_mentions_cors() -> None:
    browser = Browser({URL: Route(error=JsError("TypeError", "Failed to fetch"))})
    with pytest.raises(NetworkError) as err:
        get(browser)
    assert err.value.state == "offline"
    assert err.value.url == URL
    assert "Failed to fetch" in str(err.value)
    assert "CORS" in str(err.value) and "Access-Control-Allow-Origin" in str(err.value)


def test_other_fetch_errors_are_network_errors() -> None:
    browser = Browser({URL: Route(error=JsError("SecurityError", "blocked"))})
    with pytest.raises(NetworkError, match="SecurityError: blocked"):
        get(browser)


def test_constructing_it_touches_no_javascript() -> None:
    # The app builds one per sync; on CPython the browser API is only looked up on use.
    fetcher = FetchFetcher()
    with pytest.raises(ImportError):
        asyncio.run(fetcher.get(URL, max_bytes=10, timeout=1))


def test_importing_the_sync_package_imports_no_browser_module() -> None:
    assert ExportedFetchFetcher is FetchFetcher
    code = ("import sys, mobile_app.sync, mobile_app.sync.browser_fetch; "
            "print(sorted(m for m in ('js', 'pyodide', 'pyodide_js') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


# --- a whole sync through it ------------------------------------------------------------------


def _site_routes(site: Path, base: str) -> dict[str, Route]:
    return {base + p.relative_to(site).as_posix(): fixed(p.read_bytes())
            for p in site.rglob("*") if p.is_file()}


def test_sync_client_installs_an_update_through_it(env: Env) -> None:
    base = "https://updates.example.org/bonemets/"
    env.publish(version=2)
    env.publish(set_dose(base_files(), HYPO, BOLUS, "20"), notes={"hypocalcemia": "20 mL"})
    browser = Browser(_site_routes(env.out, base), not_found_under=base)

    async def go() -> Any:
        client = SyncClient(base, env.content, browser.fetcher(), now=env.now,
                            timeout=5)
        return await client.sync()

    result = asyncio.run(go())
    assert result.state == "installed", result.message
    assert result.version == 3
    assert result.content is not None and dose_amount(result.content, "hypocalcemia", BOLUS) == "20"
    assert installed(env.content)[0] == 3
    urls = [u for u, _ in browser.calls]
    assert urls[:2] == [base + "manifest.json", base + "root/2.json"]  # no key rotation: 404
    # the manifest is revalidated by the browser (a 304 on the wire when unchanged); roots and
    # documents bypass every cache
    assert [init["cache"] for u, init in browser.calls if u == base + "manifest.json"] == [
        "no-cache"]
    assert all(init["cache"] == "no-store" for u, init in browser.calls[1:])


def test_sync_client_reports_offline_and_keeps_the_content(env: Env) -> None:
    before = installed(env.content)
    browser = Browser({})  # every fetch rejects with TypeError

    async def go() -> Any:
        client = SyncClient("https://updates.example.org/bonemets/", env.content,
                            browser.fetcher(), now=env.now, timeout=5)
        return await client.sync()

    result = asyncio.run(go())
    assert result.state == "offline"
    assert result.message.startswith("Offline: cannot reach")
    assert "CORS" in result.message
    assert installed(env.content) == before
