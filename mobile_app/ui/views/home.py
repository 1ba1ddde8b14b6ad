"""Home: search as you type, pinned favourites and recents, cards and calculators by situation."""

from __future__ import annotations

import flet as ft

from mobile_app.ui.components import heading, tappable_tile
from mobile_app.ui.routes import item_key, item_path, parse_item_key
from mobile_app.ui.services import Open, use_services
from mobile_app.ui.state import AppState
from mobile_app.ui.views.changes import update_banners

__all__ = ["GROUPS", "HomeView", "home_sections"]

GROUPS = (
    ("metabolic", "Metabolic", ft.Icons.SCIENCE_OUTLINED),
    ("skeletal", "Skeletal", ft.Icons.ACCESSIBILITY_NEW),
    ("treatment", "Treatment", ft.Icons.MEDICATION_OUTLINED),
)

def _tile(state: AppState, key: str, open_route: Open, section: str, selected: bool
          ) -> ft.ListTile:
    kind, item_id = parse_item_key(key)
    if kind == "card":
        card = state.kb.cards[item_id]
        subtitle, icon = card.summary, ft.Icons.DESCRIPTION_OUTLINED
    else:
        calc = state.kb.calculators[item_id]
        subtitle, icon = calc.summary, ft.Icons.CALCULATE_OUTLINED
    star = ft.Icon(ft.Icons.STAR, size=18, color=ft.Colors.AMBER_700,
                   semantics_label="Favourite") if state.is_favourite(key) else None
    # The same item can be listed twice (under Favourites and in its group): the row's key
    # names its section too, so reconciliation can never pair one row's title with another
    # row's action.
    tile = tappable_tile(state.title_of(key), subtitle, icon, open_route(item_path(key)),
                         key=f"tile-{section}-{kind}-{item_id}", trailing=star)
    tile.selected = selected
    return tile


def home_sections(state: AppState) -> list[tuple[str, list[str]]]:
    """What the home list shows, as (heading, item keys): search hits while searching;
    otherwise favourites, recents, then every group.
    """
    if state.query.strip():
        return [("Results", [item_key("card" if h.kind == "card" else "calc", h.id)
                             for h in state.hits])]
    sections: list[tuple[str, list[str]]] = []
    if state.favourites:
        sections.append(("Favourites", list(state.favourites)))
    recents = [k for k in state.recents if k not in state.favourites][:5]
    if recents:
        sections.append(("Recent", recents))
    for group, label, _ in GROUPS:
        keys = [item_key("card", c.id) for c in state.kb.cards.values() if c.group == group]
        keys += [item_key("calc", c.id) for c in state.kb.calculators.values()
                 if c.group == group]
        sections.append((label, keys))
    return sections


@ft.component
def HomeView(state: AppState, only: str | None = None, selected: str | None = None
             ) -> ft.Control:
    """The home list (``only="calc"`` lists calculators only); ``selected`` is the item open
    beside the list (tablet), highlighted.
    """
    open_route = use_services().open_route

    async def on_search(e: ft.Event[ft.TextField]) -> None:
        state.search(e.control.value or "")

    async def clear(_: ft.Event[ft.IconButton]) -> None:
        state.search("")

    clear_button = ft.IconButton(ft.Icons.CLOSE, on_click=clear, key="search-clear",
                                 tooltip="Clear search") if state.query else None
    search = ft.TextField(
        label="Search cards and calculators", key="search", value=state.query,
        prefix_icon=ft.Icons.SEARCH, on_change=on_search, autofocus=False,
        hint_text="e.g. zometa, hungry bone, cord compression",
        suffix_icon=ft.Semantics(label="Clear search", button=True, content=clear_button)
        if clear_button is not None else None,
    )
    controls: list[ft.Control] = [*update_banners(state, open_route), search]
    for title, keys in home_sections(state):
        if only:
            keys = [k for k in keys if k.startswith(only + ":")]
        if not keys and title != "Results":
            continue
        section = title.lower()
        controls.append(ft.Container(heading(title), padding=ft.Padding.only(top=12),
                                     key=f"section-{section}"))
        if not keys:
            controls.append(ft.Text(f"No results for “{state.query}”. Check the spelling or "
                                    "try a drug, brand or symptom.", key="no-results"))
        controls.extend(_tile(state, k, open_route, section, k == selected) for k in keys)
    return ft.Column(controls, spacing=2, scroll=ft.ScrollMode.AUTO, expand=True,
                     horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
