"""The one display formatter: what a reader sees is the value, to the last digit shown."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mobile_app.domain.display import (
    exact,
    format_decisive,
    format_number,
    format_range,
    parse_shown,
)


def _last_digit_unit(text: str) -> Fraction:
    digits = text.split(".")[1] if "." in text else ""
    return Fraction(1, 10 ** len(digits))


magnitudes = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@settings(max_examples=3000, deadline=None)
@given(magnitudes, st.integers(0, 6), st.booleans())
def test_shown_value_is_within_half_a_unit_of_the_last_shown_digit(
        value: float, decimals: int, negative: bool) -> None:
    v = -value if negative else value
    text = format_number(v, decimals)
    shown = parse_shown(text)
    assert abs(shown - Fraction(v)) <= _last_digit_unit(text) / 2, (v, decimals, text)
    assert text != "0"  # a non-zero value is never shown as zero
    assert "e" not in text.lower()


@settings(max_examples=2000, deadline=None)
@given(st.integers(-10**7, 10**7), st.integers(0, 4))
def test_integers_keep_every_zero(value: int, decimals: int) -> None:
    text = format_number(value, decimals)
    assert parse_shown(text) == value
    assert text.replace(",", "").lstrip("-") == str(abs(value))


@pytest.mark.parametrize(("value", "decimals", "text"), [
    (700, 0, "700"), (1050, 0, "1,050"), (1000, 0, "1,000"), (3000, 2, "3,000"),
    (1250, 0, "1,250"), (950, 0, "950"), (50000, 0, "50,000"), (7500.0, 0, "7,500"),
    (10, 2, "10"), (100, 1, "100"), (2.5, 2, "2.5"), (2.675, 2, "2.67"),  # binary 2.67499…
    (0.0004, 2, "0.0004"), (0.5, 0, "1"), (1.5, 0, "2"), (-0.0, 2, "0"), (0, 0, "0"),
    (49.9915, 1, "50"), (12345.678, 1, "12,345.7"), (-1234.5, 0, "-1,235"),
    (Fraction(1, 3), 3, "0.333"), (Decimal("4.10"), 2, "4.1"),
])
def test_known_values(value: float, decimals: int, text: str) -> None:
    assert format_number(value, decimals) == text


def test_grouping_can_be_switched_off_and_bad_values_are_refused() -> None:
    assert format_number(50000, 0, group=False) == "50000"
    with pytest.raises(ValueError):
        format_number(math.inf)
    with pytest.raises(ValueError):
        format_number(1.0, -1)
    with pytest.raises(TypeError):
        format_number(True)  # type: ignore[arg-type]


def test_ranges() -> None:
    assert format_range(1000, 3000, 0, "mg") == "1,000–3,000 mg"
    assert format_range(20, 20, 0, "mL") == "20 mL"


def test_exact_reads_the_decimal_as_typed() -> None:
    assert exact(0.85) == Fraction(17, 20)
    assert exact(88.4) == Fraction(442, 5)
    assert exact(3) == 3
    assert float(exact(0.1) * 3) == 0.3  # 0.1 * 3 in binary floats is 0.30000000000000004


# A band table as a reader sees it: < 30, 30–<40, 40–<50, 50–60, > 60.
def _band(x: Fraction) -> int:
    return sum(x >= e for e in (30, 40, 50)) + (x > 60)


@pytest.mark.parametrize(("value", "text"), [
    (49.99, "49.99"), (29.996, "29.996"), (60.008, "60.01"), (60, "60"), (49.95, "49.95"),
    (50.04, "50"), (45.06, "45.1"), (Fraction(60) + Fraction(1, 10**9), "60.000000001"),
])
def test_decisive_digits_near_a_band_edge(value: float, text: str) -> None:
    assert format_decisive(value, 1, _band) == text


@settings(max_examples=3000, deadline=None)
@given(st.floats(min_value=0.5, max_value=200, allow_nan=False), st.integers(0, 2))
def test_a_reader_comparing_with_the_table_gets_the_band_used(value: float, decimals: int
                                                              ) -> None:
    text = format_decisive(value, decimals, _band)
    assert _band(parse_shown(text)) == _band(exact(value))
    assert abs(parse_shown(text) - Fraction(value)) <= _last_digit_unit(text) / 2
