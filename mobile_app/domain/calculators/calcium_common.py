"""Calcium thresholds used by more than one calculator (one source: ``shared/calcium.json``).

* Reference range: defined once, in one unit, and converted exactly into the other, so the same
  patient is classified the same way in mg/dL and mmol/L (the knowledge base marks the default
  range unverified: the lab's own range should be entered where known).
* Society for Endocrinology (Turner 2016): severe hypocalcaemia is calcium below 1.9 mmol/L,
  and/or symptoms at any level below the reference range.
* Zoledronic acid US PI: hypercalcaemia of malignancy is corrected calcium of 12.0 mg/dL
  (3.0 mmol/L) or more (published in both units; compared in the unit entered).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal, Self

from pydantic import Field, model_validator

from mobile_app.domain.display import Number, exact, format_number
from mobile_app.domain.errors import InputError
from mobile_app.domain.models import Cited
from mobile_app.domain.units import CALCIUM, CalciumUnit

__all__ = [
    "CalciumLevel",
    "HcmThreshold",
    "LabRange",
    "ReferenceRange",
    "SevereThreshold",
    "check_lab_limits",
    "lab_range",
]

CalciumLevel = Literal["severe_low", "low", "normal", "high"]


class ReferenceRange(Cited):
    """Default reference range of total (corrected) calcium, defined in one unit."""

    unit: CalciumUnit
    lower: float = Field(gt=0)
    upper: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.lower >= self.upper:
            raise ValueError("calcium reference range: lower must be below upper")
        return self

    def lower_in(self, unit: CalciumUnit) -> Fraction:
        """The lower limit in ``unit`` (exact conversion)."""
        return CALCIUM.convert_exact(self.lower, self.unit, unit)

    def upper_in(self, unit: CalciumUnit) -> Fraction:
        """The upper limit in ``unit`` (exact conversion)."""
        return CALCIUM.convert_exact(self.upper, self.unit, unit)


class SevereThreshold(Cited):
    """Severe hypocalcaemia: below this (published in mmol/L; compared exactly)."""

    below_mmol_l: float = Field(gt=0)


class HcmThreshold(Cited):
    """Label definition of hypercalcaemia of malignancy: at or above, in each unit."""

    from_mg_dl: float = Field(gt=0)
    from_mmol_l: float = Field(gt=0)

    def in_unit(self, unit: CalciumUnit) -> Fraction:
        """The threshold as published in ``unit``."""
        return exact(self.from_mg_dl if unit == CalciumUnit.MG_DL else self.from_mmol_l)


class LabRange:
    """The reference range a result used: the lab's limits, or the default one."""

    def __init__(self, lower: Fraction, upper: Fraction, unit: CalciumUnit, default: bool
                 ) -> None:
        self.lower, self.upper, self.unit, self.default = lower, upper, unit, default

    def text(self, decimals: int | None = None) -> str:
        """"8.5–10.5 mg/dL" (mmol/L limits with 2 decimals)."""
        d = decimals if decimals is not None else (2 if self.unit == CalciumUnit.MMOL_L else 1)
        return f"{format_number(self.lower, d)}–{format_number(self.upper, d)} {self.unit}"

    def level(self, value: Fraction, severe: SevereThreshold) -> CalciumLevel:
        """Where a calcium value (in this range's unit) lies."""
        if CALCIUM.convert_exact(value, self.unit, CalciumUnit.MMOL_L) < exact(
                severe.below_mmol_l):
            return "severe_low"
        if value < self.lower:
            return "low"
        if value > self.upper:
            return "high"
        return "normal"


def check_lab_limits(lower: Number | None, upper: Number | None, unit: CalciumUnit,
                     default: ReferenceRange | None = None) -> list[InputError]:
    """Problems with lab limits typed by the user: each plausible, and the range they make
    (with the default for a limit left empty, when ``default`` is given) not inverted.
    """
    errors: list[InputError] = []
    for name, value in (("lower_limit", lower), ("upper_limit", upper)):
        if value is not None:
            try:
                CALCIUM.check(name, float(value), unit)
            except InputError as exc:
                errors.append(exc)
    if errors or (lower is None and upper is None):
        return errors
    lo = exact(lower) if lower is not None else (
        default.lower_in(unit) if default is not None else None)
    hi = exact(upper) if upper is not None else (
        default.upper_in(unit) if default is not None else None)
    if lo is not None and hi is not None and lo >= hi:
        field, value = ("lower_limit", lower) if lower is not None else ("upper_limit", upper)
        errors.append(InputError(
            field, value,
            f"Lab lower limit ({format_number(lo)}) must be below the upper limit "
            f"({format_number(hi)}) {unit}."))
    return errors


def lab_range(lower: float | None, upper: float | None, unit: CalciumUnit,
              default: ReferenceRange) -> LabRange:
    """The lab's limits where given, else the default range in ``unit``."""
    return LabRange(
        exact(lower) if lower is not None else default.lower_in(unit),
        exact(upper) if upper is not None else default.upper_in(unit),
        unit, lower is None or upper is None)
