"""What every calculator is, and how pydantic errors become clinician-readable ones.

A calculator is an input model, a parameter model (from the knowledge base) and a pure
compute function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from mobile_app.domain.errors import InputError, InvalidChoice, MissingAnswer, OutOfRange
from mobile_app.domain.models import Result
from mobile_app.domain.units import canonical_unit, format_number

__all__ = ["CalculatorInput", "CalculatorSpec", "input_error_from"]

InT = TypeVar("InT", bound=BaseModel)
ParamsT = TypeVar("ParamsT", bound=BaseModel)
ResT = TypeVar("ResT", bound=Result)


class CalculatorInput(BaseModel):
    """Base of calculator inputs: frozen, no unknown fields, no NaN/inf, no booleans as numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: Any) -> Any:
        field = cls.model_fields.get(info.field_name)
        if isinstance(value, bool) and field is not None and field.annotation in (
            float,
            int,
            float | None,
            int | None,
        ):
            raise ValueError("a number is required, not true/false")
        annotation = field.annotation if field is not None else None
        if (
            isinstance(value, str)
            and isinstance(annotation, type)
            and issubclass(annotation, Enum)
        ):
            return canonical_unit(value)
        return value


@dataclass(frozen=True)
class CalculatorSpec(Generic[InT, ParamsT, ResT]):
    """A calculator: how to parse its input, its parameters' model and how to compute.

    Attributes:
        id: Stable public id (``sins``, ``crcl_zoledronic`` …).
        input_model: Pydantic model of the inputs (public contract).
        params_model: Pydantic model of the knowledge-base parameters.
        result_model: Pydantic model of the result.
        compute: Pure function ``(input, params) -> result``.
        prepare: Optional hook that normalises raw input with the parameters before
            validation (for example SINS: spine level to location).
    """

    id: str
    input_model: type[InT]
    params_model: type[ParamsT]
    result_model: type[ResT]
    compute: Callable[[InT, ParamsT], ResT]
    prepare: Callable[[Mapping[str, Any], ParamsT], dict[str, Any]] | None = None

    def parse(self, raw: Mapping[str, Any], params: ParamsT) -> InT:
        """Validate raw input; every problem becomes an :class:`InputError` naming the field."""
        if not isinstance(raw, Mapping):
            raise InputError("input", raw, "Input must be a JSON object of field: value pairs.")
        data = dict(raw)
        if self.prepare is not None:
            data = self.prepare(data, params)
        try:
            return self.input_model.model_validate(data)
        except ValidationError as exc:
            raise input_error_from(self.input_model, exc) from None

    def run(self, raw: Mapping[str, Any], params: ParamsT) -> ResT:
        """Parse and compute."""
        return self.compute(self.parse(raw, params), params)

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the input."""
        return self.input_model.model_json_schema()


def _field_words(model: type[BaseModel], name: str) -> tuple[str, str]:
    """The field's human title and unit (from ``json_schema_extra``)."""
    field = model.model_fields.get(name)
    if field is None:
        return name, ""
    title = field.title or name.replace("_", " ").capitalize()
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    unit = str(extra.get("unit", ""))
    return title, unit


def _bounds(model: type[BaseModel], name: str) -> str:
    field = model.model_fields.get(name)
    if field is None:
        return ""
    low = high = None
    low_open = high_open = False
    for meta in field.metadata:
        for attr, is_low, is_open in (("ge", True, False), ("gt", True, True),
                                      ("le", False, False), ("lt", False, True)):
            val = getattr(meta, attr, None)
            if val is not None:
                if is_low:
                    low, low_open = val, is_open
                else:
                    high, high_open = val, is_open
    def word(val: float, is_open: bool, is_low: bool) -> str:
        if is_low:
            return f"{'more than' if is_open else 'at least'} {format_number(val)}"
        return f"{'less than' if is_open else 'at most'} {format_number(val)}"

    if low is not None and high is not None:
        if not low_open and not high_open:
            return f"between {format_number(low)} and {format_number(high)}"
        return f"{word(low, low_open, True)} and {word(high, high_open, False)}"
    if low is not None:
        return word(low, low_open, True)
    if high is not None:
        return word(high, high_open, False)
    return ""


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value):
        return format_number(value, 6)
    return repr(value) if isinstance(value, str) else str(value)


def input_error_from(model: type[BaseModel], exc: ValidationError) -> InputError:
    """Turn the first pydantic error into one clinician-readable :class:`InputError`."""
    err: ErrorDetails = exc.errors(include_url=False)[0]
    loc = err.get("loc", ())
    name = str(loc[0]) if loc else "input"
    value = err.get("input")
    kind = err.get("type", "")
    title, unit = _field_words(model, name)
    unit_text = f" {unit}" if unit else ""
    if kind == "missing" or (value is None and kind.startswith(("float", "int", "bool"))):
        return MissingAnswer(name, None, f"{title} is required.")
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields)
        return InputError(name, value, f"Unknown input {name!r}; allowed inputs: {allowed}.")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bounds = _bounds(model, name)
        return OutOfRange(
            name, value, f"{title} must be {bounds}{unit_text} (got {_shown(value)})."
        )
    if kind in ("literal_error", "enum"):
        expected = (err.get("ctx") or {}).get("expected", "")
        return InvalidChoice(
            name, value, f"{title}: {_shown(value)} is not allowed; expected {expected}."
        )
    if kind.startswith(("float", "int", "finite")) or kind in ("value_error",):
        bounds = _bounds(model, name)
        rng = f" {bounds}{unit_text}" if bounds else ""
        if kind == "int_from_float":
            return InputError(name, value, f"{title} must be a whole number (got {_shown(value)}).")
        if kind == "value_error":
            msg = str(err.get("msg", "")).removeprefix("Value error, ")
            return InputError(name, value, f"{title}: {msg} (got {_shown(value)}).")
        return InputError(name, value, f"{title} must be a number{rng} (got {_shown(value)}).")
    if kind.startswith("bool"):
        return InputError(name, value, f"{title} must be true or false (got {_shown(value)}).")
    msg = err.get("msg", "invalid value")
    return InputError(name, value, f"{title}: {msg} (got {_shown(value)}).")
