"""What is installed, kept beside the installed content: the pointer and the HTTP validators.

:class:`ContentState` is the pointer (``content/state.json``, a TinyDB file on the crash-safe
storage): which version is current, which is the fallback, the highest version ever installed
(the rollback floor) and under which publisher and reviewer keys that floor was set. Replacing
it is the commit point of an install.

:class:`Validators` are the ``ETag`` / ``Last-Modified`` of the manifest that was last verified
(``content/validators.json``), so that "nothing changed" costs one ``304 Not Modified``. They
are a bandwidth hint only: a 304 is accepted only for the exact manifest bytes that are
installed, and only while that manifest has not expired.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mobile_app.store.atomic import write_atomic
from mobile_app.store.db import CorruptStoreError, Store
from mobile_app.store.repositories import read_singleton, write_singleton

__all__ = ["ContentState", "ContentStateRepo", "Validators", "read_validators",
           "write_validators"]


class ContentState(BaseModel):
    """Which knowledge-base version is installed, kept by the updater."""

    model_config = ConfigDict(frozen=True)

    current: int | None = Field(None, ge=0)
    """Version of the installed pack; ``None`` while only the bundled content is used."""

    previous: int | None = Field(None, ge=0)
    """Version kept as the fallback slot, if any."""

    highest_seen: int = Field(0, ge=0)
    """Highest version ever verified; a lower one is a rollback and is refused."""

    trust: str | None = None
    """:meth:`~mobile_app.sync.root.TrustedRoot.manifest_trust` of the root under which
    ``highest_seen`` was set. When the publisher or reviewer keys are rotated the floor they
    vouched for is discarded (fast-forward recovery); ``None``: set before roots existed."""

    source: str = "bundled"
    """Where the current content came from (``bundled``, the sync origin or an update file)."""

    updated_at: str | None = None
    """When the state last changed, as an ISO 8601 timestamp."""

    @field_validator("updated_at")
    @classmethod
    def _iso_timestamp(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                datetime.fromisoformat(value)
            except ValueError:
                raise ValueError(
                    f"updated_at must be an ISO 8601 timestamp; got {value!r}."
                ) from None
        return value


class ContentStateRepo:
    """Loads and saves :class:`ContentState`."""

    TABLE = "content_state"

    def __init__(self, store: Store) -> None:
        """Bind the repository to ``store``."""
        self._store = store

    def get(self) -> ContentState:
        """Return the saved state, or the initial state when none is saved.

        Raises:
            CorruptStoreError: A saved state exists but is invalid. It is not replaced by the
                defaults, since that would reset ``highest_seen`` and re-open rollbacks.
        """
        with self._store.lock:
            document = read_singleton(self._store.table(self.TABLE))
        if document is None:
            return ContentState()
        try:
            return ContentState.model_validate(document)
        except ValidationError as exc:
            raise CorruptStoreError(
                f"Saved content state is invalid: {exc}", self._store.path
            ) from exc

    def set(self, state: ContentState) -> None:
        """Replace the saved state.

        Raises:
            TypeError: ``state`` is not a :class:`ContentState`.
        """
        if not isinstance(state, ContentState):
            raise TypeError(f"Expected ContentState; got {type(state).__name__}.")
        with self._store.lock:
            write_singleton(self._store.table(self.TABLE), state.model_dump(mode="json"))


class Validators(BaseModel):
    """HTTP validators of the last verified manifest, and which bytes they stand for."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str
    etag: str | None = Field(None, max_length=512)
    last_modified: str | None = Field(None, max_length=128)
    envelope_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    """sha256 of the manifest envelope these validators were received with."""


def read_validators(path: Path) -> Validators | None:
    """The saved validators, or ``None`` (missing or unreadable: then no conditional request)."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if len(raw) > 4096:
        return None
    try:
        return Validators.model_validate_json(raw)
    except ValidationError:
        return None


def write_validators(path: Path, validators: Validators) -> None:
    """Save validators atomically (an ``OSError`` is left to the caller)."""
    data = json.dumps(validators.model_dump(mode="json"), sort_keys=True).encode("utf-8")
    write_atomic(path, data, make_parents=True)
