"""Which calculator answers may be kept in the per-browser store, and which come back.

Only a value that fits its field is saved or restored: a number field's text if it looks like
a number (digits, one decimal point or comma, an exponent), a listed choice or unit, yes/no,
and the spine level (a vertebra such as "T12"). Anything else typed into a field (a name, a
note) stays in the session and is never written, so the store cannot hold patient
identifiers; after a restart such a field is simply empty.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from mobile_app.store.inputs import CalculatorInputsRepo, InputValue, SavedInputs
from mobile_app.ui.forms import Field

if TYPE_CHECKING:
    from mobile_app.ui.state import CalculatorState

__all__ = ["load", "persistable", "restorable", "saver"]

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"[+-]?(\d[\d\s\u2009]{0,15}([.,]\d{0,12})?|[.,]\d{1,12})([eE][+-]?\d{1,3})?")
_SHORT_CODE = re.compile(r"[A-Za-z]{1,2}\s?\d{1,2}")
"""A spine level as typed ("T12", "l5", "C 7"): the only free-text field of the forms."""


def _fits(f: Field, value: Any) -> bool:
    if f.kind in ("choice", "unit", "yes_no"):
        return isinstance(value, str) and value in {c.value for c in f.choices}
    if f.kind == "number":
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        return isinstance(value, str) and (value.strip() == ""
                                           or _NUMBER.fullmatch(value.strip()) is not None)
    if f.kind == "text" and f.extra.get("sets"):
        return isinstance(value, str) and _SHORT_CODE.fullmatch(value.strip()) is not None
    return False


def persistable(form: list[Field], values: Mapping[str, Any]) -> dict[str, InputValue]:
    """The values of ``values`` that may be saved: each field's value if it fits the field;
    empty answers are left out.
    """
    by_name = {f.name: f for f in form}
    out: dict[str, InputValue] = {}
    for name, value in values.items():
        f = by_name.get(name)
        if f is None or value is None or value == "" or not _fits(f, value):
            continue
        out[name] = value
    return out


def restorable(form: list[Field], values: Mapping[str, Any]) -> dict[str, InputValue]:
    """The saved values this form can take back (fields it still has, values that fit)."""
    return persistable(form, values)


def saver(repo: CalculatorInputsRepo) -> Callable[[CalculatorState], None]:
    """The callback a calculator form calls after each change: it saves what may be saved
    (or forgets the calculator when nothing is left). A failing write is logged, never raised:
    the form keeps working in the session.
    """

    def save(cs: CalculatorState) -> None:
        try:
            values = persistable(cs.form, cs.values)
            answers = {k: v for k, v in values.items() if cs.field(k).kind != "unit"}
            if not answers or cs.entered_at is None:
                repo.clear(cs.calc.id)
            else:
                repo.save(cs.calc.id, values, cs.entered_at)
        except Exception:
            log.exception("could not save the answers of %s", cs.calc.id)

    return save


def load(repo: CalculatorInputsRepo, calc_id: str) -> SavedInputs | None:
    """The saved answers of a calculator, or ``None`` (also when the store cannot be read)."""
    try:
        return repo.load(calc_id)
    except Exception:
        log.exception("could not read the saved answers of %s", calc_id)
        return None
