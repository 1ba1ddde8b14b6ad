"""What every calculator is, and how pydantic errors become clinician-readable ones.

A calculator is an input model, a parameter model (from the knowledge base) and a pure
compute function. Input fields declare their unit in ``json_schema_extra``: ``unit`` for a
fixed unit ("kg") or ``unit_field`` for the field holding a switchable unit
("creatinine_unit"); forms, error messages and the copied inputs read them from there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from pydantic_core import ErrorDetails

from mobile_app.domain.display import format_number
from mobile_app.domain.errors import (
    InputError,
    InputErrors,
    InvalidChoice,
    MissingAnswer,
    OutOfRange,
)
from mobile_app.domain.models import Figure, Result
from mobile_app.domain.units import canonical_unit, display_unit

__all__ = [
    "CalculatorInput",
    "CalculatorSpec",
    "describe_inputs",
    "field_extra",
    "input_error_from",
    "input_errors_from",
    "unit_fields",
]

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
        compute: Pure function ``(input, params) -> result``.
        prepare: Optional hook that normalises raw input with the parameters before
            validation (for example SINS: spine level to location).
    """

    id: str
    input_model: type[InT]
    params_model: type[ParamsT]
    compute: Callable[[InT, ParamsT], ResT]
    prepare: Callable[[Mapping[str, Any], ParamsT], dict[str, Any]] | None = None

    def parse(self, raw: Mapping[str, Any], params: ParamsT) -> InT:
        """Validate raw input; every problem becomes an :class:`InputError` naming the field
        (several problems: an :class:`InputErrors` holding each of them).
        """
        if not isinstance(raw, Mapping):
            raise InputError("input", raw, "Input must be a JSON object of field: value pairs.")
        data = dict(raw)
        if self.prepare is not None:
            data = self.prepare(data, params)
        try:
            return self.input_model.model_validate(data)
        except ValidationError as exc:
            raise InputErrors.of(input_errors_from(self.input_model, exc)) from None

    def run(self, raw: Mapping[str, Any], params: ParamsT) -> ResT:
        """Parse and compute; the result lists its inputs with their human labels."""
        inp = self.parse(raw, params)
        result = self.compute(inp, params)
        if result.input_lines:
            return result
        return result.model_copy(update={"input_lines": describe_inputs(inp)})

    def input_schema(self) -> dict[str, Any]:
        """JSON Schema of the input."""
        return self.input_model.model_json_schema()


def field_extra(model: type[BaseModel], name: str) -> dict[str, Any]:
    """The ``json_schema_extra`` of a field (``unit``, ``unit_field`` …), empty if none."""
    field = model.model_fields.get(name)
    extra = field.json_schema_extra if field is not None else None
    return dict(extra) if isinstance(extra, dict) else {}


def unit_fields(model: type[BaseModel]) -> set[str]:
    """Names of the fields that hold another field's unit."""
    return {str(field_extra(model, n)["unit_field"]) for n in model.model_fields
            if "unit_field" in field_extra(model, n)}


def _field_words(model: type[BaseModel], name: str) -> tuple[str, str]:
    """The field's human title and fixed unit (from ``json_schema_extra``)."""
    field = model.model_fields.get(name)
    if field is None:
        return name, ""
    title = field.title or name.replace("_", " ").capitalize()
    return title, str(field_extra(model, name).get("unit", ""))


def describe_inputs(inp: BaseModel) -> tuple[Figure, ...]:
    """The inputs as a clinician reads them: "Creatinine: 110 µmol/L", "Sex: female"."""
    model = type(inp)
    units = unit_fields(model)
    lines: list[Figure] = []
    for name, info in model.model_fields.items():
        value = getattr(inp, name)
        if name in units or value is None:
            continue
        extra = field_extra(model, name)
        unit = (display_unit(str(getattr(inp, str(extra["unit_field"]))))
                if "unit_field" in extra else str(extra.get("unit", "")))
        shown: float | int | str | bool
        if isinstance(value, bool):
            text, shown = ("yes" if value else "no"), value
        elif isinstance(value, int | float):
            text, shown = format_number(value, 6), value
        else:
            text = shown = str(value.value if isinstance(value, Enum) else value)
        lines.append(Figure(key=name, label=info.title or name.replace("_", " ").capitalize(),
                            text=f"{text} {unit}".rstrip(), value=shown, unit=unit))
    return tuple(lines)


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


def input_errors_from(model: type[BaseModel], exc: ValidationError) -> list[InputError]:
    """Every pydantic error as a clinician-readable :class:`InputError`, in form order."""
    errors = [input_error_from(model, err) for err in exc.errors(include_url=False)]
    order = {name: i for i, name in enumerate(model.model_fields)}
    return sorted(errors, key=lambda e: order.get(e.field, len(order)))


def input_error_from(model: type[BaseModel], err: ErrorDetails) -> InputError:
    """One pydantic error as a clinician-readable :class:`InputError`."""
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
        if isinstance(value, str) and re.fullmatch(r"-?\d{1,3},\d{3}", value.strip()):
            whole, frac = value.strip().split(",")
            return InputError(
                name, value, f"{title} {value.strip()!r} is ambiguous: write {whole}{frac} "
                f"(no thousands separator) or {whole}.{frac} (decimal point){rng and ';'}"
                f"{rng}.")
        return InputError(name, value, f"{title} must be a number{rng} (got {_shown(value)}).")
    if kind.startswith("bool"):
        return InputError(name, value, f"{title} must be true or false (got {_shown(value)}).")
    msg = err.get("msg", "invalid value")
    return InputError(name, value, f"{title}: {msg} (got {_shown(value)}).")
