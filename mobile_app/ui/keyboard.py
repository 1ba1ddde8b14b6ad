"""The decimal keypad for number fields on phones.

Flutter web gives a focused number field ``inputmode="numeric"`` (no decimal point on iOS)
when semantics are off, and a plain text input (the full keyboard) when they are on, which
they always are in this app. Flet 1.0.5 has no "decimal" keyboard type, so a number field is
marked with a semantics identifier (the web client writes it as ``flt-semantics-identifier``)
and ``assets/bonemets-client.js`` (``useDecimalKeypad``) sets ``inputmode="decimal"`` on the
input inside it.
"""

from __future__ import annotations

import flet as ft

__all__ = ["DECIMAL_KEYPAD", "decimal_keypad"]

DECIMAL_KEYPAD = "bonemets-decimal"
"""The identifier ``bonemets-client.js`` looks for (``bonemetsClient.DECIMAL_ID``)."""


def decimal_keypad(field: ft.TextField) -> ft.Control:
    """``field`` marked for the decimal keypad; it expands as ``field`` does (call it once the
    field's ``expand`` is final).
    """
    return ft.Semantics(content=field, identifier=DECIMAL_KEYPAD, expand=field.expand)
