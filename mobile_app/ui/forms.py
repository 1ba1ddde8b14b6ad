"""Calculator forms derived from the calculators' input models (pure: no Flet).

A form is a list of :class:`Field` specs: score items become choice groups (each option with
its points and definition), numbers become numeric fields paired with their unit toggle (the
input model names it: ``json_schema_extra={"unit_field": ...}``), literals become choices and
booleans an explicit Yes / No choice with neither selected (a switch that starts "off" would
answer the question for the user). The UI renders these specs; tests inspect them.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from mobile_app.domain.calculators.base import field_extra, unit_fields
from mobile_app.domain.units import LAB_QUANTITIES, display_unit
from mobile_app.knowledge.loader import CalculatorEntry

__all__ = ["YES_NO", "Choice", "Field", "build_form", "default_units", "parse_number"]


@dataclass(frozen=True)
class Choice:
    """One option of a choice field."""

    value: str
    label: str
    points: int | None = None
    definition: str = ""


@dataclass(frozen=True)
class Field:
    """One input of a calculator form."""

    name: str
    label: str
    kind: Literal["choice", "number", "unit", "yes_no", "text"]
    required: bool = True
    choices: tuple[Choice, ...] = ()
    unit_field: str | None = None
    """For numbers: the field that holds the unit (rendered as a toggle beside it)."""
    unit: str = ""
    """For numbers with a fixed unit (kg, years, Gy)."""
    help: str = ""
    advanced: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


YES_NO = (Choice("yes", "Yes"), Choice("no", "No"))
"""The two answers of a yes/no question (stored as ``True`` / ``False``)."""


def _enum_values(annotation: Any) -> list[str] | None:
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return [str(m.value) for m in annotation]
    if typing.get_origin(annotation) is Literal:
        return [str(a) for a in typing.get_args(annotation)]
    return None


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def build_form(calc: CalculatorEntry) -> list[Field]:
    """The form of a calculator, in input-model order."""
    score = calc.point_score
    model = calc.spec.input_model
    fields: list[Field] = []
    if score is not None:
        for name, info in model.model_fields.items():
            sets = field_extra(model, name).get("sets")
            if sets:  # a text answer that decides a criterion (SINS: spine level → location)
                fields.append(Field(
                    name=name, label=f"{info.title or name} (sets {str(sets).replace('_', ' ')})",
                    kind="text", required=False, help=info.description or "",
                    extra={"sets": str(sets)}))
        for crit in score.criteria:
            fields.append(Field(
                name=crit.id, label=crit.label, kind="choice", help=crit.help,
                choices=tuple(Choice(o.id, o.label, o.points, o.definition)
                              for o in crit.options)))
        return fields
    units = unit_fields(model)
    for name, info in model.model_fields.items():
        label = info.title or name.replace("_", " ").capitalize()
        annotation = _strip_optional(info.annotation)
        extra = field_extra(model, name)
        values = _enum_values(annotation)
        required = info.is_required()
        if name in units and values:
            fields.append(Field(name=name, label=label, kind="unit",
                                choices=tuple(Choice(v, display_unit(v)) for v in values)))
        elif values:
            fields.append(Field(name=name, label=label, kind="choice", required=required,
                                choices=tuple(Choice(v, v.capitalize()) for v in values)))
        elif annotation is bool:
            fields.append(Field(name=name, label=label, kind="yes_no", required=required,
                                choices=YES_NO, help=info.description or ""))
        else:
            unit_field = extra.get("unit_field")
            fields.append(Field(
                name=name, label=label, kind="number", required=required,
                unit_field=str(unit_field) if unit_field else None,
                unit=str(extra.get("unit", "")), help=info.description or "",
                advanced=bool(extra.get("advanced")), extra={"integer": annotation is int}))
    return fields


def default_units(form: list[Field], preference: Literal["conventional", "si"]) -> dict[str, str]:
    """Initial value of every unit toggle under the user's unit preference."""
    out: dict[str, str] = {}
    for f in form:
        if f.kind != "unit":
            continue
        values = [c.value for c in f.choices]
        si = next((q.si for q in LAB_QUANTITIES if set(q.units) == set(values)), None)
        out[f.name] = si if preference == "si" and si else values[0]
    return out


def parse_number(text: str) -> float | int | str | None:
    """Parse what a user typed: '' → None; '7,5' → 7.5 (decimal comma); junk stays a string
    so the calculator reports it with the field's range.

    A comma followed by exactly three digits ("1,250") could be a thousands separator or a
    decimal comma (1.25 or 1250 differ a thousandfold): it stays text, and the calculator asks
    for the number without the comma.
    """
    t = text.strip().replace(" ", "").replace("\u2009", "")
    if not t:
        return None
    if t.count(",") == 1 and "." not in t:
        whole, _, frac = t.partition(",")
        if len(frac) == 3 and whole.lstrip("-").isdigit() and frac.isdigit():
            return text.strip()
        t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        return text.strip()
    return int(value) if value.is_integer() and "." not in t and "e" not in t.lower() else value
