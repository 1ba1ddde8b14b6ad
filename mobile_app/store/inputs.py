"""Calculator answers kept in the per-browser store, with the time they were last changed.

A lost connection or a restarted server starts a new Flet session; the answers typed so far
come back from here. Each calculator has one document: its form values as typed (numbers as
text, choice ids, unit ids, yes/no) and ``saved_at`` in epoch seconds.

What is stored is decided by the form (``mobile_app.ui.saved_inputs`` keeps only values that
fit their field: numbers, listed choices, a spine level); this repository checks the shape and
sizes, so nothing but short scalar values under field names can reach the file. No names,
record numbers or other identifiers of a patient are ever stored.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from typing import NamedTuple

from tinydb import Query

from mobile_app.store.db import Store

__all__ = ["CalculatorInputsRepo", "InputValue", "SavedInputs"]

_log = logging.getLogger(__name__)

_ID = re.compile(r"[a-z0-9_]{1,64}")
MAX_FIELDS = 64
"""At most this many values per calculator."""
MAX_TEXT = 64
"""At most this many characters per value (the longest legitimate one is a number as typed)."""

InputValue = str | bool | int | float
"""One form value: text as typed, a choice or unit id, or a number or flag."""


class SavedInputs(NamedTuple):
    """A calculator's saved answers."""

    values: dict[str, InputValue]
    """Form values by field name."""

    saved_at: float
    """When they were last changed (epoch seconds)."""


def _check_id(calc_id: object) -> str:
    if not isinstance(calc_id, str) or _ID.fullmatch(calc_id) is None:
        raise ValueError(
            f"Calculator id must be 1-64 characters from a-z, 0-9 and _; got {calc_id!r}.")
    return calc_id


def _checked(values: object) -> dict[str, InputValue]:
    """``values`` if it is a mapping of field names to short scalars, else raise."""
    if not isinstance(values, Mapping):
        raise TypeError(f"Values must be a mapping of field names; got {type(values).__name__}.")
    if len(values) > MAX_FIELDS:
        raise ValueError(f"At most {MAX_FIELDS} values per calculator; got {len(values)}.")
    out: dict[str, InputValue] = {}
    for name, value in values.items():
        if not isinstance(name, str) or _ID.fullmatch(name) is None:
            raise ValueError(
                f"Field name must be 1-64 characters from a-z, 0-9 and _; got {name!r}.")
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                raise ValueError(
                    f"{name}: at most {MAX_TEXT} characters may be saved; got {len(value)}.")
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{name}: a saved number must be finite; got {value!r}.")
        elif not isinstance(value, bool | int):
            raise TypeError(
                f"{name}: a saved value must be text, a number or true/false; "
                f"got {type(value).__name__}.")
        out[name] = value
    return out


def _check_time(saved_at: object) -> float:
    if (isinstance(saved_at, bool) or not isinstance(saved_at, int | float)
            or not math.isfinite(saved_at) or saved_at <= 0):
        raise ValueError(f"saved_at must be positive epoch seconds; got {saved_at!r}.")
    return float(saved_at)


class CalculatorInputsRepo:
    """Each calculator's last answers, one document per calculator id."""

    TABLE = "calculator_inputs"

    def __init__(self, store: Store) -> None:
        """Bind the repository to ``store``."""
        self._store = store

    def load(self, calc_id: str) -> SavedInputs | None:
        """The saved answers of ``calc_id``, or ``None`` if there are none.

        A saved document that is not valid (another app version, a damaged file) is logged
        and treated as absent; it is left in place until the next :meth:`save` or
        :meth:`clear`.

        Raises:
            ValueError: ``calc_id`` is not a valid calculator id.
        """
        _check_id(calc_id)
        with self._store.lock:
            doc = self._store.table(self.TABLE).get(Query().calc == calc_id)
        if doc is None or isinstance(doc, list):
            return None
        try:
            return SavedInputs(_checked(doc.get("values")), _check_time(doc.get("saved_at")))
        except (TypeError, ValueError) as exc:
            _log.warning("Ignoring invalid saved inputs of %s: %s", calc_id, exc)
            return None

    def save(self, calc_id: str, values: Mapping[str, InputValue], saved_at: float) -> None:
        """Replace the saved answers of ``calc_id`` (one storage write).

        Raises:
            ValueError: A bad id or field name, too many or too long values, a non-finite
                number, or ``saved_at`` not positive.
            TypeError: ``values`` is not a mapping, or holds something other than text,
                numbers and true/false.
        """
        _check_id(calc_id)
        doc = {"calc": calc_id, "values": _checked(values), "saved_at": _check_time(saved_at)}
        with self._store.lock:
            self._store.table(self.TABLE).upsert(doc, Query().calc == calc_id)

    def clear(self, calc_id: str) -> None:
        """Forget the answers of ``calc_id`` (New patient); nothing saved is fine.

        Raises:
            ValueError: ``calc_id`` is not a valid calculator id.
        """
        _check_id(calc_id)
        with self._store.lock:
            table = self._store.table(self.TABLE)
            if table.contains(Query().calc == calc_id):
                table.remove(Query().calc == calc_id)

    def calculators(self) -> list[str]:
        """Ids of the calculators with saved answers, in id order."""
        with self._store.lock:
            docs = self._store.table(self.TABLE).all()
        return sorted({d["calc"] for d in docs
                       if isinstance(d.get("calc"), str) and _ID.fullmatch(d["calc"])})
