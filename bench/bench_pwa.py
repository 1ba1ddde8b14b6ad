"""Benchmark: the offline PWA's first-load transfer and its time to the first card.

Builds the PWA (``mobile-app build-pwa``; ``--no-build`` reuses ``build/pwa``), serves it with
``python -m http.server`` on 127.0.0.1 and loads it in Debian's Chromium (phone viewport,
every request outside 127.0.0.1 aborted). "First card" is the first card tile of Home in the
semantics tree, timed from navigation (Python runs in the browser, so this includes loading
Pyodide and the app).

- online, cold: a fresh browser profile each run (nothing cached), server up;
- offline: one profile that installed the app (service worker and precache filled), then the
  server is stopped and each run starts a new browser on that profile.

Transfer: the files the service worker precaches (what a first visit downloads), raw and
gzip-compressed file by file (level 6; files that do not shrink are counted raw).

Targets (issue #5): first load ≤ 20 MB compressed; offline time to first card ≤ 4 s.

Usage: .venv/bin/python bench/bench_pwa.py [--runs 3] [--no-build]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Page, Playwright, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile_app.tools.pwa import DEFAULT_OUT, BuildReport, build_pwa  # noqa: E402

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
HAS_TEXT = """(t) => [...document.querySelectorAll('flt-semantics')].some(e =>
  (e.textContent || '').includes(t) || (e.getAttribute('aria-label') || '').includes(t))"""
# Installation is all-or-nothing (cache.addAll in the install event), so a controlling
# service worker means the precache is complete; the count is checked as well when known.
PRECACHED = """async (n) => {
  if (!navigator.serviceWorker.controller) return false;
  for (const k of await caches.keys())
    if (k.startsWith('bonemets-pwa-') && (await (await caches.open(k)).keys()).length >= n)
      return true;
  return false;
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(directory: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                             str(port), "--directory", str(directory)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/manifest.json", timeout=1):
                return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("static server did not start") from None
            time.sleep(0.05)


def launch(pw: Playwright, profile: Path, offsite: list[str]) -> BrowserContext:
    ctx = pw.chromium.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", headless=True, args=ARGS,
        viewport={"width": 390, "height": 844})

    def guard(route: Route) -> None:
        url = route.request.url
        if (urlparse(url).hostname or "") == "127.0.0.1" or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            offsite.append(url)
            route.abort()

    ctx.route("**/*", guard)
    return ctx


def first_card(page: Page, url: str) -> tuple[float, float]:
    """(seconds to Flutter's first frame, seconds to the first card tile)."""
    t0 = time.monotonic()
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=120_000)
    frame = time.monotonic() - t0
    page.locator("flt-semantics-placeholder").dispatch_event("click")
    page.wait_for_function(HAS_TEXT, arg="Hypercalcaemia", polling="raf", timeout=120_000)
    return frame, time.monotonic() - t0


def row(name: str, values: list[float]) -> str:
    return (f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | "
            f"{max(values):.2f} | {len(values)} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-build", action="store_true", help="reuse build/pwa")
    args = parser.parse_args()
    load_before = os.getloadavg()
    report: BuildReport | None = None
    if args.no_build and (DEFAULT_OUT / "sw.js").exists():
        out = DEFAULT_OUT
    else:
        report = build_pwa(DEFAULT_OUT)
        out = report.out
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    offsite: list[str] = []
    cold: list[tuple[float, float]] = []
    offline: list[tuple[float, float]] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-pwa-"))
    server = serve(out, port)
    try:
        with sync_playwright() as pw:
            installed = tmp / f"cold-{args.runs - 1}"
            for run in range(args.runs):
                profile = tmp / f"cold-{run}"
                ctx = launch(pw, profile, offsite)
                page = ctx.new_page()
                cold.append(first_card(page, url))
                if run == args.runs - 1:  # keep this profile: finish installing it
                    n = len(report.precache["chromium"]) if report else 1
                    deadline = time.monotonic() + 120
                    while not page.evaluate(PRECACHED, n):
                        if time.monotonic() > deadline:
                            raise RuntimeError("the service worker did not finish installing")
                        page.wait_for_timeout(250)
                ctx.close()
            server.terminate()
            server.wait(10)
            try:
                urllib.request.urlopen(url, timeout=2)
                raise RuntimeError("the static server is still up")
            except urllib.error.URLError:
                pass
            for _ in range(args.runs):
                ctx = launch(pw, installed, offsite)
                offline.append(first_card(ctx.new_page(), url))
                ctx.close()
    finally:
        if server.poll() is None:
            server.terminate()
        shutil.rmtree(tmp, ignore_errors=True)
    load_after = os.getloadavg()

    print(f"PWA at {out}; Chromium, phone viewport 390×844; {args.runs} runs each; "
          f"load average {load_before[0]:.1f} before, {load_after[0]:.1f} after "
          f"({os.cpu_count()} CPUs)\n")
    if report is not None:
        n, raw, gz = report.first_load("chromium")
        n2, raw2, gz2 = report.first_load("full")
        print("| first-load transfer (service-worker precache) | files | uncompressed | gzip |")
        print("|---|---:|---:|---:|")
        print(f"| Chromium (CanvasKit chromium) | {n} | {raw / 1e6:.1f} MB | "
              f"{gz / 1e6:.1f} MB |")
        print(f"| other browsers (CanvasKit full) | {n2} | {raw2 / 1e6:.1f} MB | "
              f"{gz2 / 1e6:.1f} MB |")
        print(f"| whole build | {len(report.files)} | {report.total_bytes / 1e6:.1f} MB | "
              f"{sum(f.gzip for f in report.files) / 1e6:.1f} MB |")
        print()
    print("| time (s) | median | min | max | runs |")
    print("|---|---:|---:|---:|---:|")
    print(row("online, cold profile: first frame", [c[0] for c in cold]))
    print(row("online, cold profile: **first card**", [c[1] for c in cold]))
    print(row("offline (server down, SW cache): first frame", [o[0] for o in offline]))
    print(row("offline (server down, SW cache): **first card**", [o[1] for o in offline]))
    print(f"\nRequests outside 127.0.0.1: {len(offsite)}"
          + (f" ({', '.join(sorted(set(offsite)))})" if offsite else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
