"""Offline PWA fixtures: build the static site once, serve it with a plain static server on
127.0.0.1, and drive Debian's Chromium with a persistent profile (so the service worker, its
cache and IndexedDB survive a browser restart).

Every request that leaves 127.0.0.1 is aborted and recorded (and Chromium's resolver maps every
other host to nothing, in case a request escapes routing).

The build is configured for signed content updates (``--update-url``) from a second static
server on 127.0.0.1 (:class:`UpdateHost`, another origin, with CORS headers), and trusts a
test publisher key generated for the session (written into the build only). Until a test
publishes something there, that host answers 404, so the app's sync on start fails quietly and
the other tests see the bundled content.

Playwright's sync API allows one instance per thread, and the e2e tests keep theirs for the
whole session, so each PWA scenario runs in its own thread (:func:`in_thread`).
"""

from __future__ import annotations

import concurrent.futures
import json
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse, urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from mobile_app.sync.envelope import TrustedKeys
from mobile_app.sync.publish import public_key_bytes
from mobile_app.tools.pwa import BuildReport, build_pwa
from tests.e2e.conftest import ARGS, CHROMIUM, SHOTS

T = 90_000  # ms: the Python UI in the browser needs several seconds on a loaded 2-core box
PHONE = {"width": 390, "height": 844}
BROWSER_ARGS = [*ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]

R = TypeVar("R")


def in_thread(fn: Callable[[], R]) -> R:
    """Run ``fn`` in a fresh thread (its own Playwright instance) and return its result."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StaticServer:
    """A static server on 127.0.0.1: ``python -m http.server`` (plain: nothing PWA-aware), or
    with ``compressed`` the README's recipe, ``mobile-app serve-pwa`` (precompressed copies
    sent with Content-Encoding).
    """

    def __init__(self, directory: Path, port: int, log: Path, compressed: bool = False) -> None:
        self.directory = directory
        self.port = port
        self.compressed = compressed
        self.url = f"http://127.0.0.1:{port}/"
        self._log_path = log
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self._log_path, "ab")  # noqa: SIM115 - closed in stop()
        cmd = ([sys.executable, "-m", "mobile_app", "serve-pwa", str(self.directory),
                "--port", str(self.port)] if self.compressed else
               [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(self.port),
                "--directory", str(self.directory)])
        self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + 20
        while not self.is_up():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"static server did not start: {self._log_path.read_text()}")
            time.sleep(0.1)

    def is_up(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "manifest.json", timeout=2) as r:
                return bool(r.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(10)
        self._proc = None


class UpdateHost:
    """The publisher's static host for signed content updates: a second origin on 127.0.0.1.

    Serves the publisher output in :attr:`root` below ``/bonemets/`` with the headers the
    README asks of an update host: ``Access-Control-Allow-Origin: *`` (unless :attr:`cors` is
    off), ``Cache-Control: no-cache`` on ``manifest.json`` and ``immutable`` on ``docs/``.
    :attr:`root` can be switched per test; with :attr:`down` set, every connection is closed
    without an answer. :attr:`hits` records (path, Origin header, status) of each request.
    """

    PREFIX = "/bonemets/"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cors = True
        self.down = False
        self.hits: list[tuple[str, str, int]] = []
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                origin = self.headers.get("Origin", "")
                if host.down:
                    host.hits.append((path, origin, 0))
                    self.close_connection = True
                    return
                data = host.file(path)
                code = 200 if data is not None else 404
                host.hits.append((path, origin, code))
                self.send_response(code)
                if host.cors:
                    self.send_header("Access-Control-Allow-Origin", "*")
                if data is not None and path.endswith("/manifest.json"):
                    self.send_header("Cache-Control", "no-cache")
                elif data is not None:
                    self.send_header("Cache-Control", "public, max-age=31536000, immutable")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data or b"")))
                self.end_headers()
                self.wfile.write(data or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        """The update URL the PWA is built with."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{self.PREFIX}"

    def file(self, path: str) -> bytes | None:
        if not path.startswith(self.PREFIX):
            return None
        target = (self.root / path[len(self.PREFIX):]).resolve()
        if not target.is_file() or self.root.resolve() not in target.parents:
            return None
        return target.read_bytes()

    def reset(self, root: Path) -> None:
        self.root, self.cors, self.down = root, True, False
        self.hits.clear()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def pwa_publisher_key() -> Ed25519PrivateKey:
    """The test publisher's signing key; the PWA build (only) trusts it."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def update_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdateHost]:
    """The update host the PWA is built against (nothing published yet: 404)."""
    empty = tmp_path_factory.mktemp("update-host-empty")
    host = UpdateHost(empty)
    try:
        yield host
    finally:
        host.stop()


@pytest.fixture(scope="session")
def pwa_site(tmp_path_factory: pytest.TempPathFactory, update_host: UpdateHost,
             pwa_publisher_key: Ed25519PrivateKey) -> tuple[Path, BuildReport]:
    """The PWA, built once per session into a temporary directory, with ``--update-url``
    pointing at :func:`update_host` and the test publisher's key as its trusted key.
    """
    tmp = tmp_path_factory.mktemp("pwa")
    keys_file = tmp / "trusted_keys.json"
    keys = TrustedKeys.from_public_keys([public_key_bytes(pwa_publisher_key)])
    keys_file.write_text(json.dumps(keys.to_json()), encoding="utf-8")
    report = build_pwa(tmp / "site", update_url=update_host.url, trusted_keys_file=keys_file)
    print(report.format())
    return tmp / "site", report


@pytest.fixture
def static_server(tmp_path: Path) -> Iterator[Callable[..., StaticServer]]:
    """Factory: serve a directory on a free port; every server is stopped at teardown."""
    servers: list[StaticServer] = []

    def make(directory: Path, compressed: bool = False) -> StaticServer:
        server = StaticServer(directory, free_port(), tmp_path / f"server-{len(servers)}.log",
                              compressed)
        servers.append(server)
        server.start()
        return server

    yield make
    for server in servers:
        server.stop()


class Offsite:
    """Requests that tried to leave 127.0.0.1 (all aborted)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def add(self, url: str) -> None:
        if url not in self.urls:
            self.urls.append(url)


def _local(url: str) -> bool:
    return (urlparse(url).hostname or "") in ("127.0.0.1", "localhost") or url.startswith(
        ("data:", "blob:"))


def launch(pw: Playwright, profile: Path, offsite: Offsite) -> BrowserContext:
    """Chromium with a persistent profile; non-loopback requests are aborted and recorded."""
    ctx = pw.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS,
        viewport=PHONE)

    def guard(route: Any) -> None:
        if _local(route.request.url):
            route.continue_()
        else:
            offsite.add(route.request.url)
            route.abort()

    ctx.route("**/*", guard)
    ctx.on("request", lambda r: None if _local(r.url) else offsite.add(r.url))
    return ctx


def open_app(page: Page, url: str) -> float:
    """Load the PWA, switch on the semantics tree, wait for the Python UI (Home).

    Returns seconds from navigation to the first card on Home.
    """
    t0 = time.monotonic()
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=T)
    # Nobody clicks Flutter's "Enable accessibility": the app turns the tree on at start-up.
    page.wait_for_selector("flt-semantics", state="attached", timeout=T)
    expect(page.locator("flt-semantics-placeholder")).to_have_count(0, timeout=T)
    seen(page, "Metabolic")
    return time.monotonic() - t0


def seen(page: Page, text: Any, timeout: int = T) -> None:
    """Text is on screen: as a node's text, or inside a merged node's accessible label."""
    expect(page.get_by_text(text).or_(page.get_by_label(text)).first).to_be_visible(
        timeout=timeout)


def shot(page: Page, name: str) -> Path:
    """Save build/screenshots/pwa_<name>.png (after the canvas catches up)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(1000)
    path = SHOTS / f"pwa_{name}.png"
    page.screenshot(path=str(path))
    return path


SW_STATE_JS = """async () => {
  const reg = await navigator.serviceWorker.getRegistration();
  const keys = (await caches.keys()).filter((k) => k.startsWith('bonemets-pwa-'));
  const counts = {};
  for (const k of keys) counts[k] = (await (await caches.open(k)).keys()).length;
  return {
    active: reg && reg.active ? reg.active.scriptURL : null,
    waiting: reg && reg.waiting ? reg.waiting.scriptURL : null,
    controlled: !!navigator.serviceWorker.controller,
    caches: counts,
  };
}"""


def sw_state(page: Page) -> dict[str, Any]:
    state: dict[str, Any] = page.evaluate(SW_STATE_JS)
    return state


def wait_for_precache(page: Page, report: BuildReport, timeout_s: float = 90) -> dict[str, Any]:
    """Wait until the service worker is active, controls the page and has every file cached."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    want = len(report.precache["chromium"])
    deadline = time.monotonic() + timeout_s
    while True:
        state = sw_state(page)
        name = f"bonemets-pwa-{report.version}"
        if state["controlled"] and state["caches"].get(name, 0) >= want:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"precache not filled: want {want} in {name}, got {state}")
        page.wait_for_timeout(250)


STORE_IN_IDB_JS = """() => new Promise((resolve) => {
  const open = indexedDB.open('/persist');
  open.onerror = () => resolve(null);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('FILE_DATA')) { resolve(null); return; }
    const get = db.transaction('FILE_DATA').objectStore('FILE_DATA')
      .get('/persist/bonemets/store.json');
    get.onsuccess = () => {
      const rec = get.result;
      resolve(rec && rec.contents ? new TextDecoder().decode(rec.contents) : null);
    };
    get.onerror = () => resolve(null);
  };
})"""


def store_in_indexeddb(page: Page) -> str | None:
    """The user store file as IDBFS saved it in IndexedDB (None if not saved yet)."""
    text: str | None = page.evaluate(STORE_IN_IDB_JS)
    return text
