"""Observable UI state: plain classes holding frozen domain results, with the operations on
them. Views render these; tests call the methods directly with no page or client.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import flet as ft

from mobile_app.domain.display import format_number
from mobile_app.domain.errors import InputError, MissingAnswer, each_error
from mobile_app.domain.models import Result
from mobile_app.knowledge.loader import CalculatorEntry, KnowledgeBase
from mobile_app.knowledge.models import Handoff
from mobile_app.knowledge.search import SearchHit
from mobile_app.store.inputs import CalculatorInputsRepo, SavedInputs
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, Settings, SettingsRepo
from mobile_app.sync.service import UpdateInfo
from mobile_app.ui import saved_inputs
from mobile_app.ui.forms import Field, build_form, default_units, parse_number
from mobile_app.ui.routes import item_path, parse_item_key

__all__ = ["AppState", "CalculatorState"]

log = logging.getLogger(__name__)

PHONE_MAX_WIDTH = 840
STALE_AFTER_S = 30 * 60
"""Answers older than this are flagged "entered … ago" (is this still the same patient?)."""
CLEAR_AFTER_S = 12 * 60 * 60
"""Answers older than this are cleared when the calculator is opened again."""
_FORM_LOCK = threading.Lock()
"""Serialises form updates: Flet may run synchronous handlers on several threads."""


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
    calculators: dict[str, CalculatorState] = field(default_factory=dict)
    """Open calculator forms by id (kept while the session lives; rebased on new content)."""
    inputs_repo: CalculatorInputsRepo | None = None
    """Where calculator answers are kept for the next session (None: this session only)."""

    @classmethod
    def create(cls, kb: KnowledgeBase, favourites: FavouritesRepo, recents: RecentsRepo,
               settings: SettingsRepo, inputs: CalculatorInputsRepo | None = None
               ) -> AppState:
        """State loaded from the store (unknown ids from older content are dropped)."""
        state = cls(kb=kb, favourites_repo=favourites, recents_repo=recents,
                    settings_repo=settings, inputs_repo=inputs)
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

    def calculator(self, calc_id: str, now: float | None = None) -> CalculatorState:
        """The form of a calculator of the current content: the one in progress (moved onto
        new parameters if the content changed under it), else a new one. Answers older than
        :data:`CLEAR_AFTER_S` are not kept.
        """
        calc = self.kb.calculators[calc_id]
        cs = self.calculators.get(calc_id)
        now = time.time() if now is None else now
        age = cs.age_s(now) if cs is not None else None
        if cs is None or (age is not None and age > CLEAR_AFTER_S):
            cs = self.calculators[calc_id] = self._new_form(calc, now, restore=cs is None)
        elif cs.calc is not calc:  # content updated: keep the answers, new parameters
            cs = self.calculators[calc_id] = cs.rebased(calc, self.settings.units)
        return cs

    def _new_form(self, calc: CalculatorEntry, now: float, restore: bool) -> CalculatorState:
        """A form for this session: with the answers the store kept from an earlier session
        (a lost connection, a restarted server) unless they are older than
        :data:`CLEAR_AFTER_S`; every change is saved again.
        """
        repo = self.inputs_repo
        if repo is None:
            return CalculatorState.create(calc, self.settings.units)
        saved = saved_inputs.load(repo, calc.id) if restore else None
        if saved is not None and now - saved.saved_at > CLEAR_AFTER_S:
            saved = None
        save = saved_inputs.saver(repo)
        cs = CalculatorState.create(calc, self.settings.units, saved=saved, on_change=save)
        if saved is None:
            save(cs)  # forget answers too old to keep
        return cs

    def hand_off(self, source: CalculatorState, handoff: Handoff) -> str:
        """Carry the values a hand-off names into its target calculator; returns the route.

        The carried values replace the target's own (and are shown there as typed); a source
        "input:<field>" carries what was typed in that field of this form, if anything.
        """
        kind, _, target = handoff.to.partition(":")
        if kind == "calc" and source.result is not None and handoff.carry:
            cs = self.calculator(target)
            for field_name, attr in handoff.carry.items():
                value = (source.values.get(attr.removeprefix("input:"))
                         if attr.startswith("input:") else getattr(source.result, attr, None))
                if value is None:
                    continue
                cs.set_value(field_name, format_number(value, 6, group=False)
                             if isinstance(value, int | float) else str(value))
        return item_path(handoff.to)

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
    entered_at: float | None = None
    """When an answer was last typed (epoch seconds); None for an untouched form."""
    units: Literal["conventional", "si"] = "conventional"
    """The unit preference the form started with (New patient restores it)."""
    derived: dict[str, Any] = field(default_factory=dict)
    """Answers decided by another field, shown at once (a typed spine level selects its
    location even while other answers are still missing)."""
    on_change: Callable[[CalculatorState], None] | None = None
    """Called after every change of the answers (the app saves them for the next session)."""

    @classmethod
    def create(cls, calc: CalculatorEntry, units: Literal["conventional", "si"],
               saved: SavedInputs | None = None,
               on_change: Callable[[CalculatorState], None] | None = None) -> CalculatorState:
        """An empty form with unit toggles set from the user's preference; with ``saved``,
        the saved answers that still fit the form, entered at their saved time.
        """
        form = build_form(calc)
        values: dict[str, Any] = dict(default_units(form, units))
        entered_at = None
        if saved is not None:
            values.update(saved_inputs.restorable(form, saved.values))
            entered_at = saved.saved_at
        state = cls(calc=calc, form=form, values=values, units=units, entered_at=entered_at,
                    on_change=on_change)
        state.recompute()
        return state

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self)

    def has_answers(self) -> bool:
        """Whether anything was typed or chosen (units alone do not count)."""
        return any(v not in (None, "") for k, v in self.values.items()
                   if self.field(k).kind != "unit")

    def age_s(self, now: float) -> float | None:
        """Seconds since the last answer (None for an untouched form)."""
        return None if self.entered_at is None or not self.has_answers() else now - self.entered_at

    def clear(self) -> None:
        """New patient: every answer removed, the units back to the preference."""
        with _FORM_LOCK:
            self.values = dict(default_units(self.form, self.units))
            self.entered_at = None
            self.recompute()
            self._changed()

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
        state = CalculatorState(calc=calc, form=form, values=values, units=units,
                                entered_at=self.entered_at, on_change=self.on_change)
        state.recompute()
        return state

    def field(self, name: str) -> Field:
        """The field spec named ``name``."""
        return next(f for f in self.form if f.name == name)

    def set_value(self, name: str, value: Any, now: float | None = None) -> None:
        """Set one input (text as typed, a choice id, a unit or a bool) and recompute."""
        with _FORM_LOCK:
            values = {**self.values, name: value}
            # A field that decides another (SINS: spine level → location) and that other field
            # exclude each other: the last one the user touched wins.
            for f in self.form:
                sets = f.extra.get("sets")
                if f.name == name and sets:
                    values.pop(str(sets), None)
                elif sets == name:
                    values.pop(f.name, None)
            self.values = values
            self.entered_at = time.time() if now is None else now
            self.recompute()
            self._changed()

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
        self.derived = self._derived(raw)
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

    def _derived(self, raw: dict[str, Any]) -> dict[str, Any]:
        targets = [str(f.extra["sets"]) for f in self.form
                   if f.extra.get("sets") and raw.get(f.name) is not None]
        if not targets:
            return {}
        try:
            prepared = self.calc.prepare(raw)
        except InputError:
            return {}
        return {t: prepared[t] for t in targets if prepared.get(t) is not None}

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
