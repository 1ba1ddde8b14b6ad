"""The local user store: favourites, recents and settings
(and the crash-safe storage the content-update pointer uses too).

One :class:`Store` owns one TinyDB database on a crash-safe :class:`AtomicJSONStorage` and one
lock; the repositories are the typed way in and out. Nothing here imports Flet.
"""

from mobile_app.store.db import AtomicJSONStorage, CorruptStoreError, Store, new_client_id
from mobile_app.store.repositories import (
    FavouritesRepo,
    RecentsRepo,
    Settings,
    SettingsRepo,
    validate_item_key,
)

__all__ = [
    "AtomicJSONStorage",
    "CorruptStoreError",
    "FavouritesRepo",
    "RecentsRepo",
    "Settings",
    "SettingsRepo",
    "Store",
    "new_client_id",
    "validate_item_key",
]
