"""Errors raised by the clinical core.

Hierarchy::

    CalculatorError            base: anything a calculator refuses to compute
    ├── InputError             one input value is wrong (field, value, allowed range)
    │   ├── MissingAnswer      a required answer was not given; nothing is assumed
    │   ├── OutOfRange         a number outside its plausible range
    │   ├── InvalidChoice      an answer that is not one of the options
    │   ├── UnitError          an unknown unit, or a value that looks like another unit
    │   └── InputErrors        several inputs are wrong at once (``errors``: each of them)
    └── ConfigurationError     the knowledge base parameters are inconsistent

Every message names the field, the value received and what is allowed, in the clinician's
units, so the UI and the CLI can show it as it is.
"""

from __future__ import annotations

__all__ = [
    "CalculatorError",
    "ConfigurationError",
    "InputError",
    "InputErrors",
    "InvalidChoice",
    "MissingAnswer",
    "OutOfRange",
    "UnitError",
    "each_error",
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


class InputErrors(InputError):
    """Several inputs are wrong: every problem, so a form can show each at its field.

    ``field``, ``value`` and ``message`` are those of the first problem; ``errors`` lists all
    of them (each a plain :class:`InputError` or one of its kinds), in form order.
    """

    def __init__(self, errors: list[InputError]) -> None:
        if not errors:
            raise ValueError("InputErrors needs at least one error")
        first = errors[0]
        super().__init__(first.field, first.value, first.message)
        self.errors: tuple[InputError, ...] = tuple(errors)

    def __str__(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)

    @staticmethod
    def of(errors: list[InputError]) -> InputError:
        """One error as itself, several as :class:`InputErrors`."""
        return errors[0] if len(errors) == 1 else InputErrors(errors)


def each_error(error: InputError) -> tuple[InputError, ...]:
    """Every problem inside an input error (one, or all of an :class:`InputErrors`)."""
    return error.errors if isinstance(error, InputErrors) else (error,)


class ConfigurationError(CalculatorError):
    """The knowledge-base parameters of a calculator are inconsistent."""
