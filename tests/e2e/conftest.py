"""Browser end-to-end fixtures: the real app on 127.0.0.1 and Debian's Chromium via Playwright.

The app is started by the fixture (a free port, a throwaway data directory). Every request that
leaves 127.0.0.1 is aborted and recorded, so the tests also prove the app needs no network.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "build" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
OFFLINE_ARGS = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
"""Nothing leaves 127.0.0.1: every host name and every other address is "not found"
(``test_the_test_browser_cannot_leave_loopback`` proves it)."""
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 1366}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppServer:
    """`mobile-app run` on a free port (or the given one) with its own data directory and
    environment.
    """

    def __init__(self, data: Path, log_path: Path, port: int | None = None, **env: str
                 ) -> None:
        port = port or _free_port()
        self.data = data
        self.log = open(log_path, "w+b")  # noqa: SIM115
        full_env = {**os.environ, "BONEMETS_DATA_DIR": str(data), "FLET_WEB_NO_CDN": "true",
                    **env}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mobile_app", "run", "--port", str(port)],
            cwd=ROOT, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"app did not start:\n{self.output()}")
            time.sleep(0.3)

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self, kill: bool = False) -> None:
        """Stop the server: SIGTERM (a restart) or, with ``kill``, SIGKILL (a crash)."""
        if self.proc.poll() is None and kill:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Start `mobile-app run` on a free port (no update source); stop it after the session."""
    server = AppServer(tmp_path_factory.mktemp("data"),
                       tmp_path_factory.mktemp("log") / "app.log",
                       BONEMETS_UPDATE_URL="")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run scripts/install-chromium.sh (scripts/test.sh does)")
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True,
                                            args=[*ARGS, *OFFLINE_ARGS])
    yield b
    b.close()


class Offsite:
    """Requests that tried to leave 127.0.0.1 (all aborted)."""

    def __init__(self) -> None:
        self.urls: list[str] = []


def new_context(browser: Browser, viewport: str, offsite: Offsite,
                **kwargs: Any) -> BrowserContext:
    """A browser context whose every non-loopback request fails and is recorded.

    Blocking is the browser's (:data:`OFFLINE_ARGS`); recording is a passive listener. No
    request interception (``context.route``): with it, Playwright 1.5x intermittently left the
    main document of a second navigation in a page pending for ever (seen: ``page.goto`` timing
    out while the server answered the same URL at once).
    """
    ctx = browser.new_context(viewport=VIEWPORTS[viewport], **kwargs)

    def record(request: Any) -> None:
        url = request.url
        if not url.startswith(("data:", "blob:")) and (
                urlparse(url).hostname or "") not in ("127.0.0.1", "localhost"):
            offsite.urls.append(url)

    ctx.on("request", record)
    return ctx


def semantics_on(page: Page) -> None:
    """Wait for Flutter's semantics tree. The app switches it on at start-up in server mode
    (assets/bonemets-client.js); where the "Enable accessibility" placeholder is still there
    (a build without that script), it gets the click a screen reader would give.
    """
    page.evaluate("""() => {
        const p = document.querySelector('flt-semantics-placeholder');
        if (p && !document.querySelector('flt-semantics'))
            p.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    }""")
    page.wait_for_selector("flt-semantics", state="attached", timeout=30_000)


APP_SHOWN = """() => {
    const host = document.querySelector('flt-semantics-host');
    if (!host) return false;
    const labels = [...host.querySelectorAll('[aria-label]')]
        .map(e => e.getAttribute('aria-label')).join(' ');
    const t = (host.textContent || '') + ' ' + labels;
    return t.includes('Settings') && !t.includes('Working...');
}"""
"""The app's own screen is in the semantics tree (its navigation names Settings), not Flet's
"Working..." boot screen, which comes first while the session registers."""


def open_app(page: Page, url: str) -> float:
    """Load a URL, wait for Flutter's first frame, the semantics tree and the app's screen.

    Returns seconds to the first frame.
    """
    t0 = time.monotonic()
    page.goto(url, timeout=90_000)
    page.wait_for_selector("#loading", state="detached", timeout=90_000)
    elapsed = time.monotonic() - t0
    semantics_on(page)
    page.wait_for_function(APP_SHOWN, timeout=90_000)
    return elapsed


ERROR_GREY = (195, 195, 196)
"""What Flutter's release-mode error widget paints where a control failed to lay out (seen
when an expanded child sat in a wrapping row): the semantics tree still holds the texts, so
only the picture shows that the clinician sees a grey box instead of the result."""


def error_box_pixels(path: Path) -> int:
    """How many pixels of a screenshot have the error widget's grey."""
    from PIL import Image

    with Image.open(path) as img:
        rgb = img.convert("RGB")
        data = rgb.tobytes()
    r0, g0, b0 = ERROR_GREY
    return sum(1 for i in range(0, len(data), 3)
               if abs(data[i] - r0) <= 3 and abs(data[i + 1] - g0) <= 3
               and abs(data[i + 2] - b0) <= 3)


def shot(page: Page, name: str) -> Path:
    """Save a screenshot under build/screenshots/ (after the canvas catches up), and fail if
    part of the screen failed to render (Flutter's grey error box).
    """
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(800)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    grey = error_box_pixels(path)
    assert grey < 2500, f"{path.name}: {grey} px of Flutter's error grey: a control failed"
    return path


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Browser, viewport: str) -> Iterator[tuple[Page, Offsite]]:
    offsite = Offsite()
    ctx = new_context(browser, viewport, offsite)
    pg = ctx.new_page()
    yield pg, offsite
    ctx.close()
    # Only the Rive runtime script of the bundled Flutter client may try to leave; the app
    # must work with it blocked (its host does not resolve: OFFLINE_ARGS).
    assert all("rive" in u for u in offsite.urls), offsite.urls
