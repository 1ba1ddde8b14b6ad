"""Signed content updates in the offline PWA (Python in the browser, ``fetch`` from the worker).

The session build (``tests/pwa/conftest.py``) has ``--update-url`` pointing at a second static
server on 127.0.0.1 (another origin, with CORS headers) and trusts a test publisher key. Here a
signed v2 of the bundled knowledge base with one changed dose is published there; the app
installs it on start, shows it, keeps it in IndexedDB and still shows it offline after a reload.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Page, expect, sync_playwright

from mobile_app.sync.envelope import TrustedKeys
from mobile_app.sync.publish import public_key_bytes, publish
from mobile_app.tools.pwa import (
    ROOT,
    BuildError,
    BuildReport,
    refresh_service_worker,
    update_base_url,
    write_service_worker,
)
from tests.pwa.conftest import (
    Offsite,
    StaticServer,
    T,
    UpdateHost,
    in_thread,
    launch,
    open_app,
    seen,
    shot,
    wait_for_precache,
)
from tests.sync.conftest import BOLUS, HYPO, base_files, set_dose, write_tree

NOTE = "Calcium gluconate bolus changed to 20 mL (test release)"
HYPO_CARD = re.compile(r"^Hypocalcaemia: recognition")
NEW_DOSE = re.compile(r"^20 mL$")
OLD_DOSE = "10–20 mL"

IDB_FILES_JS = """() => new Promise((resolve) => {
  const open = indexedDB.open('/persist');
  open.onerror = () => resolve([]);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('FILE_DATA')) { resolve([]); return; }
    const keys = db.transaction('FILE_DATA').objectStore('FILE_DATA').getAllKeys();
    keys.onsuccess = () => resolve(keys.result.map(String));
    keys.onerror = () => resolve([]);
  };
})"""

CACHED_URLS_JS = """async () => {
  const urls = [];
  for (const key of await caches.keys()) {
    for (const req of await (await caches.open(key)).keys()) urls.push(req.url);
  }
  return urls;
}"""


@pytest.fixture
def release(update_host: UpdateHost, pwa_publisher_key: Ed25519PrivateKey,
            tmp_path: Path) -> Iterator[UpdateHost]:
    """Signed v2 (bundled content, hypocalcaemia bolus now 20 mL) on the update host."""
    site = tmp_path / "publisher-site"
    src = write_tree(tmp_path / "v2", set_dose(base_files(), HYPO, BOLUS, "20"))
    report = publish(src, pwa_publisher_key, site, version=2,
                     changelog={"*": "First signed release", "hypocalcemia": NOTE})
    assert report.version == 2
    empty = update_host.root
    update_host.reset(site)
    try:
        yield update_host
    finally:
        update_host.reset(empty)


def settings(page: Page) -> None:
    page.get_by_role("tab", name="Settings").click()
    seen(page, "Content updates")


def home_card(page: Page) -> None:
    page.get_by_role("tab", name="Home").click()
    page.get_by_role("button", name=HYPO_CARD).first.click()


def reopen(page: Page) -> None:
    """Reload Home (a new Python worker; the content comes back from IndexedDB)."""
    page.get_by_role("tab", name="Home").click()
    page.wait_for_url(re.compile(r"/$"), timeout=T)
    page.reload()
    page.wait_for_selector("#loading", state="detached", timeout=T)
    page.wait_for_selector("flt-semantics", state="attached", timeout=T)  # on by itself
    seen(page, "Metabolic")


def test_the_build_carries_the_update_url_and_test_keys_only_in_the_build(
        pwa_site: tuple[Path, BuildReport], update_host: UpdateHost,
        pwa_publisher_key: Ed25519PrivateKey) -> None:
    out, report = pwa_site
    assert report.update_url == update_host.url
    with tarfile.open(out / "app.tar.gz") as tar:
        def member(name: str) -> bytes:
            f = tar.extractfile(next(m for m in tar.getmembers()
                                     if m.name.lstrip("/") == name))
            assert f is not None
            return f.read()

        config = json.loads(member("mobile_app/update_config.json"))
        keys = TrustedKeys.from_json(member("mobile_app/sync/trusted_keys.json"))
    assert config == {"update_url": update_host.url}
    assert [k.public_key for k in keys.keys] == [public_key_bytes(pwa_publisher_key)]
    # The source tree is untouched: shipped keys, no update configuration.
    shipped = TrustedKeys.from_file(ROOT / "mobile_app" / "sync" / "trusted_keys.json")
    assert public_key_bytes(pwa_publisher_key) not in [k.public_key for k in shipped.keys]
    assert not (ROOT / "mobile_app" / "update_config.json").exists()
    # The service worker knows the update URL and leaves it (and other origins) alone.
    sw = (out / "sw.js").read_text("utf-8")
    assert f"const UPDATE_BASE = {json.dumps(update_host.url)};" in sw
    assert "if (url.origin !== self.location.origin) return;" in sw
    assert "request.cache === 'no-store'" in sw
    assert "update" in report.format().lower() and update_host.url in report.format()


@pytest.mark.parametrize(("given", "base"), [
    ("https://updates.example.org/bonemets", "https://updates.example.org/bonemets/"),
    ("https://updates.example.org/bonemets/", "https://updates.example.org/bonemets/"),
    ("https://updates.example.org/bonemets/manifest.json",
     "https://updates.example.org/bonemets/"),
    (" http://127.0.0.1:8081/ ", "http://127.0.0.1:8081/"),
])
def test_update_url_is_normalised_to_its_base(given: str, base: str) -> None:
    assert update_base_url(given) == base


@pytest.mark.parametrize("bad", ["/bonemets/", "updates.example.org/x", "ftp://h/x",
                                 "https://h/x?v=1", "https://h/x#y", "file:///tmp/site"])
def test_update_url_must_be_absolute_http(bad: str) -> None:
    with pytest.raises(BuildError, match="--update-url"):
        update_base_url(bad)


SW_HARNESS_JS = r"""
const vm = require('vm');
const fs = require('fs');
const [swPath, scope, casesJson] = process.argv.slice(2);
const listeners = {};
const self = {
  location: new URL(scope + 'sw.js?ck=chromium'),
  registration: { scope },
  addEventListener: (type, fn) => { listeners[type] = fn; },
  clients: { claim: async () => {} },
  skipWaiting: () => {},
};
const cache = { match: async () => undefined, put: async () => {}, addAll: async () => {} };
const ctx = { self, URL, Request: class {}, console,
  caches: { open: async () => cache, keys: async () => [], delete: async () => true },
  fetch: async () => ({ ok: true, type: 'basic', clone() { return this; } }) };
vm.createContext(ctx);
vm.runInContext(fs.readFileSync(swPath, 'utf8'), ctx);
const answered = JSON.parse(casesJson).map(([url, mode, cacheMode]) => {
  let responded = false;
  const request = { url, method: 'GET', mode, cache: cacheMode, headers: new Map() };
  listeners.fetch({ request, respondWith: (p) => {
    responded = true;
    Promise.resolve(p).catch(() => {});
  } });
  return responded;
});
console.log(JSON.stringify(answered));
"""


def _tiny_site(root: Path) -> Path:
    for rel in ("index.html", "main.dart.js", "manifest.json", "canvaskit/canvaskit.js",
                "canvaskit/canvaskit.wasm", "canvaskit/chromium/canvaskit.js",
                "canvaskit/chromium/canvaskit.wasm"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    return root


def _answered_by_sw(sw: Path, scope: str, cases: list[tuple[str, str, str]]) -> list[bool]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is missing: run scripts/install-chromium.sh (scripts/test.sh does)")
    harness = sw.parent / "harness.cjs"
    harness.write_text(SW_HARNESS_JS, encoding="utf-8")
    out = subprocess.run([node, str(harness), str(sw), scope, json.dumps(cases)],
                         capture_output=True, text=True, check=True).stdout
    answered: list[bool] = json.loads(out)
    return answered


def test_service_worker_leaves_update_requests_to_the_network(tmp_path: Path) -> None:
    """The fetch handler, run under Node: requests to the update URL (here on the site's own
    origin, the case where caching could bite), ``no-store`` requests and other origins are not
    answered by the service worker; the app shell and navigations are.
    """
    site = _tiny_site(tmp_path / "site")
    scope = "http://127.0.0.1:8000/"
    updates = scope + "updates/"
    common = ["index.html", "main.dart.js", "manifest.json"]
    variants = {"chromium": ["canvaskit/chromium/canvaskit.js",
                             "canvaskit/chromium/canvaskit.wasm"],
                "full": ["canvaskit/canvaskit.js", "canvaskit/canvaskit.wasm"]}
    write_service_worker(site, common, variants, updates)
    cases = [
        (scope + "main.dart.js", "no-cors", "default"),  # app shell
        (scope + "manifest.json", "cors", "default"),  # the site's own web app manifest
        (scope + "card/hypocalcemia", "navigate", "default"),  # deep link
        (scope + "updates/manifest.json", "cors", "default"),  # update host, same origin
        (scope + "updates/docs/" + "a" * 64 + ".json", "cors", "default"),
        (scope + "elsewhere/manifest.json", "cors", "no-store"),  # the app's update fetch
        ("http://127.0.0.1:9000/bonemets/manifest.json", "cors", "no-store"),  # other origin
        ("http://127.0.0.1:9000/bonemets/docs/x.json", "cors", "default"),
    ]
    assert _answered_by_sw(site / "sw.js", scope, cases) == [
        True, True, True, False, False, False, False, False]

    # Rewriting sw.js after editing the site keeps the update URL.
    (site / "main.dart.js").write_text("changed")
    refresh_service_worker(site)
    assert f"const UPDATE_BASE = {json.dumps(updates)};" in (site / "sw.js").read_text()
    assert _answered_by_sw(site / "sw.js", scope, cases[:4]) == [True, True, True, False]

    # An update URL that would swallow the whole site is not bypassed (the app shell stays
    # offline); the app's own no-store fetches still go to the network.
    write_service_worker(site, common, variants, scope)
    assert _answered_by_sw(site / "sw.js", scope, cases[:3] + cases[5:6]) == [
        True, True, True, False]


def test_installs_a_signed_update_on_start_and_keeps_it_offline(
        pwa_site: tuple[Path, BuildReport], release: UpdateHost,
        static_server: Callable[[Path], StaticServer], tmp_path: Path) -> None:
    out, report = pwa_site
    host = release
    server = static_server(out)
    site_origin = server.url.rstrip("/")
    offsite = Offsite()
    profile = tmp_path / "profile"

    def scenario() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, profile, offsite)
            page = ctx.new_page()
            open_app(page, server.url)
            # The app synced on start (cross-origin fetch from the Python worker, CORS).
            settings(page)
            seen(page, "Installed version 2")
            seen(page, re.compile(r"Content version 2 \("))
            shot(page, "sync_installed_settings")
            paths = [p for p, _, _ in host.hits]
            assert paths[0] == "/bonemets/manifest.json", host.hits
            docs = [p for p in paths if p.startswith("/bonemets/docs/")]
            assert len(docs) == 1, host.hits  # delta: only the changed card was downloaded
            assert all(origin == site_origin for _, origin, _ in host.hits)
            # every file was served, and the next root probed (none: no key rotation)
            assert [(p, c) for p, _, c in host.hits if c != 200] == [
                ("/bonemets/root/2.json", 404)], host.hits

            home_card(page)
            expect(page.get_by_text(NEW_DOSE).first).to_be_visible(timeout=T)
            expect(page.get_by_text(OLD_DOSE, exact=True)).to_have_count(0)
            seen(page, f"Updated in content version 2: {NOTE}")
            shot(page, "sync_card_updated")

            # The installed content reached IndexedDB (IDBFS is saved after the install).
            deadline = time.monotonic() + 30
            while not any(k.endswith("/content/kb-2.json") for k in page.evaluate(IDB_FILES_JS)):
                assert time.monotonic() < deadline, page.evaluate(IDB_FILES_JS)
                page.wait_for_timeout(250)
            wait_for_precache(page, report)
            # Nothing from the update host is in the service worker's caches.
            cached = page.evaluate(CACHED_URLS_JS)
            assert cached and not [u for u in cached if u.startswith(host.url)], cached

            # Offline: no network at all, the site server and the update host gone too.
            hits_before = len(host.hits)
            server.stop()
            host.down = True
            ctx.set_offline(True)
            reopen(page)
            settings(page)
            seen(page, re.compile(r"^Offline"))
            seen(page, re.compile(r"Content version 2 \("))
            shot(page, "sync_offline_settings")
            home_card(page)
            expect(page.get_by_text(NEW_DOSE).first).to_be_visible(timeout=T)
            expect(page.get_by_text(OLD_DOSE, exact=True)).to_have_count(0)
            shot(page, "sync_card_offline")
            # Whatever reached the host while offline got no answer.
            assert all(code == 0 for _, _, code in host.hits[hits_before:]), host.hits
            ctx.close()

    in_thread(scenario)
    assert offsite.urls == [], offsite.urls
    assert urlsplit(host.url).hostname == "127.0.0.1"


def test_without_cors_headers_the_update_is_not_installed_and_cors_is_named(
        pwa_site: tuple[Path, BuildReport], release: UpdateHost,
        static_server: Callable[[Path], StaticServer], tmp_path: Path) -> None:
    out, _ = pwa_site
    host = release
    host.cors = False
    server = static_server(out)
    offsite = Offsite()

    def scenario() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, tmp_path / "profile", offsite)
            page = ctx.new_page()
            open_app(page, server.url)
            settings(page)
            seen(page, re.compile(r"^Offline: cannot reach .*CORS"))
            seen(page, re.compile(r"Content version 1 \("))
            shot(page, "sync_no_cors_settings")
            # The browser did send the request; it withheld the answer from the app.
            assert ("/bonemets/manifest.json" in [p for p, _, _ in host.hits]), host.hits
            home_card(page)
            expect(page.get_by_text(OLD_DOSE, exact=True).first).to_be_visible(timeout=T)
            ctx.close()

    in_thread(scenario)
    assert offsite.urls == [], offsite.urls


def test_imports_an_update_file_offline_and_shares_it(
        pwa_site: tuple[Path, BuildReport], pwa_publisher_key: Ed25519PrivateKey,
        static_server: Callable[[Path], StaticServer], tmp_path: Path) -> None:
    """The offline PWA (no site server, no update host, no network at all): Settings → Import
    update file reads the pack in the browser and installs it with every check; the card shows
    the new dose; Share this content downloads the installed content as a pack that another
    device installs."""
    from mobile_app.sync.client import Updater
    from mobile_app.sync.content import ContentStore
    from mobile_app.sync.pack import PackSource
    from mobile_app.sync.publish import site_pack
    from tests.sync.test_pack import rezip

    out, report = pwa_site
    site = tmp_path / "publisher-site"
    publish(write_tree(tmp_path / "v2", set_dose(base_files(), HYPO, BOLUS, "20")),
            pwa_publisher_key, site, version=2,
            changelog={"*": "First signed release", "hypocalcemia": NOTE})
    pack = tmp_path / "bonemets-content-v2.bmpack"
    pack.write_bytes(site_pack(site)[1])
    tampered = tmp_path / "tampered.bmpack"
    tampered.write_bytes(rezip(pack.read_bytes(), lambda n, b: b.replace(
        b'"amount": "20"', b'"amount": "90"') if n.startswith("docs/") else b))
    assert rezip(tampered.read_bytes(), lambda n, b: b) != rezip(pack.read_bytes(),
                                                                 lambda n, b: b)
    shared = tmp_path / "shared.bmpack"
    server = static_server(out)
    offsite = Offsite()

    def scenario() -> None:
        with sync_playwright() as pw:
            ctx = launch(pw, tmp_path / "profile", offsite)  # downloads are accepted
            page = ctx.new_page()
            open_app(page, server.url)
            wait_for_precache(page, report)
            server.stop()
            ctx.set_offline(True)
            reopen(page)
            settings(page)
            seen(page, re.compile(r"Content version 1 \("))

            def import_file(path: Path) -> None:
                with page.expect_file_chooser(timeout=T) as chooser:
                    page.get_by_role("button", name="Import update file").click()
                chooser.value.set_files(str(path))

            import_file(tampered)
            seen(page, re.compile(r"^Update rejected: cards/hypocalcemia.json does not match"))
            seen(page, re.compile(r"Content version 1 \("))
            import_file(pack)
            seen(page, "Installed version 2")
            seen(page, re.compile(r"Content version 2 \(.*signature verified"))
            shot(page, "pack_imported_offline_settings")
            with page.expect_download(timeout=T) as download:
                page.get_by_role("button", name="Share this content").click()
            download.value.save_as(shared)
            home_card(page)
            expect(page.get_by_text(NEW_DOSE).first).to_be_visible(timeout=T)
            expect(page.get_by_text(OLD_DOSE, exact=True)).to_have_count(0)
            seen(page, f"Updated in content version 2: {NOTE}")
            shot(page, "pack_card_offline")
            ctx.close()

    in_thread(scenario)
    assert offsite.urls == [], offsite.urls
    colleague = ContentStore(tmp_path / "colleague",
                             TrustedKeys.from_public_keys([public_key_bytes(pwa_publisher_key)]))
    updater = Updater(colleague, PackSource(shared.read_bytes(), "shared"))
    result = in_thread(lambda: __import__("asyncio").run(updater.run()))
    assert result.state == "installed" and result.version == 2, result.message
