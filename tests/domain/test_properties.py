"""Property tests: no input crashes a calculator; bad input always gets a clear InputError."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mobile_app.domain.errors import InputError
from mobile_app.domain.models import Result
from tests.conftest import bundled_kb, run

CALCS = sorted(bundled_kb().calculators)
FIELDS = {cid: list(bundled_kb().calculators[cid].input_schema()["properties"]) for cid in CALCS}

anything = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["mg/dL", "mmol/L", "g/L", "umol/L", "ng/mL", "female", "T12", "lytic",
                     "mechanical", "junctional", "over_50", "none", "S1", "µmol/L"]),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                        max_size=2),
)


@st.composite
def raw_inputs(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    cid = draw(st.sampled_from(CALCS))
    keys = draw(st.lists(st.sampled_from([*FIELDS[cid], "bogus"]), unique=True))
    return cid, {k: draw(anything) for k in keys}


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_inputs())
def test_any_input_gives_a_result_or_a_clear_error(case: tuple[str, dict[str, Any]]) -> None:
    cid, raw = case
    try:
        result = bundled_kb().calculators[cid].run(raw)
    except InputError as exc:
        assert exc.field, exc
        assert len(exc.message) > 10 and "\n" not in exc.message
        first = exc.message[0]
        assert first.isupper() or first.isdigit() or not first.isascii(), exc.message  # "α/β …"
        return
    assert isinstance(result, Result)


@settings(max_examples=400, deadline=None)
@given(
    age=st.floats(18, 120), weight=st.floats(20, 350), sex=st.sampled_from(["female", "male"]),
    scr=st.floats(0.1, 20), height=st.one_of(st.none(), st.floats(100, 250)),
)
def test_crcl_band_always_matches_the_unrounded_value(
    age: float, weight: float, sex: str, scr: float, height: float | None
) -> None:
    r = run("crcl_zoledronic", age_years=age, weight_kg=weight, sex=sex, creatinine=scr,
            height_cm=height)
    c = r.crcl_ml_min
    assert math.isfinite(c) and c >= 0
    expected = 4.0 if c > 60 else 3.5 if c >= 50 else 3.3 if c >= 40 else 3.0 if c >= 30 else None
    assert r.zoledronic_acid_dose_mg == expected


@settings(max_examples=300, deadline=None)
@given(total=st.floats(0.01, 150), n=st.integers(1, 100), ab=st.floats(0.5, 50))
def test_bed_eqd2_identities(total: float, n: int, ab: float) -> None:
    r = run("bed_eqd2", total_dose_gy=total, fractions=n, alpha_beta_gy=ab)
    assert r.bed_gy >= total
    assert math.isclose(r.eqd2_gy, r.bed_gy / (1 + 2 / ab), rel_tol=1e-9)
    assert r.beyond_lq_validity == (total / n > 10)


@settings(max_examples=300, deadline=None)
@given(ca=st.floats(3, 20), alb=st.floats(0.5, 7))
def test_corrected_calcium_units_agree(ca: float, alb: float) -> None:
    conv = run("corrected_calcium", calcium=ca, calcium_unit="mg/dL", albumin=alb,
               albumin_unit="g/dL")
    assert math.isclose(conv.corrected_calcium, ca + 0.8 * (4 - alb), rel_tol=1e-12,
                        abs_tol=1e-12)
    si = run("corrected_calcium", calcium=ca / 4.008, calcium_unit="mmol/L", albumin=alb * 10,
             albumin_unit="g/L")
    # Two published simplifications (0.8 mg/dL per g/dL vs 0.02 mmol/L per g/L) differ by
    # 0.2% of the correction term at most.
    assert math.isclose(si.corrected_calcium_mg_dl, conv.corrected_calcium,
                        abs_tol=0.003 * abs(4 - alb) + 1e-9)
