"""The local user store: favourites, recents, settings and calculator answers
(and the crash-safe storage the content-update pointer uses too).

One :class:`Store` owns one TinyDB database on a crash-safe :class:`AtomicJSONStorage` and one
lock; the repositories are the typed way in and out. Nothing here imports Flet.
"""

from mobile_app.store.db import AtomicJSONStorage, CorruptStoreError, Store, new_client_id
from mobile_app.store.inputs import CalculatorInputsRepo, SavedInputs
from mobile_app.store.repositories import (
    FavouritesRepo,
    RecentsRepo,
    Settings,
    SettingsRepo,
    validate_item_key,
)

__all__ = [
    "AtomicJSONStorage",
    "CalculatorInputsRepo",
    "CorruptStoreError",
    "FavouritesRepo",
    "RecentsRepo",
    "SavedInputs",
    "Settings",
    "SettingsRepo",
    "Store",
    "new_client_id",
    "validate_item_key",
]
