"""Benchmark: the offline PWA against a hello-world Flet app built by the same pipeline.

Both sites are built by ``build_pwa`` (the app into ``build/pwa``, ``bench/hello_world`` into
``build/pwa-hello``; ``--no-build`` reuses them), so they differ only in what they are. Both
are served by the README's recipe, ``mobile-app serve-pwa`` (precompressed copies), in this
process on 127.0.0.1, and loaded in Debian's Chromium (phone viewport; no host but 127.0.0.1
resolves, and every request elsewhere is recorded). The app and the hello world alternate
run by run (which goes first alternates too), so machine load hits both alike; ratios are of
medians from the same run.

- first load: bytes the server sent to a fresh profile until the service worker's precache
  was complete (what a first visit downloads), and the precache's files measured on disk;
- online, cold: a fresh browser profile each run, server up; "first screen" is the first card
  tile of Home (the app) or "Hello, world!" (hello world) in the semantics tree, timed from
  navigation (Python runs in the browser: loading Pyodide and the app is included);
- offline: the profile of the last cold run (installed), server stopped, a new browser each
  run;
- Python before the first screen: ``bench/pyodide_start.mjs`` runs each site's own Pyodide,
  archive and prewarm under Node.js and times the Python work up to the message that carries
  the first screen.

Targets (issue 12): offline reopen ≤ 1.15× hello world, online cold ≤ 1.2×; Python before
the first card ≤ 0.6 s; first load ≤ 15 MB compressed.

Usage: .venv/bin/python bench/bench_pwa.py [--runs 5] [--node-runs 7] [--no-build]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Page, Playwright, Request, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile_app.tools.pwa import (  # noqa: E402
    DEFAULT_OUT,
    FLET_PACKAGES,
    AppSpec,
    build_pwa,
)
from mobile_app.tools.pwa.compress import originals  # noqa: E402
from mobile_app.tools.pwa.report import measure  # noqa: E402
from mobile_app.tools.pwa.serve import in_thread, make_server  # noqa: E402
from mobile_app.tools.pwa.service_worker import precache_lists, site_files  # noqa: E402

HELLO = AppSpec(root=ROOT / "bench" / "hello_world", sources=("main.py",),
                packages=FLET_PACKAGES, startup_imports=(), name="Hello", short_name="Hello",
                description="Hello world")
HELLO_OUT = ROOT / "build" / "pwa-hello"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
HAS_TEXT = """(t) => [...document.querySelectorAll('flt-semantics')].some(e =>
  (e.textContent || '').includes(t) || (e.getAttribute('aria-label') || '').includes(t))"""
# Installation is all-or-nothing (cache.addAll in the install event), so a controlling
# service worker means the precache is complete.
PRECACHED = """async () => {
  if (!navigator.serviceWorker.controller) return false;
  return (await caches.keys()).some((k) => k.startsWith('bonemets-pwa-'));
}"""


@dataclass
class Site:
    name: str
    out: Path
    marker: str
    sent: int = 0
    url: str = ""
    cold: list[tuple[float, float]] = field(default_factory=list)
    offline: list[tuple[float, float]] = field(default_factory=list)
    wire: list[int] = field(default_factory=list)
    node: list[dict[str, float]] = field(default_factory=list)

    def count(self, _path: str, size: int) -> None:
        self.sent += size


def launch(pw: Playwright, profile: Path, offsite: list[str]) -> BrowserContext:
    """Chromium with a persistent profile. Nothing leaves 127.0.0.1: the resolver maps every
    other host to nothing (``ARGS``); requests are only recorded, not routed, because
    Playwright's request interception turns the HTTP cache off (the service worker's precache
    would then download every file a second time instead of revalidating it)."""
    ctx = pw.chromium.launch_persistent_context(
        str(profile), executable_path="/usr/bin/chromium", headless=True, args=ARGS,
        viewport={"width": 390, "height": 844})

    def record(request: Request) -> None:
        url = request.url
        if (urlparse(url).hostname or "") != "127.0.0.1" and not url.startswith(
                ("data:", "blob:")):
            offsite.append(url)

    ctx.on("request", record)
    return ctx


def first_screen(page: Page, url: str, marker: str) -> tuple[float, float]:
    """(seconds to Flutter's first frame, seconds to the first screen's marker text)."""
    t0 = time.monotonic()
    page.goto(url)
    page.wait_for_selector("#loading", state="detached", timeout=120_000)
    frame = time.monotonic() - t0
    # The app turns semantics on by itself; the hello world needs the placeholder clicked.
    page.evaluate("""() => {
        const p = document.querySelector('flt-semantics-placeholder');
        if (p && !document.querySelector('flt-semantics'))
            p.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    }""")
    page.wait_for_function(HAS_TEXT, arg=marker, polling="raf", timeout=120_000)
    return frame, time.monotonic() - t0


def sizes(out: Path) -> tuple[int, int, int, int]:
    """(files, raw, gzip level 6, served) of the Chromium precache of a built site."""
    common, variants = precache_lists(originals(site_files(out)))
    files = measure(out, common + variants["chromium"])
    return (len(files), sum(f.raw for f in files), sum(f.gzip for f in files),
            sum(f.served for f in files))


def node_run(site: Site) -> dict[str, float]:
    proc = subprocess.run(["node", str(ROOT / "bench" / "pyodide_start.mjs"), str(site.out),
                           site.marker], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"pyodide_start.mjs failed for {site.name}: {proc.stderr[-2000:]}")
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def med(values: list[float]) -> float:
    return statistics.median(values)


def row(name: str, app: list[float], hello: list[float], unit: str = "s") -> str:
    a, h = med(app), med(hello)
    fmt = (lambda v: f"{v:.2f}") if unit == "s" else (lambda v: f"{v:.0f}")
    return (f"| {name} | {fmt(a)} ({fmt(min(app))}–{fmt(max(app))}) | "
            f"{fmt(h)} ({fmt(min(hello))}–{fmt(max(hello))}) | {a / h:.2f} |")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--node-runs", type=int, default=7)
    parser.add_argument("--no-build", action="store_true", help="reuse build/pwa(-hello)")
    args = parser.parse_args()
    app = Site("app", DEFAULT_OUT, "Hypercalcaemia")
    hello = Site("hello world", HELLO_OUT, "Hello, world!")
    if not (args.no_build and (app.out / "sw.js").exists() and (hello.out / "sw.js").exists()):
        build_pwa(app.out)
        build_pwa(hello.out, app=HELLO)
    load_before = os.getloadavg()
    offsite: list[str] = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-pwa-"))
    servers = []
    for site in (app, hello):
        server = make_server(site.out, port=0, on_sent=site.count)
        in_thread(server)
        servers.append(server)
        site.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as pw:
            for run in range(args.runs):
                for site in ((app, hello) if run % 2 == 0 else (hello, app)):
                    ctx = launch(pw, tmp / f"{site.name}-cold-{run}", offsite)
                    page = ctx.new_page()
                    site.sent = 0
                    site.cold.append(first_screen(page, site.url, site.marker))
                    deadline = time.monotonic() + 180
                    while not page.evaluate(PRECACHED):
                        if time.monotonic() > deadline:
                            raise RuntimeError("the service worker did not finish installing")
                        page.wait_for_timeout(250)
                    site.wire.append(site.sent)
                    ctx.close()
            for server in servers:
                server.shutdown()
                server.server_close()
            for site in (app, hello):
                try:
                    urllib.request.urlopen(site.url, timeout=2)
                    raise RuntimeError("a static server is still up")
                except urllib.error.URLError:
                    pass
            for run in range(args.runs):
                for site in ((app, hello) if run % 2 == 0 else (hello, app)):
                    ctx = launch(pw, tmp / f"{site.name}-cold-{args.runs - 1}", offsite)
                    site.offline.append(first_screen(ctx.new_page(), site.url, site.marker))
                    ctx.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for run in range(args.node_runs):
        for site in ((app, hello) if run % 2 == 0 else (hello, app)):
            site.node.append(node_run(site))
    load_after = os.getloadavg()

    print(f"Chromium, phone viewport 390×844; {args.runs} browser runs and {args.node_runs} "
          f"Node.js runs per site, interleaved; load average {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after ({os.cpu_count()} CPUs)\n")
    print("| first load (Chromium) | app | hello world | ratio |")
    print("|---|---:|---:|---:|")
    sa, sh = sizes(app.out), sizes(hello.out)
    print(f"| precached files | {sa[0]} | {sh[0]} | |")
    for label, i in (("uncompressed", 1), ("gzip -6 (a server compressing on the fly)", 2),
                     ("precompressed brotli/gzip (serve-pwa)", 3)):
        print(f"| {label} | {sa[i] / 1e6:.1f} MB | {sh[i] / 1e6:.1f} MB | {sa[i] / sh[i]:.2f} |")
    wa, wh = med([float(w) for w in app.wire]), med([float(w) for w in hello.wire])
    print(f"| **sent by serve-pwa to a fresh profile** (median) | {wa / 1e6:.1f} MB | "
          f"{wh / 1e6:.1f} MB | {wa / wh:.2f} |\n")
    print("| median (min–max) | app | hello world | ratio |")
    print("|---|---:|---:|---:|")
    print(row("online, cold: first frame (s)", [c[0] for c in app.cold],
              [c[0] for c in hello.cold]))
    print(row("online, cold: **first screen** (s)", [c[1] for c in app.cold],
              [c[1] for c in hello.cold]))
    print(row("offline reopen: first frame (s)", [c[0] for c in app.offline],
              [c[0] for c in hello.offline]))
    print(row("offline reopen: **first screen** (s)", [c[1] for c in app.offline],
              [c[1] for c in hello.offline]))
    for key, label in (("load", "Node: loading Pyodide (ms)"),
                       ("prewarm", "Node: prewarm (imports, start-up calls) (ms)"),
                       ("main", "Node: main() to the first screen's message (ms)"),
                       ("python", "Node: **all Python work before the first screen** (ms)")):
        print(row(label, [n[key] for n in app.node], [n[key] for n in hello.node], "ms"))
    print(f"\nRequests outside 127.0.0.1: {len(offsite)}"
          + (f" ({', '.join(sorted(set(offsite)))})" if offsite else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
