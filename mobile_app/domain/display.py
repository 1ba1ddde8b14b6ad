"""How every number reaches a reader, and what a calculator result shows.

One formatter (:func:`format_number`) turns every figure the screen, the copied text and the
CLI show into text; nothing else formats numbers for people. It rounds half away from zero at
the requested number of decimals on the *exact* value, keeps every zero of the integer part
(700 stays "700"), drops only trailing zeros after the decimal point, groups thousands with a
comma ("50,000") and never shows a non-zero value as "0".

:func:`format_decisive` adds digits where a figure sits next to a band or threshold edge, so a
reader who compares the shown figure with the published table gets the band the app used
(CrCl 49.99 is shown "49.99", not "50", when it earns the 40–49 band).

Arithmetic that decides a band is done on exact fractions (:func:`exact`): an input typed as
0.85 or 88.4 is the decimal the person typed, not its nearest binary float, so a value that is
exactly on an edge (CrCl 60.0) is treated as on the edge.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction

__all__ = [
    "Number",
    "exact",
    "format_decisive",
    "format_number",
    "format_range",
    "parse_shown",
]

Number = int | float | Fraction | Decimal
"""Anything :func:`format_number` accepts."""

_MAX_EXTRA_DECIMALS = 30
"""How many digits :func:`format_decisive` may add before it gives up (never reached with
values computed from typed inputs, whose exact fractions end after a few digits)."""


def exact(value: Number) -> Fraction:
    """The exact rational value of a number as a person wrote it.

    A float is read through its shortest round-trip decimal (``0.85`` is 17/20, not the binary
    float nearest to it), so decisions on band edges follow the decimal arithmetic of the
    published formula.
    """
    if isinstance(value, bool):
        raise TypeError("a number is required, not a bool")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, Decimal):
        return Fraction(value)
    return Fraction(repr(float(value)))


def _decimal(value: Number) -> Decimal:
    if isinstance(value, bool):
        raise TypeError("a number is required, not a bool")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, Fraction):
        with localcontext(Context(prec=60)):
            return Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value)  # exact for int and float


def format_number(value: Number, decimals: int = 2, *, group: bool = True) -> str:
    """The one display formatter.

    Args:
        value: The full-precision value (display rounding never feeds back into a calculation).
        decimals: Most decimals to show; trailing zeros after the point are dropped.
        group: Group thousands with commas ("1,250").

    Returns:
        Text within half a unit of the last shown digit of ``value``. A value that would round
        to zero is shown with two significant digits instead ("0.0004"), never as "0".
    """
    if decimals < 0:
        raise ValueError("decimals must be 0 or more")
    d = _decimal(value)
    if not d.is_finite():
        raise ValueError(f"cannot display {value!r}")
    places = decimals
    q = _quantize(d, places)
    if q.is_zero() and not d.is_zero():
        places = max(places, -d.adjusted() + 1)
        q = _quantize(d, places)
    text = f"{q:,f}" if group else f"{q:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _quantize(d: Decimal, places: int) -> Decimal:
    with localcontext(Context(prec=max(60, d.adjusted() + places + 5))):
        return d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def parse_shown(text: str) -> Fraction:
    """The number a reader takes from a shown figure (inverse of :func:`format_number`)."""
    return Fraction(text.replace(",", "").strip())


def format_decisive(value: Number, decimals: int, classify: Callable[[Fraction], Hashable],
                    *, group: bool = True) -> str:
    """Format ``value`` with at least ``decimals`` decimals and as many more as it takes for
    the shown figure to fall in the same class (band, grade, category) as the true value.

    Args:
        value: The exact value the app classified.
        decimals: The usual number of decimals for this figure.
        classify: The app's own classification (the same function that chose the band).
        group: Group thousands.
    """
    true_class = classify(exact(value))
    text = format_number(value, decimals, group=group)
    for extra in range(1, _MAX_EXTRA_DECIMALS + 1):
        if classify(parse_shown(text)) == true_class:
            return text
        text = format_number(value, decimals + extra, group=group)
    return text


def format_range(low: Number, high: Number, decimals: int = 2, unit: str = "") -> str:
    """A low–high pair in one unit ("1,000–3,000 mg"); one figure when both ends agree."""
    lo, hi = format_number(low, decimals), format_number(high, decimals)
    text = lo if lo == hi else f"{lo}–{hi}"
    return f"{text} {unit}".rstrip() if unit else text

