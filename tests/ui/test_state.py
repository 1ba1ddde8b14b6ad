"""UI state classes and view builders, without a Flet client."""

from __future__ import annotations

import flet as ft
import pytest

from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.store.db import Store
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.ui.components import dose_box, evidence_badge, note_row
from mobile_app.ui.forms import build_form, default_units, parse_number
from mobile_app.ui.state import AppState, CalculatorState
from mobile_app.ui.views.calculator import figure_row, table_view
from mobile_app.ui.views.home import home_sections


@pytest.fixture
def app_state(kb: KnowledgeBase) -> AppState:
    store = Store.memory()
    return AppState.create(kb, FavouritesRepo(store), RecentsRepo(store), SettingsRepo(store))


def test_forms_cover_every_input_of_every_calculator(kb: KnowledgeBase) -> None:
    for calc in kb.calculators.values():
        form = build_form(calc)
        names = {f.name for f in form}
        assert names == set(calc.spec.input_model.model_fields), calc.id
        for f in form:
            if f.kind == "number" and f.unit_field:
                assert f.unit_field in names


def test_sins_form_options_show_points_and_definitions(kb: KnowledgeBase) -> None:
    form = {f.name: f for f in build_form(kb.calculators["sins"])}
    assert form["level"].kind == "text"
    loc = form["location"]
    assert [(c.value, c.points) for c in loc.choices] == [
        ("junctional", 3), ("mobile", 2), ("semirigid", 1), ("rigid", 0)]
    assert "C7–T2" in loc.choices[0].definition


def test_default_units_follow_preference(kb: KnowledgeBase) -> None:
    form = build_form(kb.calculators["crcl_zoledronic"])
    assert default_units(form, "conventional") == {"creatinine_unit": "mg/dL"}
    assert default_units(form, "si") == {"creatinine_unit": "umol/L"}
    vd = build_form(kb.calculators["vitamin_d_plan"])
    assert default_units(vd, "si") == {"unit": "nmol/L"}


@pytest.mark.parametrize(("text", "value"), [
    ("", None), (" 7,5 ", 7.5), ("70", 70), ("1.20", 1.2), ("abc", "abc"), ("1e3", 1000.0)])
def test_parse_number(text: str, value: object) -> None:
    assert parse_number(text) == value


def test_calculator_state_live_result_and_errors(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["crcl_zoledronic"], "si")
    assert cs.result is None and cs.error is None
    assert cs.missing == ["Age", "Weight", "Sex", "Creatinine"]
    cs.set_value("age_years", "72")
    cs.set_value("weight_kg", "64")
    cs.set_value("sex", "female")
    cs.set_value("creatinine", "110")
    assert cs.result is not None
    assert cs.result.zoledronic_acid_dose_mg == 3.3  # 41.2 mL/min in µmol/L
    cs.set_value("creatinine", "1.1")  # µmol/L selected: looks like mg/dL
    assert cs.result is None
    assert cs.error_for("creatinine") is not None and "looks like mg/dL" in str(
        cs.error_for("creatinine"))
    cs.set_value("creatinine_unit", "mg/dL")
    assert cs.result is not None and cs.error is None
    cs.set_value("age_years", "250")
    assert "between 18 and 120" in str(cs.error_for("age_years"))


def test_sins_level_sets_location_and_location_clears_level(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["sins"], "conventional")
    for name, value in dict(pain="mechanical", bone_lesion="lytic", alignment="normal",
                            collapse="under_50", posterolateral="none").items():
        cs.set_value(name, value)
    assert cs.missing == ["Location"] and cs.result is None
    cs.set_value("level", "T12")
    assert cs.result is not None and cs.result.score == 10
    assert cs.result.inputs["location"] == "junctional"
    cs.set_value("location", "semirigid")
    assert "level" not in cs.values and cs.result is not None and cs.result.score == 8
    cs.set_value("level", "T13")
    assert cs.result is None and "T1–T12" in str(cs.error_for("level"))


def test_app_state_favourites_recents_search_settings(app_state: AppState) -> None:
    assert app_state.toggle_favourite("card:hypocalcemia") is True
    assert app_state.favourites == ["card:hypocalcemia"]
    app_state.opened("calc:sins")
    app_state.opened("card:radiotherapy")
    assert app_state.recents == ["card:radiotherapy", "calc:sins"]
    sections = dict(home_sections(app_state))
    assert sections["Favourites"] == ["card:hypocalcemia"]
    assert sections["Recent"] == ["card:radiotherapy", "calc:sins"]
    app_state.search("zoledronc")
    assert app_state.hits and dict(home_sections(app_state)).keys() == {"Results"}
    app_state.update_settings(theme="dark", text_scale=2.0)
    assert app_state.settings.theme == "dark"
    assert app_state.settings_repo.get().text_scale == 2.0
    assert app_state.toggle_favourite("card:hypocalcemia") is False


def test_home_groups_list_cards_and_calculators_by_situation(app_state: AppState) -> None:
    sections = dict(home_sections(app_state))
    assert "calc:sins" in sections["Skeletal"] and "card:spinal_cord_compression" in sections[
        "Skeletal"]
    assert "card:hypocalcemia" in sections["Metabolic"]
    assert "calc:bed_eqd2" in sections["Treatment"]


def test_builders(kb: KnowledgeBase) -> None:
    assert evidence_badge("confirmed", False) is None
    badge = evidence_badge("unverified", False)
    assert isinstance(badge, ft.Container)
    hypo = kb.cards["hypocalcemia"]
    unverified = next(d for s in hypo.sections for d in s.doses if d.evidence == "unverified")
    box = dose_box(unverified, dark=True)
    texts = [c.value for c in box.content.controls if isinstance(c, ft.Text)]
    assert f"{unverified.amount} {unverified.unit}" in texts
    row = note_row(hypo.sections[0].steps[0], False)
    assert isinstance(row, ft.Row)


def _texts(control: object) -> list[str]:
    """Every string a control tree shows (Text values), depth first."""
    out: list[str] = []
    if isinstance(control, ft.Text) and isinstance(control.value, str):
        out.append(control.value)
    for attr in ("content", "controls", "rows", "cells", "columns", "label"):
        child = getattr(control, attr, None)
        for c in child if isinstance(child, list) else [child]:
            if isinstance(c, ft.Control):
                out += _texts(c)
    return out


def test_result_figures_render_label_and_value(kb: KnowledgeBase) -> None:
    r = kb.calculators["bed_eqd2"].run({"total_dose_gy": 8, "fractions": 1, "alpha_beta_gy": 3})
    assert [(f.label, f.text) for f in r.figures] == [
        ("Dose per fraction", "8 Gy"), ("BED", "29.33 Gy"), ("EQD2", "17.6 Gy")]
    for stacked in (False, True):
        texts = _texts(figure_row(r.figures[1], dark=False, stacked=stacked))
        assert texts[0] == "BED" and "29.33 Gy" in texts
    crcl = kb.calculators["crcl_zoledronic"].run(
        {"age_years": 80, "weight_kg": 36, "sex": "male", "creatinine": 1})
    assert {f.key: f.text for f in crcl.figures}["zoledronic_acid"].startswith("3 mg")


def test_tables_on_a_phone_label_every_value(kb: KnowledgeBase) -> None:
    r = kb.calculators["bed_eqd2"].run({"total_dose_gy": 20, "fractions": 5, "alpha_beta_gy": 10})
    table = r.tables[0]
    blocks = _texts(table_view(table, dark=False, grid=False))
    # Every regimen's EQD2 is on screen with its column name (no hidden column).
    assert "EQD2 (Gy): 23.33" in blocks and "EQD2 (Gy): 12" in blocks
    grid = _texts(table_view(table, dark=False, grid=True))
    assert "EQD2 (Gy)" in grid and "23.33" in grid


def test_themes_build_with_scaled_text() -> None:
    from mobile_app.ui.theme import dark_theme, light_theme

    assert light_theme(2.0).text_theme.body_medium.size == 28
    assert dark_theme(1.0).text_theme.title_large.size == 22


def test_typed_spine_level_selects_its_location_at_once(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["sins"], "conventional")
    cs.set_value("level", "L5")
    assert cs.result is None  # other answers still missing
    assert cs.derived == {"location": "junctional"}  # but L5 shows as junctional already
    cs.set_value("level", "T7")
    assert cs.derived == {"location": "semirigid"}
    cs.set_value("level", "T13")
    assert cs.derived == {} and "T1–T12" in str(cs.error_for("level"))
    cs.set_value("location", "rigid")
    assert "level" not in cs.values and cs.derived == {}


def test_every_field_error_is_shown_at_once(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["crcl_zoledronic"], "conventional")
    cs.set_value("age_years", "250")
    cs.set_value("weight_kg", "2000")
    cs.set_value("sex", "female")
    cs.set_value("creatinine", "1.0")
    assert set(cs.field_errors) == {"age_years", "weight_kg"}
    assert "between 18 and 120" in cs.field_errors["age_years"]
    assert "between 20 and 350" in cs.field_errors["weight_kg"]


def test_yes_no_starts_unanswered(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["calcium_dosing"], "conventional")
    cs.set_value("weight_kg", "70")
    cs.set_value("corrected_calcium", "8.0")
    assert "Symptoms of hypocalcaemia" in cs.missing and cs.result is None
    cs.set_value("symptomatic", "no")
    assert cs.result is not None and cs.result.route == "oral"


def test_ambiguous_thousands_comma_is_not_read_as_a_decimal(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["crcl_zoledronic"], "si")
    cs.set_value("creatinine", "1,250")
    assert cs.error_for("creatinine") is not None
    assert parse_number("1,25") == 1.25 and parse_number("1,250") == "1,250"


def test_corrected_calcium_hands_its_value_to_calcium_dosing(app_state: AppState) -> None:
    cc = app_state.calculator("corrected_calcium")
    for name, value in (("calcium", "1.7"), ("calcium_unit", "mmol/L"), ("albumin", "30"),
                        ("albumin_unit", "g/L"), ("lower_limit", "2.2")):
        cc.set_value(name, value)
    assert cc.result is not None and cc.result.category.startswith("hypocalcemia")
    offered = [h for h in cc.calc.handoffs if h.applies(cc.result.category)]
    assert [h.to for h in offered] == ["calc:calcium_dosing", "card:hypocalcemia"]
    route = app_state.hand_off(cc, offered[0])
    assert route == "/calc/calcium_dosing"
    dosing = app_state.calculator("calcium_dosing")
    # 1.7 + 0.02 × (40 − 30) = 1.9 mmol/L, carried with its unit and the lab's lower limit.
    assert dosing.values["corrected_calcium"] == "1.9"
    assert dosing.values["calcium_unit"] == "mmol/L" and dosing.values["lower_limit"] == "2.2"
    assert "upper_limit" not in dosing.values
    dosing.set_value("weight_kg", "70")
    dosing.set_value("symptomatic", "yes")
    assert dosing.result is not None and dosing.result.route == "iv"
    high = app_state.calculator("corrected_calcium")
    high.set_value("calcium", "3.1")
    assert high.result is not None
    assert [h.to for h in high.calc.handoffs if h.applies(high.result.category)] == [
        "card:hypercalcemia"]


def test_kb_refuses_a_handoff_into_a_missing_field(kb: KnowledgeBase) -> None:
    import json

    from mobile_app.knowledge.loader import (
        KBValidationError,
        build_manifest,
        load_files,
        read_bundled_files,
    )

    files = read_bundled_files()
    doc = json.loads(files["calculators/crcl_zoledronic.json"])
    doc["handoffs"] = [
        {"to": "calc:calcium_dosing", "label": "x", "carry": {"nope": "crcl_ml_min"}},
        {"to": "card:nonexistent", "label": "y"}]
    files["calculators/crcl_zoledronic.json"] = json.dumps(doc).encode()
    files["manifest.json"] = build_manifest(files, 1, kb.issued).model_dump_json().encode()
    with pytest.raises(KBValidationError) as info:
        load_files(files)
    text = " ".join(info.value.problems)
    assert "no input 'nope'" in text and "unknown card 'nonexistent'" in text


def test_new_patient_clears_and_old_answers_are_flagged_then_dropped(app_state: AppState
                                                                     ) -> None:
    from mobile_app.ui.state import CLEAR_AFTER_S, STALE_AFTER_S

    cs = app_state.calculator("bed_eqd2", now=1000.0)
    assert not cs.has_answers() and cs.age_s(1000.0) is None
    cs.set_value("total_dose_gy", "8", now=1000.0)
    assert cs.age_s(1000.0 + STALE_AFTER_S + 1) == STALE_AFTER_S + 1
    assert app_state.calculator("bed_eqd2", now=1000.0 + CLEAR_AFTER_S - 1) is cs
    fresh = app_state.calculator("bed_eqd2", now=1000.0 + CLEAR_AFTER_S + 1)
    assert fresh is not cs and not fresh.has_answers()
    fresh.set_value("fractions", "1")
    fresh.clear()
    assert not fresh.has_answers() and fresh.result is None


def test_si_preference_survives_new_patient(kb: KnowledgeBase) -> None:
    cs = CalculatorState.create(kb.calculators["crcl_zoledronic"], "si")
    cs.set_value("creatinine_unit", "mg/dL")
    cs.clear()
    assert cs.values == {"creatinine_unit": "umol/L"}
