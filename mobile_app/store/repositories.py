"""Typed repositories over the user store: favourites, recents and settings.

Every method holds the store's lock for its whole read-modify-write, so Flet handlers running
in a thread pool cannot lose each other's updates. Each change is a single TinyDB write, which
:class:`~mobile_app.store.db.AtomicJSONStorage` makes atomic: a crash leaves the previous
state, never half of a change.

Only ids of cards and calculators (``card:<id>``, ``calc:<id>``) and display settings are
stored; never anything that identifies a patient. (The content-update pointer uses the same
helpers: :mod:`mobile_app.sync.state`.)
"""

from __future__ import annotations

import builtins
import copy
import logging
import re
from collections.abc import MutableMapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from tinydb.table import Document, Table

from mobile_app.store.db import Store

__all__ = [
    "FavouritesRepo",
    "RecentsRepo",
    "Settings",
    "SettingsRepo",
    "read_singleton",
    "validate_item_key",
    "write_singleton",
]

_log = logging.getLogger(__name__)

_ITEM_KEY = re.compile(r"(card|calc):[a-z0-9_]{1,64}")
_SINGLETON_ID = 1
_KEYS_FIELD = "keys"


def validate_item_key(key: object) -> str:
    """Return ``key`` if it names a card or calculator, e.g. ``"card:hypocalcemia"``.

    Raises:
        ValueError: ``key`` is not ``card:`` or ``calc:`` followed by 1-64 characters from
            ``a-z``, ``0-9`` and ``_``.
    """
    if not isinstance(key, str) or _ITEM_KEY.fullmatch(key) is None:
        raise ValueError(
            "Item key must be 'card:<id>' or 'calc:<id>' with an id of 1-64 characters "
            f"from a-z, 0-9 and _; got {key!r}."
        )
    return key


def read_singleton(table: Table) -> dict[str, Any] | None:
    """A copy of the table's single document, or ``None``."""
    document = table.get(doc_id=_SINGLETON_ID)
    if document is None:
        return None
    return copy.deepcopy(dict(document))


def write_singleton(table: Table, data: dict[str, Any]) -> None:
    """Replace the table's single document in one storage write."""
    fresh = copy.deepcopy(data)
    if table.contains(doc_id=_SINGLETON_ID):

        def replace(document: MutableMapping[str, Any]) -> None:
            document.clear()
            document.update(fresh)

        table.update(replace, doc_ids=[_SINGLETON_ID])
    else:
        table.insert(Document(fresh, doc_id=_SINGLETON_ID))


class _KeyList:
    """An ordered, duplicate-free list of item keys kept in one document of one table."""

    def __init__(self, store: Store, table_name: str) -> None:
        self._store = store
        self._table_name = table_name

    def load(self) -> builtins.list[str]:
        document = read_singleton(self._store.table(self._table_name))
        if document is None:
            return []
        raw = document.get(_KEYS_FIELD)
        if not isinstance(raw, builtins.list):
            _log.warning(
                "Ignoring malformed %s document in the user store: %r", self._table_name, document
            )
            return []
        keys: builtins.list[str] = []
        for item in raw:
            if isinstance(item, str) and _ITEM_KEY.fullmatch(item) and item not in keys:
                keys.append(item)
            else:
                _log.warning(
                    "Ignoring invalid %s entry in the user store: %r", self._table_name, item
                )
        return keys

    def save(self, keys: builtins.list[str]) -> None:
        write_singleton(self._store.table(self._table_name), {_KEYS_FIELD: keys})


class FavouritesRepo:
    """The cards and calculators the user starred, in the order they were added."""

    TABLE = "favourites"

    def __init__(self, store: Store) -> None:
        """Bind the repository to ``store``."""
        self._store = store
        self._keys = _KeyList(store, self.TABLE)

    def list(self) -> builtins.list[str]:
        """Return the favourite keys, oldest first."""
        with self._store.lock:
            return self._keys.load()

    def contains(self, key: str) -> bool:
        """Return whether ``key`` is a favourite.

        Raises:
            ValueError: ``key`` is not a valid item key.
        """
        validate_item_key(key)
        with self._store.lock:
            return key in self._keys.load()

    def add(self, key: str) -> None:
        """Add ``key`` at the end; a key that is already a favourite keeps its place.

        Raises:
            ValueError: ``key`` is not a valid item key.
        """
        validate_item_key(key)
        with self._store.lock:
            keys = self._keys.load()
            if key not in keys:
                keys.append(key)
                self._keys.save(keys)

    def remove(self, key: str) -> None:
        """Remove ``key``; removing a key that is not a favourite does nothing.

        Raises:
            ValueError: ``key`` is not a valid item key.
        """
        validate_item_key(key)
        with self._store.lock:
            keys = self._keys.load()
            if key in keys:
                keys.remove(key)
                self._keys.save(keys)

    def toggle(self, key: str) -> bool:
        """Add ``key`` if absent, remove it if present.

        Returns:
            Whether ``key`` is a favourite afterwards.

        Raises:
            ValueError: ``key`` is not a valid item key.
        """
        validate_item_key(key)
        with self._store.lock:
            if key in self._keys.load():
                self.remove(key)
                return False
            self.add(key)
            return True


class RecentsRepo:
    """The most recently opened cards and calculators, newest first, without duplicates."""

    TABLE = "recents"

    def __init__(self, store: Store, limit: int = 8) -> None:
        """Bind the repository to ``store``.

        Args:
            store: The user store.
            limit: How many keys to keep (at least 1).

        Raises:
            ValueError: ``limit`` is less than 1.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"Recents limit must be a whole number of at least 1; got {limit!r}.")
        self._store = store
        self._limit = limit
        self._keys = _KeyList(store, self.TABLE)

    @property
    def limit(self) -> int:
        """How many keys are kept."""
        return self._limit

    def push(self, key: str) -> None:
        """Put ``key`` first, dropping an older copy of it and anything beyond the limit.

        Raises:
            ValueError: ``key`` is not a valid item key.
        """
        validate_item_key(key)
        with self._store.lock:
            keys = [key, *(k for k in self._keys.load() if k != key)][: self._limit]
            self._keys.save(keys)

    def list(self) -> builtins.list[str]:
        """Return the recent keys, most recent first (at most ``limit``)."""
        with self._store.lock:
            return self._keys.load()[: self._limit]

    def clear(self) -> None:
        """Forget all recents."""
        with self._store.lock:
            self._keys.save([])


class Settings(BaseModel):
    """The user's display preferences."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    theme: Literal["system", "light", "dark"] = "system"
    """Colour scheme; ``system`` follows the device."""

    text_scale: float = Field(1.0, ge=0.8, le=2.0)
    """Text size multiplier, 0.8 to 2.0."""

    units: Literal["conventional", "si"] = "conventional"
    """Laboratory units shown by default (e.g. mg/dL vs mmol/L)."""


class SettingsRepo:
    """Loads and saves :class:`Settings`."""

    TABLE = "settings"

    def __init__(self, store: Store) -> None:
        """Bind the repository to ``store``."""
        self._store = store

    def get(self) -> Settings:
        """Return the saved settings, or the defaults when none are saved or they are invalid.

        Invalid saved settings (e.g. written by another app version) are logged as a warning
        and left in place until the next :meth:`save`.
        """
        with self._store.lock:
            document = read_singleton(self._store.table(self.TABLE))
        if document is None:
            return Settings()
        try:
            return Settings.model_validate(document)
        except ValidationError as exc:
            _log.warning("Saved settings are invalid; using the defaults. %s", exc)
            return Settings()

    def save(self, settings: Settings) -> None:
        """Replace the saved settings.

        Raises:
            TypeError: ``settings`` is not a :class:`Settings`.
        """
        if not isinstance(settings, Settings):
            raise TypeError(f"Expected Settings; got {type(settings).__name__}.")
        with self._store.lock:
            write_singleton(self._store.table(self.TABLE), settings.model_dump(mode="json"))
