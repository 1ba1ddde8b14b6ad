"""Composition root: load the knowledge base, open the per-client store, render the app.

Routes: ``/`` home, ``/calculators``, ``/settings``, ``/card/<id>``, ``/calc/<id>``.
Phone (< 840 px): one column, bottom navigation, detail screens with a back button.
Tablet/desktop: navigation rail, list and detail side by side.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import logging
import os
import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import flet as ft

from mobile_app.config import Config, ConfigError
from mobile_app.store.db import Store, new_client_id
from mobile_app.store.inputs import CalculatorInputsRepo
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.sync.content import ContentStore
from mobile_app.sync.service import ContentService
from mobile_app.ui.state import AppState, item_key
from mobile_app.ui.theme import FONTS, dark_theme, light_theme
from mobile_app.ui.views.calculator import CalculatorView
from mobile_app.ui.views.card import CardView
from mobile_app.ui.views.changes import ChangesView
from mobile_app.ui.views.home import HomeView
from mobile_app.ui.views.settings import SettingsView

__all__ = ["App", "data_dir", "main", "parse_route", "run"]

log = logging.getLogger(__name__)

CLIENT_ID_KEY = "bonemets.client_id"
_INDEX_DELAY_S = 1.0
"""After the first render, the search index is built this much later (the browser build has
one thread: the first frame goes out first)."""
CHANGES = "changes"
"""Detail key of the "What changed" screen (``/changes``)."""
SECTIONS = (
    ("/", "Home", ft.Icons.HOME_OUTLINED, ft.Icons.HOME),
    ("/calculators", "Calculators", ft.Icons.CALCULATE_OUTLINED, ft.Icons.CALCULATE),
    ("/settings", "Settings", ft.Icons.SETTINGS_OUTLINED, ft.Icons.SETTINGS),
)


@cache
def config() -> Config:
    """The deployment settings (:class:`~mobile_app.config.Config`); an unusable timeout or
    deadline is logged and the defaults are used, so the app always starts.
    """
    try:
        return Config.from_env()
    except ConfigError:
        log.exception("a deployment setting is unusable; using the defaults for timeouts")
        safe = {k: v for k, v in os.environ.items()
                if k not in ("BONEMETS_TIMEOUT", "BONEMETS_SYNC_DEADLINE")}
        return Config.from_env(safe)


@cache
def server_content() -> ContentService:
    """The content every browser of this server sees: the installed update (re-verified),
    else the previous one, else the bundled knowledge base; synced from ``BONEMETS_UPDATE_URL``.
    """
    from mobile_app.sync.http import HttpxFetcher
    from mobile_app.sync.root import TrustedRoot

    cfg = config()
    try:
        anchor = TrustedRoot.from_file(cfg.trusted_keys) if cfg.trusted_keys else None
    except (OSError, ValueError):
        # A broken key file must not take the app down: show the verified content we have,
        # with the shipped root, and say why updates are off.
        log.exception("BONEMETS_TRUSTED_KEYS=%s is unusable; updates are off", cfg.trusted_keys)
        return ContentService(
            ContentStore(cfg.data_dir), None,
            off_reason=f"Updates are off: the trusted key file {cfg.trusted_keys} is unusable")
    return ContentService(ContentStore(cfg.data_dir, anchor), cfg.update_url, HttpxFetcher,
                          timeout_s=cfg.timeout_s, deadline_s=cfg.deadline_s)


@cache
def browser_content() -> ContentService:
    """The content of the browser build: installed updates live on the IndexedDB-backed
    directory (mounted by the store), saved to IndexedDB after each install. If updates cannot
    work in this browser, the bundled content is shown and Settings says so.
    """
    try:
        return _browser_service()
    except Exception:
        log.exception("content updates are unavailable in this browser")
        return ContentService(None, None,
                              off_reason="Updates are unavailable in this browser")


def _browser_service() -> ContentService:
    from mobile_app.store.browser import PERSIST_DIR, IDBFSSync, _pyodide_fs
    from mobile_app.sync.browser_fetch import FetchFetcher

    syncer = IDBFSSync(_pyodide_fs())
    cfg = config()
    return ContentService(ContentStore(f"{PERSIST_DIR}/bonemets"), cfg.update_url,
                          FetchFetcher, after_install=syncer.request, timeout_s=cfg.timeout_s,
                          deadline_s=cfg.deadline_s)


def data_dir() -> Path:
    """Where the user store lives: ``BONEMETS_DATA_DIR``, else Flet's app storage, else
    ``./storage`` (:class:`~mobile_app.config.Config`).
    """
    return config().data_dir


def parse_route(route: str) -> tuple[str, str | None]:
    """(section route, detail) of a URL: ``/card/x`` → (``/``, ``card:x``)."""
    path = (route or "/").split("?", 1)[0].rstrip("/") or "/"
    m = re.fullmatch(r"/(card|calc)/([a-z0-9_]+)", path)
    if m:
        section = "/calculators" if m.group(1) == "calc" else "/"
        return section, item_key("card" if m.group(1) == "card" else "calc", m.group(2))
    if path == "/changes":
        return "/settings", CHANGES
    if path in ("/calculators", "/settings"):
        return path, None
    return "/", None


@ft.component
def App(state: AppState, copy_text: Callable[[str], Any],
        service: ContentService | None = None) -> ft.Control:
    """The whole app: navigation, layout and the current screen."""
    page = ft.context.page
    route, set_route = ft.use_state(page.route or "/")
    # The list shown beside a detail on a tablet: the one the user opened it from (opening a
    # calculator from Home keeps Home), so only a section route changes it.
    list_section, set_list_section = ft.use_state(parse_route(page.route or "/")[0])

    def mount() -> None:
        def on_route(e: ft.RouteChangeEvent) -> None:
            sec, det = parse_route(e.route)
            if det is None or det == CHANGES:
                set_list_section(sec)
            else:  # a card or calculator: keep a list that holds it, else show its own
                set_list_section(lambda prev: prev if prev == "/" or (
                    prev == "/calculators" and det.startswith("calc:")) else sec)
            set_route(e.route)

        def on_resize(e: ft.PageResizeEvent) -> None:
            state.width = e.width

        page.on_route_change = on_route
        page.on_resize = on_resize
        if page.width:
            state.width = float(page.width)

    ft.use_effect(mount, [])

    s = state.settings

    def apply_theme() -> None:
        page.theme = light_theme(s.text_scale)
        page.dark_theme = dark_theme(s.text_scale)
        page.theme_mode = {"light": ft.ThemeMode.LIGHT, "dark": ft.ThemeMode.DARK}.get(
            s.theme, ft.ThemeMode.SYSTEM)
        page.update()

    ft.use_effect(apply_theme, [s.theme, s.text_scale])

    def show_notice() -> None:
        if state.notice:
            page.show_dialog(ft.SnackBar(ft.Text(state.notice), duration=2500))
            state.notice = ""

    ft.use_effect(show_notice, [state.notice])

    section, detail = parse_route(route)

    def record_recent() -> None:
        if detail is not None and state.exists(detail):
            state.opened(detail)

    ft.use_effect(record_recent, [detail])

    def go(path: str) -> Callable[[Any], Any]:
        async def handler(_: Any) -> None:
            await page.push_route(path)
        return handler

    dark = s.theme == "dark" or (
        s.theme == "system" and page.platform_brightness == ft.Brightness.DARK)

    async def check_updates(_: Any = None) -> None:
        if service is not None:
            await service.check()

    detail_view: ft.Control | None = None
    if detail == CHANGES:
        detail_view = ChangesView(state, go, go(section) if state.is_phone else None)
    elif detail is not None:
        kind, item_id = detail.split(":", 1)
        back = go(section) if state.is_phone else None
        if kind == "card" and item_id in state.kb.cards:
            detail_view = CardView(state, item_id, dark, go, back)
        elif kind == "calc" and item_id in state.kb.calculators:
            detail_view = CalculatorView(state, state.calculator(item_id), dark, back, copy_text,
                                         go)
        else:
            detail_view = ft.Text(f"Not found: {route}")

    def list_view(sec: str) -> ft.Control:
        if sec == "/settings":
            return SettingsView(state, check_updates, go, service)
        return HomeView(state, go, "calc" if sec == "/calculators" else None,
                        selected=None if state.is_phone else detail)

    shown_section = section if state.is_phone else list_section
    nav_index = [r for r, *_ in SECTIONS].index(shown_section)

    async def on_nav(e: ft.Event[Any]) -> None:
        await page.push_route(SECTIONS[int(e.control.selected_index)][0])

    if state.is_phone:
        body = detail_view if detail_view is not None else list_view(section)
        return ft.SafeArea(ft.Column([
            ft.Container(body, padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                         expand=True),
            ft.NavigationBar(
                destinations=[ft.NavigationBarDestination(icon=i, selected_icon=si, label=lbl)
                              for _, lbl, i, si in SECTIONS],
                selected_index=nav_index, on_change=on_nav, key="nav"),
        ], spacing=0, expand=True), expand=True)

    rail = ft.NavigationRail(
        destinations=[ft.NavigationRailDestination(icon=i, selected_icon=si, label=lbl)
                      for _, lbl, i, si in SECTIONS],
        selected_index=nav_index, on_change=on_nav, label_type=ft.NavigationRailLabelType.ALL,
        key="nav")
    left = list_view(shown_section)
    right = detail_view if detail_view is not None else ft.Container(
        ft.Text("Choose a card or calculator.", italic=True), alignment=ft.Alignment.CENTER)
    return ft.SafeArea(ft.Row([
        rail,
        ft.VerticalDivider(width=1),
        ft.Container(left, width=380, padding=12),
        ft.VerticalDivider(width=1),
        ft.Container(right, expand=True, padding=16),
    ], expand=True, vertical_alignment=ft.CrossAxisAlignment.STRETCH), expand=True)


async def _open_store(page: ft.Page) -> Store:
    """A store private to this browser: a random client id kept in the browser's storage
    keys one TinyDB file (no identifiers of the user or patient are involved).

    In the offline PWA (Python in the browser) the store is one TinyDB file on an
    IndexedDB-backed directory, private to the browser profile.
    """
    if sys.platform == "emscripten":
        from mobile_app.store.browser import open_browser_store

        try:
            return await open_browser_store()
        except Exception:
            log.exception("could not open the browser store; using memory for this session")
            return Store.memory()
    try:
        prefs = ft.SharedPreferences()
        cid = await prefs.get(CLIENT_ID_KEY)
        if not isinstance(cid, str) or not re.fullmatch(r"[0-9a-f]{32}", cid):
            cid = new_client_id()
            await prefs.set(CLIENT_ID_KEY, cid)
        return Store.for_client(data_dir(), cid)
    except Exception:
        log.exception("could not open the persistent store; using memory for this session")
        return Store.memory()


async def main(page: ft.Page) -> None:
    """Flet entry point."""
    page.title = "BoneMets Pocket"
    page.padding = 0
    # The PWA build moves them into Flutter's assets/ (and its font manifest).
    page.fonts = ({k: f"assets/{v}" for k, v in FONTS.items()} if sys.platform == "emscripten"
                  else FONTS)
    store = await _open_store(page)
    service = browser_content() if sys.platform == "emscripten" else server_content()
    state = AppState.create(service.kb, FavouritesRepo(store), RecentsRepo(store),
                            SettingsRepo(store), CalculatorInputsRepo(store))
    state.update = service.info()
    _follow_content(page, state, service)
    if store.recovered_from is not None:
        state.notify("Local favourites and settings were damaged and have been reset "
                     "(a copy was kept).")
    clipboard = ft.Clipboard()

    async def copy_text(text: str) -> None:
        await clipboard.set(text)

    page.theme = light_theme(state.settings.text_scale)
    page.dark_theme = dark_theme(state.settings.text_scale)
    page.render(App, state, copy_text, service)
    page.run_task(_after_first_frame, service)
    if service.due():
        page.run_task(service.check)


async def _after_first_frame(service: ContentService) -> None:
    """Build the search index once the first screen is out (a no-op when ``run`` built it)."""
    await asyncio.sleep(_INDEX_DELAY_S)
    service.kb.index  # noqa: B018


def _follow_content(page: ft.Page, state: AppState, service: ContentService) -> None:
    """Re-render this session when the content or the update status changes (the change may
    come from another session's sync, so it is applied in this page's own context).
    """

    async def apply() -> None:
        state.set_content(service.kb, service.info())

    def changed() -> None:
        contextvars.copy_context().run(page.run_task, apply)

    unsubscribe = service.subscribe(changed)

    def closed(_: Any) -> None:
        unsubscribe()

    page.on_close = closed


def run(host: str = "127.0.0.1", port: int = 8550) -> None:
    """Serve the app in Flet's web mode with every asset local (no CDN)."""
    os.environ.setdefault("FLET_WEB_NO_CDN", "true")
    kb = server_content().kb  # load and verify the content before accepting connections
    kb.index  # noqa: B018  (build the search index before the first keystroke)
    # The content lives as long as the server: keep it out of later garbage collections,
    # which would otherwise rescan it on every user action.
    gc.freeze()
    # CanvasKit (dart2js), the renderer of the offline PWA too: one renderer for both modes,
    # so what the browser tests see is what PWA users see. (With AUTO, Chromium got skwasm on
    # dart2wasm, whose renderer process now and then spun at 100 % CPU for good in the
    # large-text browser tests on a loaded machine, taking the page with it.)
    ft.run(main, view=ft.AppView.WEB_BROWSER, host=host, port=port, no_cdn=True,
           web_renderer=ft.WebRenderer.CANVAS_KIT,
           assets_dir=str(Path(__file__).resolve().parents[1] / "assets"))
