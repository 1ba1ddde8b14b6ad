"""Composition root: load the knowledge base, open the per-client store, render the app.

Routes are in :mod:`mobile_app.ui.routes`, the frame (phone: one column and a bottom bar;
tablet: rail, list and detail side by side) in :mod:`mobile_app.ui.layout`, what screens may
use (navigation, clipboard, content service) in :mod:`mobile_app.ui.services`.
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
from typing import Any, cast

import flet as ft

from mobile_app.config import Config, ConfigError
from mobile_app.store.db import Store, new_client_id
from mobile_app.store.inputs import CalculatorInputsRepo
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.sync.content import ContentStore
from mobile_app.sync.service import ContentService
from mobile_app.ui.layout import phone_frame, tablet_frame
from mobile_app.ui.routes import CALCULATORS, CHANGES, SETTINGS, Route, Section
from mobile_app.ui.services import Services, ServicesContext
from mobile_app.ui.state import AppState
from mobile_app.ui.theme import FONTS, apply_theme, dark_theme, light_theme
from mobile_app.ui.views.calculator import CalculatorView
from mobile_app.ui.views.card import CardView
from mobile_app.ui.views.changes import ChangesView
from mobile_app.ui.views.home import HomeView
from mobile_app.ui.views.settings import SettingsView

__all__ = ["App", "FIRST_RENDER_CONTROLS", "data_dir", "main", "prepare_first_render", "run"]

log = logging.getLogger(__name__)

CLIENT_ID_KEY = "bonemets.client_id"
_INDEX_DELAY_S = 1.0
"""After the first render, the search index is built this much later (the browser build has
one thread: the first frame goes out first)."""


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


def _detail_view(state: AppState, route: Route, dark: bool, back: Any) -> ft.Control | None:
    """The open card, calculator or "What changed" screen of a route (None: just the list)."""
    if route.detail == CHANGES:
        return ChangesView(state, back)
    item = route.item
    if item is None:
        return None
    kind, item_id = item
    if kind == "card" and item_id in state.kb.cards:
        return CardView(state, item_id, dark, back)
    if kind == "calc" and item_id in state.kb.calculators:
        return CalculatorView(state, state.calculator(item_id), dark, back)
    return ft.Text(f"Not found: {route.path}")


def _list_view(state: AppState, section: Section, selected: str | None) -> ft.Control:
    if section == SETTINGS:
        return SettingsView(state)
    return HomeView(state, "calc" if section == CALCULATORS else None, selected=selected)


@ft.component
def App(state: AppState, services: Services) -> ft.Control:
    """The whole app: follows the URL, applies the theme, shows notices and records recents;
    the frame and the screens are in :mod:`mobile_app.ui.layout` and :mod:`mobile_app.ui.views`.
    """
    page = ft.context.page
    route, set_route = ft.use_state(Route.parse(page.route))
    # The list beside a detail on a tablet: the one the user opened it from.
    state_list, set_shown_list = ft.use_state(route.section)
    shown_list = cast(Section, state_list)

    def mount() -> None:
        def on_route(e: ft.RouteChangeEvent) -> None:
            new = Route.parse(e.route)
            set_shown_list(new.list_beside)
            set_route(new)

        def on_resize(e: ft.PageResizeEvent) -> None:
            state.width = e.width

        page.on_route_change = on_route
        page.on_resize = on_resize
        if page.width:
            state.width = float(page.width)

    ft.use_effect(mount, [])
    s = state.settings

    def theme_changed() -> None:
        apply_theme(page, s.theme, s.text_scale)
        page.update()

    ft.use_effect(theme_changed, [s.theme, s.text_scale])

    def show_notice() -> None:
        if state.notice:
            page.show_dialog(ft.SnackBar(ft.Text(state.notice), duration=2500))
            state.notice = ""

    ft.use_effect(show_notice, [state.notice])

    def record_recent() -> None:
        if route.item is not None and state.exists(route.detail or ""):
            state.opened(route.detail or "")

    ft.use_effect(record_recent, [route.detail])
    dark = s.theme == "dark" or (
        s.theme == "system" and page.platform_brightness == ft.Brightness.DARK)

    async def open_section(section: Section) -> None:
        await page.push_route(section)

    def screen() -> ft.Control:
        if state.is_phone:
            detail = _detail_view(state, route, dark, services.open_route(route.section))
            body = detail if detail is not None else _list_view(state, route.section, None)
            return phone_frame(body, route.section, open_section)
        return tablet_frame(_list_view(state, shown_list, route.detail),
                            _detail_view(state, route, dark, None), shown_list, open_section)

    return ServicesContext(services, screen)


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

    def open_route(path: str) -> Callable[[Any], Any]:
        async def handler(_: Any) -> None:
            await page.push_route(path)
        return handler

    apply_theme(page, state.settings.theme, state.settings.text_scale)
    page.render(App, state, Services(open_route, copy_text, service))
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


FIRST_RENDER_CONTROLS = (
    "Column", "Container", "Icon", "IconButton", "ListTile", "NavigationBar",
    "NavigationBarDestination", "NavigationRail", "NavigationRailDestination", "Row",
    "SafeArea", "Semantics", "SnackBar", "Text", "TextField", "VerticalDivider", "Clipboard",
    "Component", "component", "use_effect", "use_state",
)
"""What Home and the frame are made of (names of :mod:`flet`, which imports each on first
use)."""


def prepare_first_render() -> None:
    """Import what Flet would import while rendering the first screen: the themes' module
    (its many dataclasses take about 0.25 s in WebAssembly, more than the whole of a hello
    world's ``main``) and Home's controls.

    The browser build's prewarm calls this while Flutter boots, so once Flutter asks for the
    app ``main`` does only the session's own work. Harmless anywhere else (imports only).
    """
    light_theme(1.0)
    dark_theme(1.0)
    for name in FIRST_RENDER_CONTROLS:
        getattr(ft, name)


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
