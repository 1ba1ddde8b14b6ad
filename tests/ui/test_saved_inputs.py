"""Calculator answers kept for the next session (a lost connection, a restarted server):
what is saved, what comes back, and when it is forgotten.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.store import CalculatorInputsRepo, SavedInputs, Store
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.ui.forms import build_form
from mobile_app.ui.saved_inputs import persistable, saver
from mobile_app.ui.state import CLEAR_AFTER_S, AppState, CalculatorState


def session(kb: KnowledgeBase, store: Store) -> AppState:
    """What app.main builds for a new Flet session of this browser."""
    return AppState.create(kb, FavouritesRepo(store), RecentsRepo(store), SettingsRepo(store),
                           CalculatorInputsRepo(store))


def test_a_new_session_gets_the_answers_and_result_back(kb: KnowledgeBase,
                                                        tmp_path: Path) -> None:
    path = tmp_path / "clients" / ("a" * 32 + ".json")
    with Store.open(path) as store:
        cs = session(kb, store).calculator("crcl_zoledronic", now=1000.0)
        for name, value in (("age_years", "72"), ("weight_kg", "64"), ("sex", "female"),
                            ("creatinine_unit", "umol/L"), ("creatinine", "110")):
            cs.set_value(name, value, now=1000.0)
        assert cs.result is not None
        first = cs.result
    # The server restarted: a new process opens the same browser's store.
    with Store.open(path) as store:
        again = session(kb, store).calculator("crcl_zoledronic", now=1060.0)
    assert again.values == {"age_years": "72", "weight_kg": "64", "sex": "female",
                            "creatinine_unit": "umol/L", "creatinine": "110"}
    assert again.entered_at == 1000.0 and again.age_s(1060.0) == 60.0
    assert again.result == first


def test_every_change_is_saved_with_its_time(kb: KnowledgeBase) -> None:
    store = Store.memory()
    repo = CalculatorInputsRepo(store)
    cs = session(kb, store).calculator("sins", now=1.0)
    assert repo.load("sins") is None  # nothing typed, nothing saved
    cs.set_value("level", "T12", now=5.0)
    assert repo.load("sins") == SavedInputs({"level": "T12"}, 5.0)
    cs.set_value("location", "mobile", now=6.0)  # a location replaces the typed level
    assert repo.load("sins") == SavedInputs({"location": "mobile"}, 6.0)


def test_new_patient_forgets_the_saved_answers(kb: KnowledgeBase) -> None:
    store = Store.memory()
    repo = CalculatorInputsRepo(store)
    cs = session(kb, store).calculator("bed_eqd2")
    cs.set_value("total_dose_gy", "8")
    assert repo.load("bed_eqd2") is not None
    cs.clear()
    assert repo.load("bed_eqd2") is None
    assert not session(kb, store).calculator("bed_eqd2").has_answers()


def test_answers_older_than_the_clear_limit_do_not_come_back(kb: KnowledgeBase) -> None:
    store = Store.memory()
    repo = CalculatorInputsRepo(store)
    session(kb, store).calculator("bed_eqd2", now=1000.0).set_value("fractions", "5", now=1000.0)
    kept = session(kb, store).calculator("bed_eqd2", now=1000.0 + CLEAR_AFTER_S - 1)
    assert kept.values == {"fractions": "5"}
    dropped = session(kb, store).calculator("bed_eqd2", now=1000.0 + CLEAR_AFTER_S + 1)
    assert not dropped.has_answers() and dropped.entered_at is None
    assert repo.load("bed_eqd2") is None  # and they are forgotten


def test_a_hand_off_saves_the_carried_values(kb: KnowledgeBase) -> None:
    store = Store.memory()
    state = session(kb, store)
    cc = state.calculator("corrected_calcium")
    for name, value in (("calcium", "7.2"), ("albumin", "2.5")):
        cc.set_value(name, value)
    assert cc.result is not None
    handoff = next(h for h in cc.calc.handoffs if h.to == "calc:calcium_dosing")
    state.hand_off(cc, handoff)
    saved = CalculatorInputsRepo(store).load("calcium_dosing")
    assert saved is not None and saved.values["corrected_calcium"] == "8.4"


@pytest.mark.parametrize(("calc_id", "values", "kept"), [
    # Numbers as typed, including a decimal comma, an exponent and spaces; a name is dropped.
    ("crcl_zoledronic",
     {"age_years": "72", "weight_kg": "64,5", "creatinine": " 1e2 ", "height_cm": "Jane Doe",
      "sex": "female", "creatinine_unit": "umol/L"},
     {"age_years": "72", "weight_kg": "64,5", "creatinine": " 1e2 ", "sex": "female",
      "creatinine_unit": "umol/L"}),
    # Only listed choices and units; an unknown field is dropped.
    ("crcl_zoledronic",
     {"sex": "unknown", "creatinine_unit": "mmol/L", "mrn": "12345", "age_years": "1 000"},
     {"age_years": "1 000"}),
    # The spine level is a vertebra; free text in it is not kept.
    ("sins", {"level": "T12", "pain": "mechanical"}, {"level": "T12", "pain": "mechanical"}),
    ("sins", {"level": "J Smith"}, {}),
    ("sins", {"level": "JD"}, {}),
    ("calcium_dosing", {"symptomatic": "yes", "weight_kg": "70"},
     {"symptomatic": "yes", "weight_kg": "70"}),
    ("calcium_dosing", {"symptomatic": "maybe", "weight_kg": True}, {}),
    ("bed_eqd2", {"total_dose_gy": "", "fractions": 5, "alpha_beta_gy": 2.5},
     {"fractions": 5, "alpha_beta_gy": 2.5}),
])
def test_only_values_that_fit_their_field_are_saved(kb: KnowledgeBase, calc_id: str,
                                                   values: dict[str, Any],
                                                   kept: dict[str, Any]) -> None:
    assert persistable(build_form(kb.calculators[calc_id]), values) == kept


def test_a_field_holding_free_text_is_not_written_but_stays_in_the_session(
        kb: KnowledgeBase) -> None:
    store = Store.memory()
    cs = session(kb, store).calculator("crcl_zoledronic")
    cs.set_value("age_years", "72")
    cs.set_value("weight_kg", "Mr Smith 64")
    assert cs.values["weight_kg"] == "Mr Smith 64" and "weight_kg" in cs.field_errors
    saved = CalculatorInputsRepo(store).load("crcl_zoledronic")
    assert saved is not None and saved.values == {"age_years": "72",
                                                  "creatinine_unit": "mg/dL"}


def test_saved_values_the_form_no_longer_takes_are_ignored(kb: KnowledgeBase) -> None:
    calc = kb.calculators["crcl_zoledronic"]
    saved = SavedInputs({"age_years": "70", "sex": "other", "old_field": "1",
                         "creatinine_unit": "umol/L"}, 50.0)
    cs = CalculatorState.create(calc, "conventional", saved=saved)
    assert cs.values == {"age_years": "70", "creatinine_unit": "umol/L"}
    assert cs.entered_at == 50.0


def test_a_store_that_fails_never_breaks_the_form(kb: KnowledgeBase,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    class Broken(CalculatorInputsRepo):
        def load(self, calc_id: str) -> SavedInputs | None:
            raise OSError("disk gone")

        def save(self, calc_id: str, values: Any, saved_at: float) -> None:
            raise OSError("disk full")

    store = Store.memory()
    state = AppState.create(kb, FavouritesRepo(store), RecentsRepo(store), SettingsRepo(store),
                            Broken(store))
    with caplog.at_level(logging.ERROR):
        cs = state.calculator("vitamin_d_plan")
        cs.set_value("level", "12")
    assert cs.result is not None
    assert "could not read the saved answers of vitamin_d_plan" in caplog.text
    assert "could not save the answers of vitamin_d_plan" in caplog.text


def test_without_a_repository_nothing_is_kept(kb: KnowledgeBase) -> None:
    store = Store.memory()
    state = AppState.create(kb, FavouritesRepo(store), RecentsRepo(store), SettingsRepo(store))
    state.calculator("bed_eqd2").set_value("fractions", "5")
    assert CalculatorInputsRepo(store).load("bed_eqd2") is None
    assert state.calculator("bed_eqd2").values == {"fractions": "5"}  # the session keeps it


def test_saver_clears_when_only_units_are_left(kb: KnowledgeBase) -> None:
    store = Store.memory()
    repo = CalculatorInputsRepo(store)
    cs = CalculatorState.create(kb.calculators["vitamin_d_plan"], "si", on_change=saver(repo))
    cs.set_value("level", "30", now=3.0)
    assert repo.load("vitamin_d_plan") == SavedInputs({"level": "30", "unit": "nmol/L"}, 3.0)
    cs.set_value("level", "", now=4.0)
    assert repo.load("vitamin_d_plan") is None
