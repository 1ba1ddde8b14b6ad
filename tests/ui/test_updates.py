"""ContentService (the content in use, sync on start/on demand, status, what changed) against a
real publisher served on 127.0.0.1, and the views that show it, without a Flet client.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, TypeVar

import pytest

from mobile_app.store.db import Store
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.sync.http import HttpxFetcher
from mobile_app.sync.service import ContentService
from mobile_app.ui.routes import item_key
from mobile_app.ui.state import AppState, CalculatorState
from mobile_app.ui.views.changes import change_rows, update_banners, update_section
from tests.sync import conftest as sync_harness
from tests.sync.conftest import BOLUS, HYPO, Env, base_files, dose_amount, edit_card, set_dose

T = TypeVar("T")

# The sync harness's fixtures: a publisher on 127.0.0.1 and a test signing key.
env = sync_harness.env
signing_key = sync_harness.signing_key


def run(coro_fn: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """asyncio.run in a fresh thread (independent of any loop on this one)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(coro_fn())).result()


def service(env: Env, url: str | None = None, **kw: Any) -> ContentService:
    return ContentService(env.content, url if url is not None else env.server.url,
                          lambda: HttpxFetcher(trust_env=False), now=env.now, timeout_s=3,
                          **kw)


def app_state(svc: ContentService) -> AppState:
    store = Store.memory()
    state = AppState.create(svc.kb, FavouritesRepo(store), RecentsRepo(store),
                            SettingsRepo(store))
    state.update = svc.info()
    return state


def test_unconfigured_service_shows_bundled_content_and_says_so(env: Env) -> None:
    svc = ContentService(env.content, None)
    info = svc.info()
    assert (info.source, info.state, info.configured) == ("bundled", "unconfigured", False)
    assert "No update source configured" in info.message
    assert svc.due() is False
    assert run(svc.check) is None
    assert svc.info().state == "unconfigured"
    assert env.server.hits == []


def test_sync_installs_swaps_content_and_reports_what_changed(env: Env) -> None:
    env.publish(version=2)
    installs: list[int] = []
    svc = service(env, after_install=lambda: installs.append(1))
    seen: list[tuple[str, int]] = []
    svc.subscribe(lambda: seen.append((svc.state, svc.content.version)))
    assert svc.due()
    first = run(svc.check)
    assert first is not None and first.state == "installed"
    assert svc.content.version == 2 and svc.content.source == "installed"

    env.publish(set_dose(base_files(), HYPO, BOLUS, "30"), notes={"hypocalcemia": "Bolus 30 mL"})
    result = run(svc.check)
    assert result is not None and result.state == "installed", result
    assert dose_amount(svc.content, "hypocalcemia", BOLUS) == "30"
    assert svc.kb.cards["hypocalcemia"] is svc.content.kb.cards["hypocalcemia"]
    info = svc.info()
    assert (info.version, info.state, info.installed_now, info.previous_version) == (
        3, "installed", True, 2)
    assert info.message == "Installed version 3"
    assert [(c.id, c.kind, c.note) for c in info.changes] == [
        ("hypocalcemia", "changed", "Bolus 30 mL")]
    assert installs == [1, 1]
    # Progress reached the listeners: checking … then the final state with the new version.
    assert ("checking", 2) in seen and seen[-1] == ("installed", 3)
    assert svc.checked_at == env.now() and not svc.due()
    env.clock[0] += timedelta(minutes=16)
    assert svc.due()

    # The view: the home banner links to the changes, which list the card with its note.
    state = app_state(svc)
    assert [c.key for c in update_banners(state, lambda r: lambda _: None)] == ["update-banner"]
    assert change_rows(state) == [("Hypocalcaemia: recognition and treatment", "Changed",
                                   "Bolus 30 mL", "/card/hypocalcemia")]
    texts = _texts(update_section(state, lambda _: None, lambda r: lambda _: None))
    assert "Installed version 3" in texts
    assert any(t.startswith("Content version 3 (") and "signature verified" in t for t in texts)


def test_after_restart_the_signed_changelog_is_still_shown(env: Env) -> None:
    env.publish(version=2)
    run(service(env).check)
    env.publish(set_dose(base_files(), HYPO, BOLUS, "30"), notes={"hypocalcemia": "Bolus 30 mL"})
    run(service(env).check)
    restarted = service(env)
    info = restarted.info()
    assert (info.version, info.source, info.state, info.installed_now) == (
        3, "installed", "idle", False)
    assert [(c.id, c.kind, c.note) for c in info.changes] == [
        ("hypocalcemia", "updated", "Bolus 30 mL")]
    # No "updated" banner after a restart (it was news only when it happened).
    assert update_banners(app_state(restarted), lambda r: lambda _: None) == []


@pytest.mark.parametrize("breakage", ["server_down", "tampered"])
def test_failed_sync_keeps_the_content_and_says_why(env: Env, breakage: str) -> None:
    env.publish(version=2)
    svc = service(env)
    run(svc.check)
    before = svc.kb
    if breakage == "server_down":
        env.server.stop()
    else:
        manifest = env.out / "manifest.json"
        manifest.write_bytes(manifest.read_bytes().replace(b'"payload": "', b'"payload": "A'))
    result = run(svc.check)
    assert result is not None and not result.ok
    assert svc.kb is before and svc.content.version == 2
    info = svc.info()
    if breakage == "server_down":
        assert info.state == "offline" and info.message.startswith("Offline:")
        assert "Using version 2" in info.message
    else:
        assert info.state in ("rejected", "error")
        assert info.message.startswith(("Update rejected:", "Update failed:"))


def test_concurrent_checks_share_one_sync(env: Env) -> None:
    env.publish(version=2)
    svc = service(env)

    async def both() -> tuple[Any, Any]:
        return await asyncio.gather(svc.check(), svc.check())

    a, b = run(both)
    assert a is b and a is not None and a.state == "installed"
    assert env.server.hits.count("/manifest.json") == 1


def test_expired_content_warns_on_home(env: Env) -> None:
    env.publish(version=2, expires_days=1)
    svc = service(env)
    run(svc.check)
    env.clock[0] += timedelta(days=2)
    later = service(env)
    assert later.content.version == 2 and later.content.expired
    state = app_state(later)
    banners = update_banners(state, lambda r: lambda _: None)
    assert [b.key for b in banners] == ["stale-banner"]


def test_set_content_hides_items_the_new_content_lacks(env: Env) -> None:
    files = base_files()
    env.publish(version=2)
    svc = service(env)
    state = app_state(svc)
    state.toggle_favourite(item_key("card", "pain_ladder"))
    state.toggle_favourite(item_key("card", "hypocalcemia"))
    state.search("ladder")
    assert state.hits and state.hits[0].id == "pain_ladder"
    without = {k: v for k, v in files.items() if k != "cards/pain_ladder.json"}
    renamed = edit_card(without, HYPO, lambda c: c.update(title="Low calcium"))
    env.publish(renamed, notes={"hypocalcemia": "Renamed", "pain_ladder": "Withdrawn"})
    run(svc.check)
    assert svc.content.version == 3
    state.set_content(svc.kb, svc.info())
    assert state.favourites == [item_key("card", "hypocalcemia")]
    assert state.title_of(item_key("card", "hypocalcemia")) == "Low calcium"
    assert all(h.id != "pain_ladder" for h in state.hits)
    # Hidden, not deleted: the store still has it should a later version bring it back.
    assert item_key("card", "pain_ladder") in state.favourites_repo.list()
    rows = {r[0]: r for r in change_rows(state)}
    assert rows["Pain ladder"][1:] == ("Removed", "Withdrawn", None)


def _texts(controls: list[Any]) -> list[str]:
    out: list[str] = []

    def walk(c: Any) -> None:
        value = getattr(c, "value", None)
        if isinstance(value, str):
            out.append(value)
        for attr in ("controls", "content"):
            child = getattr(c, attr, None)
            if isinstance(child, list):
                for x in child:
                    walk(x)
            elif child is not None and not isinstance(child, str):
                walk(child)

    for c in controls:
        walk(c)
    return out


def test_open_calculator_keeps_its_answers_and_uses_the_new_parameters(env: Env) -> None:
    env.publish(version=2)
    svc = service(env)
    run(svc.check)
    cs = CalculatorState.create(svc.kb.calculators["corrected_calcium"], "conventional")
    cs.set_value("calcium", "8.0")
    cs.set_value("albumin", "2.0")
    assert cs.result is not None
    assert cs.result.corrected_calcium == pytest.approx(8.0 + 0.8 * (4.0 - 2.0))  # type: ignore[attr-defined]

    path = "calculators/corrected_calcium.json"

    def edit(doc: dict[str, Any]) -> None:
        doc["parameters"]["formula"]["normal_albumin_g_dl"] = 4.4

    files = dict(base_files())
    doc = json.loads(files[path])
    edit(doc)
    files[path] = json.dumps(doc, ensure_ascii=False).encode()
    env.publish(files, notes={"corrected_calcium": "Normal albumin 4.4 g/dL (test)"})
    run(svc.check)
    new_calc = svc.kb.calculators["corrected_calcium"]
    assert new_calc is not cs.calc
    moved = cs.rebased(new_calc, "si")
    assert moved.calc is new_calc
    assert moved.values["calcium"] == "8.0" and moved.values["albumin"] == "2.0"
    assert moved.values["calcium_unit"] == cs.values["calcium_unit"]  # the user's toggle stays
    assert moved.result is not None
    assert moved.result.corrected_calcium == pytest.approx(8.0 + 0.8 * (4.4 - 2.0))  # type: ignore[attr-defined]


def test_a_reason_for_updates_being_off_is_shown_and_kept(env: Env) -> None:
    svc = ContentService(env.content, None, off_reason="Updates are off: key file unusable")
    assert svc.info().message == "Updates are off: key file unusable"
    assert run(svc.check) is None
    assert svc.info().message == "Updates are off: key file unusable"


def test_server_with_an_unusable_key_file_still_serves_its_content(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mobile_app import app

    bad = tmp_path / "keys.json"
    bad.write_text("{not json")
    monkeypatch.setenv("BONEMETS_TRUSTED_KEYS", str(bad))
    monkeypatch.setenv("BONEMETS_UPDATE_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("BONEMETS_DATA_DIR", str(tmp_path / "data"))
    app.server_content.cache_clear()
    try:
        svc = app.server_content()
        info = svc.info()
        assert (info.source, info.configured) == ("bundled", False)
        assert info.message == f"Updates are off: the trusted key file {bad} is unusable"
    finally:
        app.server_content.cache_clear()


def test_a_sync_does_not_reload_the_content_the_service_holds(
        env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The service holds verified content; a sync reuses it (its documents, its root) instead
    of reading and re-verifying the installed files again, and verifies only the new
    version once."""
    import mobile_app.sync.client as client_module
    from mobile_app.sync.content import ContentStore

    env.publish(version=2)
    svc = service(env)
    assert run(svc.check) is not None and svc.content.version == 2
    env.publish(set_dose(base_files(), HYPO, BOLUS, "20"), notes={"hypocalcemia": "20 mL"})

    def no_reload(self: ContentStore) -> Any:
        raise AssertionError("the installed content was loaded again")

    verified: list[int] = []
    real = client_module.verify_pack

    def counting(*args: Any, **kw: Any) -> Any:
        pack = real(*args, **kw)
        verified.append(pack.version)
        return pack

    monkeypatch.setattr(ContentStore, "load", no_reload)
    monkeypatch.setattr(ContentStore, "_verify_slot", no_reload)
    monkeypatch.setattr(client_module, "verify_pack", counting)
    result = run(svc.check)
    assert result is not None and result.state == "installed", result.message
    assert verified == [3]
    assert dose_amount(svc.content, "hypocalcemia", BOLUS) == "20"
    again = run(svc.check)
    assert again is not None and again.state == "up_to_date" and verified == [3]
