"""The only unit-conversion table of the app, and the plausible range of every lab quantity.

Sources of the factors (see ``clinical-reference.md`` §3, §6, §7):

* Calcium: molar mass 40.08 g/mol, so 1 mmol/L = 4.008 mg/dL.
* Albumin: 1 g/dL = 10 g/L (definition of the units).
* Creatinine: molar mass 113.12 g/mol, so 1 mg/dL = 88.4 µmol/L (Cockcroft-Gault practice).
* 25-hydroxyvitamin D: molar mass of 25(OH)D3 400.64 g/mol, so 1 ng/mL = 2.496 nmol/L.
* Length: 1 inch = 2.54 cm (exact, international yard and pound agreement 1959).

Conversions are done at full precision; nothing here rounds. The plausible ranges are input
guards (what a lab can report for a living adult), not clinical thresholds: a value outside
them is refused with a message, and if it fits the other unit's range the message says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from mobile_app.domain.display import Number, exact, format_number
from mobile_app.domain.errors import OutOfRange, UnitError

__all__ = [
    "ALBUMIN",
    "CALCIUM",
    "CM_PER_INCH",
    "CREATININE",
    "LAB_QUANTITIES",
    "VITAMIN_D",
    "AlbuminUnit",
    "CalciumUnit",
    "CreatinineUnit",
    "LabQuantity",
    "VitaminDUnit",
    "canonical_unit",
    "display_unit",
]

CM_PER_INCH = 2.54
"""Exact, by definition."""


class CalciumUnit(StrEnum):
    """Units for serum calcium."""

    MG_DL = "mg/dL"
    MMOL_L = "mmol/L"


class AlbuminUnit(StrEnum):
    """Units for serum albumin."""

    G_DL = "g/dL"
    G_L = "g/L"


class CreatinineUnit(StrEnum):
    """Units for serum creatinine (``umol/L`` is the ASCII spelling of µmol/L)."""

    MG_DL = "mg/dL"
    UMOL_L = "umol/L"


class VitaminDUnit(StrEnum):
    """Units for serum 25-hydroxyvitamin D."""

    NG_ML = "ng/mL"
    NMOL_L = "nmol/L"


_UNIT_ALIASES: dict[str, str] = {
    "µmol/l": "umol/L",
    "μmol/l": "umol/L",
    "umol/l": "umol/L",
    "micromol/l": "umol/L",
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "g/dl": "g/dL",
    "g/l": "g/L",
    "ng/ml": "ng/mL",
    "nmol/l": "nmol/L",
}


def display_unit(unit: str) -> str:
    """A unit as shown to people (``umol/L`` → ``µmol/L``)."""
    return "µmol/L" if unit == "umol/L" else unit


def canonical_unit(text: str) -> str:
    """Return the canonical spelling of a unit (case and µ/u insensitive); unknown text as is."""
    return _UNIT_ALIASES.get(text.strip().lower(), text.strip())


@dataclass(frozen=True, slots=True)
class LabQuantity:
    """A lab quantity in two units with an exact factor and a plausible range in each.

    Attributes:
        name: The quantity as a clinician says it ("calcium").
        conventional: The conventional (US) unit.
        si: The SI unit.
        si_per_conventional: How many SI units make one conventional unit (exact).
        plausible: For each unit, the (low, high) range accepted as input.
    """

    name: str
    conventional: str
    si: str
    si_per_conventional: Fraction
    plausible: dict[str, tuple[float, float]]

    @property
    def units(self) -> tuple[str, str]:
        """Both units, conventional first."""
        return (self.conventional, self.si)

    def other(self, unit: str) -> str:
        """The other unit of this quantity."""
        return self.si if unit == self.conventional else self.conventional

    def convert(self, value: float, from_unit: str, to_unit: str) -> float:
        """Convert ``value`` between the two units at full precision."""
        return float(self.convert_exact(value, from_unit, to_unit))

    def convert_exact(self, value: Number, from_unit: str, to_unit: str) -> Fraction:
        """Convert ``value`` exactly (the decimal as typed, times the exact factor)."""
        if from_unit not in self.units or to_unit not in self.units:
            raise UnitError(
                self.name, from_unit, f"Unknown {self.name} unit; allowed: {', '.join(self.units)}."
            )
        v = exact(value)
        if from_unit == to_unit:
            return v
        if from_unit == self.conventional:
            return v * self.si_per_conventional
        return v / self.si_per_conventional

    def check(self, field: str, value: float, unit: str) -> None:
        """Refuse a value outside the plausible range of its unit, naming a likely mix-up.

        Raises:
            UnitError: The unit is unknown, or the value fits only the other unit.
            OutOfRange: The value is implausible in either unit.
        """
        if unit not in self.units:
            raise UnitError(
                f"{field}_unit",
                unit,
                f"Unknown {self.name} unit {unit!r}; allowed: {', '.join(self.units)}.",
            )
        low, high = self.plausible[unit]
        if low <= value <= high:
            return
        shown = format_number(value, 6)
        allowed = f"{format_number(low)}–{format_number(high)} {display_unit(unit)}"
        other_unit = self.other(unit)
        other = display_unit(other_unit)
        o_low, o_high = self.plausible[other_unit]
        if o_low <= value <= o_high:
            unit = display_unit(unit)
            raise UnitError(
                field,
                value,
                f"{self.name.capitalize()} {shown} {unit} is outside {allowed}; "
                f"it looks like {other} — switch the unit to {other} if that is what the lab "
                "reported.",
            )
        raise OutOfRange(
            field,
            value,
            f"{self.name.capitalize()} must be between {format_number(low)} and "
            f"{format_number(high)} {display_unit(unit)} (got {shown}).",
        )


CALCIUM = LabQuantity(
    name="calcium",
    conventional=CalciumUnit.MG_DL,
    si=CalciumUnit.MMOL_L,
    si_per_conventional=1 / Fraction("4.008"),
    plausible={CalciumUnit.MG_DL: (2.8, 20.0), CalciumUnit.MMOL_L: (0.7, 5.0)},
)
ALBUMIN = LabQuantity(
    name="albumin",
    conventional=AlbuminUnit.G_DL,
    si=AlbuminUnit.G_L,
    si_per_conventional=Fraction(10),
    plausible={AlbuminUnit.G_DL: (0.5, 7.0), AlbuminUnit.G_L: (5.0, 70.0)},
)
CREATININE = LabQuantity(
    name="creatinine",
    conventional=CreatinineUnit.MG_DL,
    si=CreatinineUnit.UMOL_L,
    si_per_conventional=Fraction("88.4"),
    plausible={CreatinineUnit.MG_DL: (0.1, 20.0), CreatinineUnit.UMOL_L: (20.0, 1800.0)},
)
VITAMIN_D = LabQuantity(
    name="25-hydroxyvitamin D",
    conventional=VitaminDUnit.NG_ML,
    si=VitaminDUnit.NMOL_L,
    si_per_conventional=Fraction("2.496"),
    plausible={VitaminDUnit.NG_ML: (1.0, 200.0), VitaminDUnit.NMOL_L: (2.5, 500.0)},
)

LAB_QUANTITIES: tuple[LabQuantity, ...] = (CALCIUM, ALBUMIN, CREATININE, VITAMIN_D)
"""Every lab quantity with two units."""
