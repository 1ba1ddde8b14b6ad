"""What a clinician reads: every figure, table cell and plan line of a result is on the screen,
in "Copy result" and in ``mobile-app calc --format text`` — with real numbers.
"""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from typing import Any

import flet as ft
import pytest

from mobile_app.cli import main as cli
from mobile_app.knowledge.loader import KnowledgeBase
from mobile_app.knowledge.text import result_text
from mobile_app.store.db import Store
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.ui.state import AppState, CalculatorState
from mobile_app.ui.views.calculator import _result_panel

# (calculator, input, numbers that must be read on screen and in both texts). Sources of the
# expected figures: Fisher 2010 (SINS), Mirels 1989, Payne 1973, Cockcroft-Gault 1976 with the
# Zometa PI bands, Holick 2011, SfE 2016 with the calcium gluconate label, Fowler 1989.
CASES: list[tuple[str, dict[str, Any], list[str]]] = [
    ("sins", {"level": "T12", "pain": "mechanical", "bone_lesion": "lytic",
              "alignment": "normal", "collapse": "under_50", "posterolateral": "unilateral"},
     ["11 / 18", "Potentially unstable"]),
    ("mirels", {"site": "peritrochanteric", "pain": "functional", "lesion": "lytic",
                "size": "over_two_thirds"}, ["12 / 12", "High fracture risk"]),
    ("corrected_calcium", {"calcium": 7.6, "albumin": 2.5}, ["8.8 mg/dL", "2.196 mmol/L"]),
    ("crcl_zoledronic", {"age_years": 72, "weight_kg": 64, "sex": "female", "creatinine": 110,
                         "creatinine_unit": "umol/L"},
     ["41.3 mL/min", "3.3 mg = 4.1 mL of the 4 mg/5 mL concentrate"]),
    ("vitamin_d_plan", {"level": 12}, ["12 ng/mL = 30 nmol/L", "50,000 IU once weekly",
                                       "1,500–2,000 IU daily"]),
    ("calcium_dosing", {"weight_kg": 70, "symptomatic": False, "corrected_calcium": 8.0},
     ["1,000–3,000 mg elemental calcium a day", "2–6 doses of at most 500 mg",
      "2,500–7,500 mg salt", "4,762–14,286 mg salt", "2–6 × 1,250 mg", "with food"]),
    ("calcium_dosing", {"weight_kg": 70, "symptomatic": True, "corrected_calcium": 1.8,
                        "calcium_unit": "mmol/L"},
     ["10–20 mL calcium gluconate 10%", "93–186 mg elemental calcium", "50–100 mL/h",
      "1,505 mg/h", "165.6 mL/h", "1,000–3,000 mg elemental calcium a day"]),
    ("bed_eqd2", {"total_dose_gy": 8, "fractions": 1, "alpha_beta_gy": 10},
     ["14.4 Gy", "12 Gy", "EQD2 (Gy): 32.5", "EQD2 (Gy): 23.33"]),
]


def _texts(control: object) -> list[str]:
    out: list[str] = []
    if isinstance(control, ft.Text) and isinstance(control.value, str):
        out.append(control.value)
    for attr in ("content", "controls", "rows", "cells", "columns", "label", "title"):
        child = getattr(control, attr, None)
        for c in child if isinstance(child, list) else [child]:
            if isinstance(c, ft.Control):
                out += _texts(c)
    return out


def _state(kb: KnowledgeBase, width: float) -> AppState:
    store = Store.memory()
    state = AppState.create(kb, FavouritesRepo(store), RecentsRepo(store), SettingsRepo(store))
    state.width = width
    return state


def _screen(kb: KnowledgeBase, calc_id: str, raw: dict[str, Any], width: float) -> str:
    cs = CalculatorState.create(kb.calculators[calc_id], "conventional")
    for name, value in raw.items():
        cs.set_value(name, {True: "yes", False: "no"}.get(value, value)
                     if isinstance(value, bool) else str(value))
    assert cs.result is not None, (cs.missing, cs.field_errors, cs.error)

    async def copy(_: Any) -> None:
        return None

    return "\n".join(_texts(_result_panel(_state(kb, width), cs, False, copy)))


def _cli_text(calc_id: str, raw: dict[str, Any]) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli(["calc", calc_id, "--input", json.dumps(raw), "--format", "text"]) == 0
    return out.getvalue()


@pytest.mark.parametrize(("calc_id", "raw", "numbers"), CASES,
                         ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(CASES)])
@pytest.mark.parametrize("width", [390, 1366], ids=["phone", "landscape"])
def test_screen_copy_and_cli_show_the_same_figures(kb: KnowledgeBase, calc_id: str,
                                                   raw: dict[str, Any], numbers: list[str],
                                                   width: float) -> None:
    result = kb.calculators[calc_id].run(raw)
    screen = _screen(kb, calc_id, raw, width)
    copied = result_text(result, kb)
    cli_text = _cli_text(calc_id, raw)
    for number in numbers:
        if "(Gy):" in number and width > 1000:
            number = number.split(": ")[1]  # a grid on a wide screen: the cell alone
        assert number in screen, f"screen lacks {number!r}"
        assert number.split(": ")[-1] in copied, f"copy lacks {number!r}"
        assert number.split(": ")[-1] in cli_text, f"CLI lacks {number!r}"
    # Nothing the result shows is missing from the screen or the copy.
    shown = [f.text for f in result.figures] + [n.text for p in result.plan for n in p.items]
    shown += [cell for t in result.tables for row in t.rows for cell in row if cell]
    for text in shown:
        assert text in screen, text
        assert text in copied, text


def test_copy_uses_human_labels_version_and_time(kb: KnowledgeBase) -> None:
    r = kb.calculators["crcl_zoledronic"].run({"age_years": 72, "weight_kg": 64, "sex": "female",
                                               "creatinine": 110, "creatinine_unit": "umol/L"})
    text = result_text(r, kb)
    assert "Creatinine 110 µmol/L" in text and "Sex: female" in text and "Age 72 years" in text
    assert "creatinine_unit" not in text and "umol/L" not in text
    assert f"content v{kb.version} ({kb.issued.isoformat()})" in text
    assert "calculated 20" in text


def _result_rows(kb: KnowledgeBase, raw: dict[str, Any]) -> list[ft.Control]:
    cs = CalculatorState.create(kb.calculators["sins"], "conventional")
    for name, value in raw.items():
        cs.set_value(name, value)

    async def copy(_: Any) -> None:
        return None

    panel = _result_panel(_state(kb, 390), cs, False, copy)
    assert isinstance(panel, ft.Card) and isinstance(panel.content, ft.Container)
    column = panel.content.content
    assert isinstance(column, ft.Column)
    return list(column.controls)


def test_result_rows_keep_their_keys_when_the_category_changes(kb: KnowledgeBase) -> None:
    # SINS 6 (stable) and 8 (potentially unstable): the second has more next steps. Every row
    # is keyed, so Flet's diff pairs the rows after the new ones with themselves (a tap sends
    # what changed, not the whole tail of the result again).
    base = {"location": "junctional", "pain": "mechanical", "alignment": "normal",
            "collapse": "none", "posterolateral": "none"}
    stable = _result_rows(kb, {**base, "bone_lesion": "blastic"})
    unstable = _result_rows(kb, {**base, "bone_lesion": "lytic"})
    assert "8 / 18" in "\n".join(t for c in unstable for t in _texts(c))
    for rows in (stable, unstable):
        keys = [c.key for c in rows]
        assert None not in keys[1:], keys  # the header (chip and Copy) is first and alone
        assert len(set(keys)) == len(keys), keys
        assert keys[-3:] == ["calc-inputs", "calc-sources", "calc-version"]
    def steps(rows: list[ft.Control]) -> dict[str, str]:
        return {str(c.key): "\n".join(_texts(c)) for c in rows
                if str(c.key).startswith("calc-next-") and c.key != "calc-next-heading"}

    before, after = steps(stable), steps(unstable)
    assert set(after) - set(before), (before, after)  # steps only the higher score has
    # Another score of the same category (7: mixed lesion) has the same steps, same keys.
    assert steps(_result_rows(kb, {**base, "bone_lesion": "mixed"})) == after
