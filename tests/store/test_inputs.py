"""CalculatorInputsRepo: each calculator's last answers and their time, per browser store."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from typing import Any

import pytest

from mobile_app.store import CalculatorInputsRepo, SavedInputs, Store

CRCL = {"age_years": "72", "weight_kg": "64", "sex": "female", "creatinine": "1.2",
        "creatinine_unit": "mg/dL"}


def test_save_then_load_returns_the_values_and_their_time(store: Store) -> None:
    repo = CalculatorInputsRepo(store)
    assert repo.load("crcl_zoledronic") is None
    repo.save("crcl_zoledronic", CRCL, 1_764_000_000.5)
    saved = repo.load("crcl_zoledronic")
    assert saved == SavedInputs(CRCL, 1_764_000_000.5)
    values, saved_at = saved  # the (values, saved_at) pair
    assert values == CRCL and saved_at == 1_764_000_000.5
    assert repo.calculators() == ["crcl_zoledronic"]


def test_save_replaces_and_calculators_are_independent(store: Store) -> None:
    repo = CalculatorInputsRepo(store)
    repo.save("crcl_zoledronic", CRCL, 10.0)
    repo.save("sins", {"level": "T12", "pain": "mechanical"}, 20.0)
    repo.save("crcl_zoledronic", {"age_years": "80"}, 30.0)
    assert repo.load("crcl_zoledronic") == SavedInputs({"age_years": "80"}, 30.0)
    assert repo.load("sins") == SavedInputs({"level": "T12", "pain": "mechanical"}, 20.0)
    assert repo.calculators() == ["crcl_zoledronic", "sins"]


def test_clear_forgets_one_calculator(store: Store) -> None:
    repo = CalculatorInputsRepo(store)
    repo.save("crcl_zoledronic", CRCL, 10.0)
    repo.save("sins", {"level": "T12"}, 20.0)
    repo.clear("crcl_zoledronic")
    repo.clear("crcl_zoledronic")  # nothing saved: fine
    repo.clear("mirels")
    assert repo.load("crcl_zoledronic") is None
    assert repo.load("sins") is not None


def test_values_survive_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "clients" / "a.json"
    with Store.open(path) as s:
        CalculatorInputsRepo(s).save("bed_eqd2", {"total_dose_gy": "8", "fractions": 1,
                                                  "boost": True, "alpha_beta_gy": 10.5}, 99.0)
    with Store.open(path) as s:
        assert CalculatorInputsRepo(s).load("bed_eqd2") == SavedInputs(
            {"total_dose_gy": "8", "fractions": 1, "boost": True, "alpha_beta_gy": 10.5}, 99.0)
    doc = json.loads(path.read_text("utf-8"))["calculator_inputs"]
    assert list(doc.values()) == [{"calc": "bed_eqd2", "saved_at": 99.0, "values": {
        "alpha_beta_gy": 10.5, "boost": True, "fractions": 1, "total_dose_gy": "8"}}]


@pytest.mark.parametrize("calc_id", ["", "CrCl", "crcl-zoledronic", "../x", "a" * 65, None, 3])
def test_bad_calculator_ids_are_refused(store: Store, calc_id: Any) -> None:
    repo = CalculatorInputsRepo(store)
    for call in (lambda: repo.save(calc_id, {}, 1.0), lambda: repo.load(calc_id),
                 lambda: repo.clear(calc_id)):
        with pytest.raises(ValueError, match="Calculator id must be"):
            call()


@pytest.mark.parametrize(("values", "error", "match"), [
    ({"Age": "72"}, ValueError, "Field name must be"),
    ({"age years": "72"}, ValueError, "Field name must be"),
    ({"age": "7" * 65}, ValueError, "at most 64 characters"),
    ({"age": math.nan}, ValueError, "finite"),
    ({"age": math.inf}, ValueError, "finite"),
    ({"age": None}, TypeError, "text, a number or true/false"),
    ({"age": ["72"]}, TypeError, "text, a number or true/false"),
    ({"age": {"v": 1}}, TypeError, "text, a number or true/false"),
    ({f"f{i}": "1" for i in range(65)}, ValueError, "At most 64 values"),
    ([("age", "72")], TypeError, "mapping"),
])
def test_bad_values_are_refused_and_nothing_is_written(store: Store, values: Any,
                                                      error: type[Exception], match: str
                                                      ) -> None:
    repo = CalculatorInputsRepo(store)
    repo.save("sins", {"level": "T12"}, 5.0)
    with pytest.raises(error, match=match):
        repo.save("sins", values, 6.0)
    assert repo.load("sins") == SavedInputs({"level": "T12"}, 5.0)


@pytest.mark.parametrize("saved_at", [0, -1.0, math.nan, math.inf, True, "2026-01-01", None])
def test_bad_times_are_refused(store: Store, saved_at: Any) -> None:
    with pytest.raises(ValueError, match="saved_at must be positive epoch seconds"):
        CalculatorInputsRepo(store).save("sins", {"level": "T12"}, saved_at)


@pytest.mark.parametrize("doc", [
    {"calc": "sins", "values": {"level": "T12"}},                      # no time
    {"calc": "sins", "values": "T12", "saved_at": 5.0},                # not a mapping
    {"calc": "sins", "values": {"level": ["T12"]}, "saved_at": 5.0},   # not a scalar
    {"calc": "sins", "values": {"Level": "T12"}, "saved_at": 5.0},     # not a field name
    {"calc": "sins", "values": {"level": "T12"}, "saved_at": -5.0},    # not a time
])
def test_an_invalid_saved_document_reads_as_nothing_and_is_replaced_by_the_next_save(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, doc: dict[str, Any]) -> None:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"calculator_inputs": {"1": doc}}), "utf-8")
    with Store.open(path) as s:
        repo = CalculatorInputsRepo(s)
        with caplog.at_level(logging.WARNING, logger="mobile_app.store.inputs"):
            assert repo.load("sins") is None
        assert "Ignoring invalid saved inputs of sins" in caplog.text
        repo.save("sins", {"level": "L1"}, 7.0)
        assert repo.load("sins") == SavedInputs({"level": "L1"}, 7.0)
    assert len(json.loads(path.read_text("utf-8"))["calculator_inputs"]) == 1
