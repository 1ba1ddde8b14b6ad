"""Observable UI state: plain classes holding frozen domain results, with the operations on
them. Views render these; tests call the methods directly with no page or client.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import flet as ft

from mobile_app.domain.errors import InputError, MissingAnswer, each_error
from mobile_app.domain.models import Result
from mobile_app.knowledge.loader import CalculatorEntry, KnowledgeBase
from mobile_app.knowledge.search import SearchHit
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, Settings, SettingsRepo
from mobile_app.ui.forms import Field, build_form, default_units, parse_number
from mobile_app.ui.updates import UpdateInfo

__all__ = ["AppState", "CalculatorState", "item_key", "parse_item_key"]

log = logging.getLogger(__name__)

PHONE_MAX_WIDTH = 840
_FORM_LOCK = threading.Lock()
"""Serialises form updates: Flet may run synchronous handlers on several threads."""


def item_key(kind: Literal["card", "calc"], item_id: str) -> str:
    """Store key of a card or calculator ("card:hypocalcemia", "calc:sins")."""
    return f"{kind}:{item_id}"


def parse_item_key(key: str) -> tuple[str, str]:
    """Inverse of :func:`item_key`."""
    kind, _, item_id = key.partition(":")
    return kind, item_id


@ft.observable
@dataclass
class AppState:
    """App-wide state: knowledge base, favourites, recents, settings, search, layout."""

    kb: KnowledgeBase
    favourites_repo: FavouritesRepo
    recents_repo: RecentsRepo
    settings_repo: SettingsRepo
    favourites: list[str] = field(default_factory=list)
    recents: list[str] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    query: str = ""
    hits: list[SearchHit] = field(default_factory=list)
    width: float = 400.0
    notice: str = ""
    """A one-off message for the user (store recovered, result copied …)."""
    update: UpdateInfo | None = None
    """Content version, where it came from, and the update status line."""

    @classmethod
    def create(cls, kb: KnowledgeBase, favourites: FavouritesRepo, recents: RecentsRepo,
               settings: SettingsRepo) -> AppState:
        """State loaded from the store (unknown ids from older content are dropped)."""
        state = cls(kb=kb, favourites_repo=favourites, recents_repo=recents,
                    settings_repo=settings)
        state.favourites = [k for k in favourites.list() if state.exists(k)]
        state.recents = [k for k in recents.list() if state.exists(k)]
        state.settings = settings.get()
        return state

    @property
    def is_phone(self) -> bool:
        """Phone layout (one column, bottom navigation) below the tablet breakpoint."""
        return self.width < PHONE_MAX_WIDTH

    def exists(self, key: str) -> bool:
        """Whether a store key names a card or calculator of the current content."""
        kind, item_id = parse_item_key(key)
        return (kind == "card" and item_id in self.kb.cards) or (
            kind == "calc" and item_id in self.kb.calculators)

    def title_of(self, key: str) -> str:
        """Display title of a card or calculator key."""
        kind, item_id = parse_item_key(key)
        if kind == "card":
            return self.kb.cards[item_id].title
        return self.kb.calculators[item_id].title

    def is_favourite(self, key: str) -> bool:
        """Whether the item is pinned."""
        return key in self.favourites

    def toggle_favourite(self, key: str) -> bool:
        """Pin or unpin an item; persisted at once."""
        now = self.favourites_repo.toggle(key)
        self.favourites = [k for k in self.favourites_repo.list() if self.exists(k)]
        return now

    def opened(self, key: str) -> None:
        """Record an opened item in the recents."""
        self.recents_repo.push(key)
        self.recents = [k for k in self.recents_repo.list() if self.exists(k)]

    def search(self, query: str) -> None:
        """Update the query and its ranked hits."""
        self.query = query
        self.hits = self.kb.search(query, limit=12) if query.strip() else []

    def update_settings(self, **changes: Any) -> None:
        """Validate and save settings changes."""
        new = Settings.model_validate({**self.settings.model_dump(), **changes})
        self.settings_repo.save(new)
        self.settings = new

    def notify(self, text: str) -> None:
        """Show a one-off message."""
        self.notice = text

    def set_content(self, kb: KnowledgeBase, info: UpdateInfo) -> None:
        """Show other content (after an update) and/or a new update status.

        Favourites and recents of ids the new content no longer has are hidden, not deleted
        (a later version may bring them back); the search is re-run on the new content.
        """
        if kb is not self.kb:
            self.kb = kb
            self.favourites = [k for k in self.favourites_repo.list() if self.exists(k)]
            self.recents = [k for k in self.recents_repo.list() if self.exists(k)]
            self.search(self.query)
        self.update = info


@ft.observable
@dataclass
class CalculatorState:
    """A calculator form: raw values as typed, units, the live result or the errors.

    Every problem is kept: ``field_errors`` holds each field's message (all at once, not only
    the first), ``missing`` the labels of required answers still empty, and ``error`` a
    problem that belongs to no single field.
    """

    calc: CalculatorEntry
    form: list[Field]
    values: dict[str, Any] = field(default_factory=dict)
    result: Result | None = None
    error: InputError | None = None
    missing: list[str] = field(default_factory=list)
    field_errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, calc: CalculatorEntry, units: Literal["conventional", "si"]
               ) -> CalculatorState:
        """An empty form with unit toggles set from the user's preference."""
        form = build_form(calc)
        state = cls(calc=calc, form=form, values=dict(default_units(form, units)))
        state.recompute()
        return state

    def rebased(self, calc: CalculatorEntry, units: Literal["conventional", "si"]
                ) -> CalculatorState:
        """This form on other content (after an update): the answers typed so far are kept
        where the new calculator still has the field, and the result is recomputed with the
        new content's parameters.
        """
        form = build_form(calc)
        names = {f.name for f in form}
        values = {**default_units(form, units),
                  **{k: v for k, v in self.values.items() if k in names}}
        state = CalculatorState(calc=calc, form=form, values=values)
        state.recompute()
        return state

    def field(self, name: str) -> Field:
        """The field spec named ``name``."""
        return next(f for f in self.form if f.name == name)

    def set_value(self, name: str, value: Any) -> None:
        """Set one input (text as typed, a choice id, a unit or a bool) and recompute."""
        with _FORM_LOCK:
            values = {**self.values, name: value}
            # SINS: a spine level decides the location; picking a location clears the level.
            if name == "level":
                values.pop("location", None)
            elif name == "location":
                values.pop("level", None)
            self.values = values
            self.recompute()

    def raw_input(self) -> dict[str, Any]:
        """The calculator's raw input built from the form values."""
        raw: dict[str, Any] = {}
        for f in self.form:
            value = self.values.get(f.name)
            if f.kind in ("number",):
                value = parse_number(value) if isinstance(value, str) else value
            elif f.kind == "text" and isinstance(value, str):
                value = value.strip() or None
            elif f.kind == "yes_no" and isinstance(value, str):
                value = {"yes": True, "no": False}.get(value)
            if value is not None:
                raw[f.name] = value
        return raw

    def recompute(self) -> None:
        """Run the calculator. The calculator alone decides what is missing or wrong (a
        missing required answer is a prompt, not an error); every problem is shown at once.
        """
        raw = self.raw_input()
        errors: tuple[InputError, ...] = ()
        try:
            self.result = self.calc.run(raw)
        except InputError as exc:
            self.result, errors = None, each_error(exc)
        except Exception:  # a bug must not take the bedside app down
            log.exception("calculator %s failed on %r", self.calc.id, raw)
            self.result = None
            errors = (InputError("input", raw, "This input could not be calculated."),)
        missing = {self._form_field(e.field) for e in errors if isinstance(e, MissingAnswer)}
        self.missing = [f.label for f in self.form if f.name in missing]
        at_fields: dict[str, str] = {}
        general: InputError | None = None
        for e in errors:
            if isinstance(e, MissingAnswer):
                continue
            name = self._form_field(e.field)
            if name is None:
                general = general or e
            elif name not in at_fields:
                at_fields[name] = e.message
        self.field_errors = at_fields
        self.error = general

    def _form_field(self, name: str) -> str | None:
        """The form field an error belongs to (a unit error belongs to its number)."""
        for f in self.form:
            if f.name == name and f.kind != "unit":
                return f.name
            if f.unit_field == name:
                return f.name
        return None

    def error_for(self, name: str) -> str | None:
        """The error message to show at a field."""
        return self.field_errors.get(name)
