"""Signed updates end to end in the browser (issue #4): a publisher on 127.0.0.1 signs a first
release, the app installs it on start; the publisher changes one dose, the user taps "Check for
updates", and the browser shows the new dose, the update banner and the changelog.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, expect

from mobile_app.sync.envelope import TrustedKeys
from mobile_app.sync.publish import public_key_bytes, publish
from tests.e2e.conftest import AppServer, Offsite, new_context, open_app, shot
from tests.e2e.test_browser import T, seen
from tests.sync.conftest import BOLUS, HYPO, FaultServer, base_files, set_dose, write_tree

NOTE = "Calcium gluconate bolus changed to 20 mL (test release)"


@pytest.fixture
def publisher(tmp_path: Path) -> Iterator[tuple[FaultServer, Ed25519PrivateKey, Path]]:
    out = tmp_path / "site"
    out.mkdir()
    server = FaultServer(out)
    key = Ed25519PrivateKey.generate()
    keys_file = tmp_path / "trusted_keys.json"
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    keys_file.write_text(json.dumps(keys.to_json()))
    try:
        yield server, key, keys_file
    finally:
        server.stop()


def test_update_installs_on_start_then_on_demand_with_changelog(
    browser: Browser, publisher: tuple[FaultServer, Ed25519PrivateKey, Path], tmp_path: Path
) -> None:
    server, key, keys_file = publisher
    out = server.root
    publish(write_tree(tmp_path / "v2", base_files()), key, out, version=2,
            changelog={"*": "First signed release"})
    app = AppServer(tmp_path / "data", tmp_path / "app.log",
                    BONEMETS_UPDATE_URL=server.url, BONEMETS_TRUSTED_KEYS=str(keys_file))
    offsite = Offsite()
    ctx = new_context(browser, "phone", offsite)
    try:
        pg = ctx.new_page()
        # First start: the app syncs by itself and installs the first signed release.
        open_app(pg, f"{app.url}/settings")
        seen(pg, "Installed version 2")
        seen(pg, re.compile(r"Content version 2 \(.*signature verified"))
        assert "/manifest.json" in server.hits

        # The publisher changes one dose; the user asks for the update.
        publish(write_tree(tmp_path / "v3", set_dose(base_files(), HYPO, BOLUS, "20")), key, out,
                changelog={"hypocalcemia": NOTE})
        server.hits.clear()
        pg.get_by_role("button", name="Check for updates").click()
        seen(pg, "Installed version 3")
        # Delta: the manifest and the one changed document, nothing else.
        assert server.hits[0] == "/manifest.json"
        assert len(server.doc_hits()) == 1, server.hits
        shot(pg, "sync_settings_phone")

        pg.get_by_role("button", name="What changed").click()
        seen(pg, "Content version 3, issued")
        seen(pg, f"Changed: {NOTE}")
        shot(pg, "sync_what_changed_phone")
        pg.get_by_role("button", name=re.compile(r"^Hypocalcaemia: recognition")).click()
        seen(pg, f"Updated in content version 3: {NOTE}")
        expect(pg.get_by_text(re.compile(r"^20 mL$")).first).to_be_visible(timeout=T)
        expect(pg.get_by_text("10–20 mL", exact=True)).to_have_count(0)
        shot(pg, "sync_card_updated_phone")

        # Home announces the update and links to the changes.
        open_app(pg, app.url)
        banner = pg.get_by_role("button", name=re.compile(r"^Content updated to version 3"))
        expect(banner).to_be_visible(timeout=T)

        # A restart of the server re-verifies and serves the installed version (no download).
        app.stop()
        server.hits.clear()
        server.faults["/manifest.json"] = lambda h: h.send_error(503)
        app = AppServer(tmp_path / "data", tmp_path / "app2.log",
                        BONEMETS_UPDATE_URL=server.url, BONEMETS_TRUSTED_KEYS=str(keys_file))
        open_app(pg, f"{app.url}/card/hypocalcemia")
        expect(pg.get_by_text(re.compile(r"^20 mL$")).first).to_be_visible(timeout=T)
        open_app(pg, f"{app.url}/settings")
        seen(pg, re.compile(r"Update failed|Offline|Update rejected"))
        seen(pg, re.compile(r"Content version 3 \(.*signature verified"))
        assert server.doc_hits() == []
    finally:
        ctx.close()
        app.stop()
    assert all("rive" in u for u in offsite.urls), offsite.urls


def test_import_update_file_and_share_this_content(
    browser: Browser, publisher: tuple[FaultServer, Ed25519PrivateKey, Path], tmp_path: Path
) -> None:
    """Server mode, no update source at all: Settings → Import update file installs a pack
    (file picker; the bytes travel to the server over the app's own connection); a pack that
    fails a check is refused with the reason; Share this content downloads the installed
    content as a pack that another device installs."""
    from mobile_app.sync.client import Updater
    from mobile_app.sync.content import ContentStore
    from mobile_app.sync.pack import PackSource
    from mobile_app.sync.publish import site_pack
    from mobile_app.sync.root import TrustedRoot

    server, key, keys_file = publisher
    out = server.root
    publish(write_tree(tmp_path / "v2", set_dose(base_files(), HYPO, BOLUS, "20")), key, out,
            version=2, changelog={"*": NOTE})
    version, data = site_pack(out)
    pack = tmp_path / "bonemets-content-v2.bmpack"
    pack.write_bytes(data)
    broken = tmp_path / "broken.bmpack"
    broken.write_bytes(data[: len(data) // 2])
    app = AppServer(tmp_path / "data", tmp_path / "app.log", BONEMETS_UPDATE_URL="",
                    BONEMETS_TRUSTED_KEYS=str(keys_file))
    offsite = Offsite()
    ctx = new_context(browser, "phone", offsite, accept_downloads=True)
    try:
        pg = ctx.new_page()
        open_app(pg, f"{app.url}/settings")
        share = pg.get_by_role("button", name="Share this content")
        expect(share).to_be_disabled(timeout=T)  # bundled content: nothing signed to share

        with pg.expect_file_chooser(timeout=T) as chooser:
            pg.get_by_role("button", name="Import update file").click()
        chooser.value.set_files(str(broken))
        seen(pg, re.compile(r"^Update rejected: the update file is not a complete pack"))
        seen(pg, re.compile(r"Content version 1 \("))

        with pg.expect_file_chooser(timeout=T) as chooser:
            pg.get_by_role("button", name="Import update file").click()
        chooser.value.set_files(str(pack))
        seen(pg, "Installed version 2")
        seen(pg, re.compile(r"Content version 2 \(.*signature verified"))
        shot(pg, "pack_imported_settings_phone")

        with pg.expect_download(timeout=T) as download:
            share.click()
        shared = tmp_path / "shared.bmpack"
        download.value.save_as(shared)
        assert download.value.suggested_filename == "bonemets-content-v2.bmpack"

        open_app(pg, f"{app.url}/card/hypocalcemia")
        seen(pg, f"Updated in content version 2: {NOTE}")
        expect(pg.get_by_text(re.compile(r"^20 mL$")).first).to_be_visible(timeout=T)
    finally:
        ctx.close()
        app.stop()
    assert all("rive" in u for u in offsite.urls), offsite.urls

    # The shared file installs on a colleague's device with every check (in a thread: the
    # sync Playwright API keeps an event loop running in this one).
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    colleague = ContentStore(tmp_path / "colleague", TrustedRoot.from_file(keys_file))
    updater = Updater(colleague, PackSource(shared.read_bytes(), "shared"))
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(asyncio.run, updater.run()).result()
    assert result.state == "installed" and result.version == version, result.message
