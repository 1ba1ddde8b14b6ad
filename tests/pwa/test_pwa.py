"""The offline PWA in headless Chromium: install online, then work with the server gone.

The site is a plain static directory served by ``python -m http.server``; Python (the app,
pydantic, TinyDB) runs in the browser. No request may leave 127.0.0.1.
"""

from __future__ import annotations

import json
import re
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from mobile_app.cli import main as cli_main
from mobile_app.tools.pwa import ROOT, BuildReport, refresh_service_worker
from mobile_app.ui.theme import FONTS, SYMBOLS_FONT
from tests.e2e.test_browser import fill
from tests.pwa.conftest import (
    Offsite,
    StaticServer,
    T,
    in_thread,
    launch,
    open_app,
    seen,
    shot,
    store_in_indexeddb,
    sw_state,
    wait_for_precache,
)

RADIOTHERAPY = re.compile(r"^Palliative radiotherapy|^Radiotherapy")


def test_build_pwa_refuses_to_replace_a_folder_that_is_not_a_build(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    assert cli_main(["build-pwa", "--out", str(tmp_path)]) == 1
    assert "is not a previous PWA build" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_the_build_is_self_contained(pwa_site: tuple[Path, BuildReport]) -> None:
    out, report = pwa_site
    index = (out / "index.html").read_text("utf-8")
    assert 'flet.pyodideUrl="./pyodide/pyodide.mjs"' in index
    assert "sw.js?ck=" in index
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["name"] == "BoneMets Pocket"
    assert manifest["display"] == "standalone" and manifest["start_url"] == "."
    assert {"192x192", "512x512"} <= {i["sizes"] for i in manifest["icons"]}
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    for icon in manifest["icons"]:  # the project's own icons (assets/), not Flet's
        assert (out / icon["src"]).read_bytes() == (ROOT / "assets" / icon["src"]).read_bytes()
    # The symbols font is in Flutter's font manifest (loaded before the first frame).
    assert (out / "assets" / FONTS[SYMBOLS_FONT]).read_bytes() == (
        ROOT / "assets" / FONTS[SYMBOLS_FONT]).read_bytes()
    font_manifest = json.loads((out / "assets" / "FontManifest.json").read_text("utf-8"))
    assert {"family": SYMBOLS_FONT, "fonts": [{"asset": FONTS[SYMBOLS_FONT]}]} in font_manifest
    assert not any("KaTeX" in f["family"] or "Cupertino" in f["family"] for f in font_manifest)
    # Precompressed copies for a server that honours them (mobile-app serve-pwa).
    for rel in ("main.dart.js", "pyodide/pyodide.asm.wasm", "canvaskit/chromium/canvaskit.wasm",
                "assets/fonts/MaterialIcons-Regular.otf"):
        assert (out / f"{rel}.br").stat().st_size < (out / rel).stat().st_size / 2, rel
        assert (out / f"{rel}.gz").is_file(), rel
    assert not (out / "app.tar.gz.br").exists()
    # Nothing the browser would fetch from a CDN, and no unused renderer or debug files.
    for rel in ("index.html", "flutter_bootstrap.js", "main.dart.js", "python.js",
                "python-worker.js"):
        text = (out / rel).read_text("utf-8")
        assert "cdn.jsdelivr.net" not in text, rel
        assert "pypi.org" not in text, rel
    assert not list(out.rglob("*.symbols")) and not list(out.rglob("*.map"))
    assert not (out / "main.dart.wasm").exists() and not list(out.glob("canvaskit/skwasm*"))
    n, raw, gz = report.first_load("chromium")
    assert gz <= 20e6, report.format()
    assert report.first_load_served("chromium") <= 15e6, report.format()
    assert report.rive_removed


def test_installs_then_works_offline_after_a_browser_restart(
        pwa_site: tuple[Path, BuildReport],
        static_server: Callable[..., StaticServer], tmp_path: Path) -> None:
    out, report = pwa_site
    server = static_server(out, compressed=True)  # the README's recipe: mobile-app serve-pwa
    profile = tmp_path / "profile"
    offsite = Offsite()
    timings: dict[str, float] = {}
    encodings: dict[str, str | None] = {}
    failed: list[str] = []

    def watch(ctx: Any) -> None:
        def response(r: Any) -> None:  # the site's own requests (not the update host's)
            if r.url.startswith(server.url):
                encodings[r.url.removeprefix(server.url)] = r.headers.get("content-encoding")
                if r.status >= 400:
                    failed.append(f"{r.status} {r.url}")

        ctx.on("response", response)
        ctx.on("requestfailed", lambda r: failed.append(f"failed {r.url}")
               if r.url.startswith(server.url) else None)

    def online() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, profile, offsite)
            watch(ctx)
            page = ctx.new_page()
            timings["online"] = open_app(page, server.url)
            page.get_by_role("button", name=RADIOTHERAPY).first.click()
            page.get_by_role("button", name="Add to favourites").click()
            expect(page.get_by_role("button", name="Remove from favourites")).to_be_visible(
                timeout=T)
            state = wait_for_precache(page, report)
            assert state["active"].endswith("sw.js?ck=chromium"), state
            # The favourite reached IndexedDB (IDBFS is synced after each store write).
            deadline = time.monotonic() + 30
            while "radiotherapy" not in (store_in_indexeddb(page) or ""):
                assert time.monotonic() < deadline, store_in_indexeddb(page)
                page.wait_for_timeout(250)
            shot(page, "online_card")
            ctx.close()

    in_thread(online)

    server.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(server.url, timeout=3)

    def offline() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, profile, offsite)
            watch(ctx)
            page = ctx.new_page()
            timings["offline"] = open_app(page, server.url)
            seen(page, "Favourites")
            favourite = page.get_by_role("button", name=RADIOTHERAPY).first
            expect(favourite).to_be_visible(timeout=T)
            shot(page, "offline_home")
            assert sw_state(page)["controlled"]
            # A card opens.
            favourite.click()
            expect(page.get_by_role("button", name="Remove from favourites")).to_be_visible(
                timeout=T)
            assert "/card/radiotherapy" in page.url
            shot(page, "offline_card")
            # A calculator computes: 8 Gy × 1, α/β 3 → BED 29.33 Gy, EQD2 17.6 Gy.
            page.get_by_role("tab", name="Calculators").click()
            page.get_by_role("button", name="BED / EQD2").first.click()
            fill(page, "Total dose (Gy)", "8")
            fill(page, "Fractions", "1")
            fill(page, "α/β (Gy)", "3")
            seen(page, re.compile(r"EQD2 17\.6 Gy"))
            seen(page, re.compile(r"BED 29\.33 Gy"))
            shot(page, "offline_bed_eqd2")
            # The arrows of the bone-targeted agents card are drawn from the bundled font.
            page.get_by_role("tab", name="Home").click()
            page.get_by_role("button", name=re.compile(r"^Bone-targeted agents")).first.click()
            seen(page, re.compile(r"60 → 3\.5 mg"))
            page.wait_for_timeout(1000)
            shot(page, "offline_arrow_glyphs")
            ctx.close()

    in_thread(offline)
    print(f"time to first card: online (first visit) {timings['online']:.1f} s, "
          f"offline (server down, new browser) {timings['offline']:.1f} s")
    # Nothing outside 127.0.0.1 was needed (the Rive request is removed in the build).
    assert all("rive" in u for u in offsite.urls), offsite.urls
    assert offsite.urls == [], offsite.urls
    # The big files came compressed; no request failed (no fallback-font fetch: every
    # glyph the screens drew was in a bundled font).
    for rel in ("main.dart.js", "pyodide/pyodide.asm.wasm", "canvaskit/chromium/canvaskit.wasm"):
        assert encodings.get(rel) == "br", (rel, encodings)
    assert failed == [], failed
    assert not any("noto" in u.lower() for u in encodings), sorted(encodings)


def test_a_new_build_is_offered_not_forced(
        pwa_site: tuple[Path, BuildReport],
        static_server: Callable[..., StaticServer], tmp_path: Path) -> None:
    out, report = pwa_site
    site = tmp_path / "site"
    shutil.copytree(out, site)
    server = static_server(site)
    offsite = Offsite()

    def scenario() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, tmp_path / "profile", offsite)
            page = ctx.new_page()
            open_app(page, server.url)
            old = wait_for_precache(page, report)
            # Deploy a new build: one file changes, so the service worker changes.
            (site / "version.json").write_text('{"app_name":"bonemets","version":"next"}')
            new_version = refresh_service_worker(site)
            assert new_version != report.version
            page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
            banner = page.locator("#pwa-update")
            expect(banner).to_be_visible(timeout=T)
            expect(banner).to_contain_text("Update available")
            state = sw_state(page)
            assert state["waiting"] is not None, state  # installed, but not forced on us
            assert state["active"] == old["active"]
            assert f"bonemets-pwa-{report.version}" in state["caches"]
            seen(page, "Metabolic")  # the running app was left alone
            shot(page, "update_available")
            banner.get_by_role("button", name="Reload").click()
            page.wait_for_selector("#loading", state="detached", timeout=T)
            page.wait_for_selector("flt-semantics", state="attached", timeout=T)
            seen(page, "Metabolic")
            deadline = time.monotonic() + 30
            while list(sw_state(page)["caches"]) != [f"bonemets-pwa-{new_version}"]:
                assert time.monotonic() < deadline, sw_state(page)
                page.wait_for_timeout(250)
            assert sw_state(page)["waiting"] is None
            ctx.close()

    in_thread(scenario)
    assert offsite.urls == [], offsite.urls
