"""Errors raised by the clinical core.

Hierarchy::

    CalculatorError            base: anything a calculator refuses to compute
    ├── InputError             one input value is wrong (field, value, allowed range)
    │   ├── MissingAnswer      a required answer was not given; nothing is assumed
    │   ├── OutOfRange         a number outside its plausible range
    │   ├── InvalidChoice      an answer that is not one of the options
    │   └── UnitError          an unknown unit, or a value that looks like another unit
    └── ConfigurationError     the knowledge base parameters are inconsistent

Every message names the field, the value received and what is allowed, in the clinician's
units, so the UI and the CLI can show it as it is.
"""

from __future__ import annotations

__all__ = [
    "CalculatorError",
    "ConfigurationError",
    "InputError",
    "InvalidChoice",
    "MissingAnswer",
    "OutOfRange",
    "UnitError",
]


class CalculatorError(Exception):
    """Base class: a calculation was refused."""


class InputError(CalculatorError):
    """One input is wrong.

    Attributes:
        field: The input field the problem is in (the public input name).
        value: The value received (as given).
        message: The full message for a clinician.
    """

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.message = message


class MissingAnswer(InputError):
    """A required input has no value."""


class OutOfRange(InputError):
    """A number is outside the range the calculator accepts."""


class InvalidChoice(InputError):
    """An answer that is not one of the allowed options."""


class UnitError(InputError):
    """An unknown unit, or a value that is plausible only in another unit."""


class ConfigurationError(CalculatorError):
    """The knowledge-base parameters of a calculator are inconsistent."""
