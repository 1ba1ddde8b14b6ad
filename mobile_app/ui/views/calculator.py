"""Calculator view: a form generated from the input model, the live result with its category
colour, interpretation, next steps, breakdown and sources, and "copy result".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import flet as ft

from mobile_app.domain.calculators.bed_eqd2 import BedEqd2Result
from mobile_app.domain.calculators.calcium_dosing import CalciumDosingResult
from mobile_app.domain.calculators.corrected_calcium import CorrectedCalciumResult
from mobile_app.domain.calculators.crcl_zoledronic import CrClResult
from mobile_app.domain.calculators.vitamin_d import VitaminDResult
from mobile_app.domain.models import Result
from mobile_app.domain.scoring import ScoreResult
from mobile_app.domain.units import display_unit
from mobile_app.knowledge.text import value_text
from mobile_app.ui.components import (
    TOUCH_STYLE,
    detail_header,
    evidence_badge,
    heading,
    note_row,
    sources_block,
    version_footer,
)
from mobile_app.ui.forms import Field
from mobile_app.ui.state import AppState, CalculatorState, item_key
from mobile_app.ui.theme import severity_color

__all__ = ["CalculatorView", "result_figures"]


def result_figures(result: Result) -> list[tuple[str, str]]:
    """The headline figures of a result, as (label, value with unit), display-rounded."""
    if isinstance(result, ScoreResult):
        return [("Score", f"{result.score} / {result.max_score}")]
    if isinstance(result, CorrectedCalciumResult):
        other = "mmol/L" if result.unit == "mg/dL" else "mg/dL"
        other_v = (result.corrected_calcium_mmol_l if result.unit == "mg/dL"
                   else result.corrected_calcium_mg_dl)
        return [("Corrected calcium", value_text(result.corrected_calcium, result.unit)),
                ("Also", value_text(other_v, other, 3 if other == "mmol/L" else 2)),
                ("CTCAE grade", str(result.ctcae_grade) if result.ctcae_grade else "—")]
    if isinstance(result, CrClResult):
        dose = ("not recommended" if result.zoledronic_acid_dose_mg is None else
                f"{value_text(result.zoledronic_acid_dose_mg, 'mg', 1)} = "
                f"{value_text(result.concentrate_volume_ml, 'mL', 1)} of 4 mg/5 mL")
        return [("CrCl (actual weight)", value_text(result.crcl_ml_min, "mL/min", 1)),
                ("Zoledronic acid", dose)]
    if isinstance(result, VitaminDResult):
        return [("25(OH)D", f"{value_text(result.level_ng_ml, 'ng/mL', 1)} = "
                            f"{value_text(result.level_nmol_l, 'nmol/L', 1)}"),
                ("Status", result.category_label)]
    if isinstance(result, CalciumDosingResult):
        b, m = result.bolus_ml, result.maintenance_elemental_mg
        return [("Route now", "IV" if result.route == "iv" else "Oral"),
                ("IV bolus (gluconate 10%)",
                 f"{value_text(b.low)}–{value_text(b.high)} mL = "
                 f"{value_text(result.bolus_elemental_mg.low)}–"
                 f"{value_text(result.bolus_elemental_mg.high)} mg Ca"),
                ("Maintenance (weight-based)", f"{value_text(m.low, decimals=0)}–"
                                               f"{value_text(m.high, decimals=0)} mg Ca over "
                                               "4–6 h")]
    if isinstance(result, BedEqd2Result):
        return [("Dose per fraction", value_text(result.dose_per_fraction_gy, "Gy")),
                ("BED", value_text(result.bed_gy, "Gy")),
                ("EQD2", value_text(result.eqd2_gy, "Gy"))]
    return []


def _extra_tables(result: Result) -> list[ft.Control]:
    """Calculator-specific detail: alternatives, dosing options, regimen comparison."""
    def table(cols: list[str], rows: list[list[str]], highlight: int | None = None
              ) -> ft.Control:
        return ft.Row([ft.DataTable(
            columns=[ft.DataColumn(label=ft.Text(c, weight=ft.FontWeight.BOLD)) for c in cols],
            rows=[ft.DataRow(cells=[ft.DataCell(ft.Text(v)) for v in r],
                             selected=i == highlight) for i, r in enumerate(rows)],
            column_spacing=16, heading_row_height=40, data_row_min_height=40)],
            scroll=ft.ScrollMode.AUTO)

    if isinstance(result, CrClResult) and result.alternatives:
        rows = [["Actual", value_text(result.inputs["weight_kg"], "kg", 1),
                 value_text(result.crcl_ml_min, "mL/min", 1),
                 value_text(result.zoledronic_acid_dose_mg, "mg", 1)]]
        rows += [[a.label, value_text(a.weight_kg, "kg", 1), value_text(a.crcl_ml_min,
                  "mL/min", 1), value_text(a.zoledronic_acid_dose_mg, "mg", 1)]
                 for a in result.alternatives]
        return [heading("Weight alternatives", "title_small"),
                table(["Weight basis", "Weight", "CrCl", "Dose"], rows, 0)]
    if isinstance(result, CalciumDosingResult):
        opts = [[f"{value_text(o.mg_per_kg)} mg/kg over {value_text(o.hours)} h",
                 value_text(o.elemental_mg, "mg", 0), value_text(o.gluconate_ml, "mL", 1),
                 value_text(o.elemental_mg_per_h, "mg/h", 1),
                 value_text(o.gluconate_ml_per_h, "mL/h", 1)] for o in result.maintenance_options]
        sfe = result.sfe_infusion_elemental_mg_per_h
        salts = [[s.label, f"{value_text(s.salt_mg_per_day.low, decimals=0)}–"
                  f"{value_text(s.salt_mg_per_day.high, decimals=0)} mg salt",
                  f"{value_text(s.tablets_per_day.low, decimals=0)}–"
                  f"{value_text(s.tablets_per_day.high, decimals=0)} × "
                  f"{value_text(s.tablet_salt_mg, 'mg', 0)}"] for s in result.oral_salts]
        od = result.oral_elemental_mg_per_day
        return [
            heading("Weight-based maintenance (unverified)", "title_small"),
            table(["Regimen", "Elemental Ca", "Gluconate 10%", "Ca rate", "Gluconate rate"],
                  opts),
            ft.Text(f"SfE infusion (confirmed): {value_text(sfe.low, decimals=1)}–"
                    f"{value_text(sfe.high, decimals=1)} mg Ca/h = "
                    f"{value_text(result.sfe_infusion_mg_per_kg_per_h.low)}–"
                    f"{value_text(result.sfe_infusion_mg_per_kg_per_h.high)} mg/kg/h"),
            heading(f"Oral: {value_text(od.low, decimals=0)}–{value_text(od.high, decimals=0)} "
                    "mg elemental Ca/day in divided doses", "title_small"),
            table(["Salt", "Per day", "Tablets/day (example strength)"], salts),
        ]
    if isinstance(result, BedEqd2Result):
        rows = [[f"Your scheme: {value_text(result.inputs['total_dose_gy'], 'Gy')} / "
                 f"{result.inputs['fractions']}", value_text(result.dose_per_fraction_gy),
                 value_text(result.bed_gy), value_text(result.eqd2_gy), ""]]
        rows += [[c.label, value_text(c.dose_per_fraction_gy), value_text(c.bed_gy),
                  value_text(c.eqd2_gy), c.context + (" (LQ extrapolated)"
                                                      if c.beyond_lq_validity else "")]
                 for c in result.comparisons]
        return [heading(f"Standard regimens at α/β {value_text(result.alpha_beta_gy)} Gy",
                        "title_small"),
                table(["Regimen", "Gy/fx", "BED (Gy)", "EQD2 (Gy)", "Context"], rows, 0)]
    return []


def _field_control(cs: CalculatorState, f: Field, dark: bool, stacked: bool = False
                   ) -> ft.Control:
    # Handlers are async so they run one at a time on the event loop: two fields typed in
    # quick succession can never race each other (sync handlers run in a thread pool).
    err = cs.error_for(f.name)
    value = cs.values.get(f.name)
    key = f"calc-{cs.calc.id}-{f.name}"
    if f.kind == "choice":
        selected = value
        if f.name == "location" and cs.result is not None and "level" in cs.values:
            selected = cs.result.inputs.get("location")

        async def on_choice(e: ft.Event[ft.RadioGroup], name: str = f.name) -> None:
            cs.set_value(name, e.control.value)

        radios: list[ft.Control] = []
        for c in f.choices:
            pts = f" · {c.points} pt{'s' if c.points != 1 else ''}" if c.points is not None else ""
            radios.append(ft.Radio(value=c.value, label=f"{c.label}{pts}",
                                   key=f"{key}-{c.value}"))
            if c.definition:
                radios.append(ft.Container(
                    ft.Text(c.definition, theme_style=ft.TextThemeStyle.BODY_SMALL,
                            color=ft.Colors.ON_SURFACE_VARIANT),
                    padding=ft.Padding.only(left=48, bottom=4)))
        parts: list[ft.Control] = [heading(f.label, "title_small")]
        if f.help:
            parts.append(ft.Text(f.help, theme_style=ft.TextThemeStyle.BODY_SMALL))
        parts.append(ft.RadioGroup(content=ft.Column(radios, spacing=0, tight=True),
                                   value=selected, on_change=on_choice, key=key))
        if err:
            parts.append(ft.Text(err, color=severity_color("danger", dark)))
        return ft.Column(parts, spacing=2, tight=True)
    if f.kind == "switch":
        async def on_switch(e: ft.Event[ft.Switch], name: str = f.name) -> None:
            cs.set_value(name, bool(e.control.value))

        return ft.Column([ft.Switch(label=f.label, value=bool(value), on_change=on_switch,
                                    key=key),
                          ft.Text(f.help, theme_style=ft.TextThemeStyle.BODY_SMALL)],
                         spacing=0, tight=True)

    async def on_text(e: ft.Event[ft.TextField], name: str = f.name) -> None:
        cs.set_value(name, e.control.value or "")

    unit_text = display_unit(str(cs.values.get(f.unit_field, ""))) if f.unit_field else f.unit
    label = f.label + (f" ({f.unit})" if f.unit else "")
    text = ft.TextField(
        label=f"{label}{' (optional)' if not f.required else ''}",
        value=value if isinstance(value, str) else ("" if value is None else str(value)),
        on_change=on_text, key=key, error=err,
        suffix=unit_text if f.unit_field else None,
        keyboard_type=ft.KeyboardType.TEXT if f.kind == "text" else ft.KeyboardType.NUMBER,
        hint_text=f.help or None, expand=True, error_max_lines=4,
    )
    if not f.unit_field:
        return text
    unit_field = cs.field(f.unit_field)

    async def on_unit(e: ft.Event[ft.SegmentedButton], name: str = f.unit_field) -> None:
        if e.control.selected:
            cs.set_value(name, e.control.selected[0])

    toggle = ft.SegmentedButton(
        segments=[ft.Segment(value=c.value, label=ft.Text(c.label)) for c in unit_field.choices],
        selected=[str(cs.values.get(f.unit_field))], on_change=on_unit,
        show_selected_icon=False, key=f"calc-{cs.calc.id}-{f.unit_field}", style=TOUCH_STYLE)
    if stacked:  # large text or a narrow screen: the unit toggle goes under the number
        text.expand = False
        return ft.Column([text, toggle], spacing=6, tight=True,
                         horizontal_alignment=ft.CrossAxisAlignment.STRETCH)
    return ft.Row([text, toggle], vertical_alignment=ft.CrossAxisAlignment.START)


def _result_panel(state: AppState, cs: CalculatorState, dark: bool,
                  copy: Callable[[Any], Awaitable[None]]) -> ft.Control:
    r = cs.result
    if r is None:
        if cs.error is not None and not any(cs.error_for(f.name) for f in cs.form):
            return ft.Container(ft.Text(cs.error.message, color=severity_color("danger", dark)),
                                key="calc-error")
        prompt = ("Fill in: " + ", ".join(cs.missing)) if cs.missing else (
            "Correct the highlighted input.")
        return ft.Container(ft.Text(prompt, italic=True), key="calc-prompt", padding=8)
    color = severity_color(r.severity, dark)
    rows: list[ft.Control] = [
        ft.Container(
            ft.Text(r.category_label, color=ft.Colors.WHITE if not dark else ft.Colors.BLACK,
                    weight=ft.FontWeight.BOLD, theme_style=ft.TextThemeStyle.TITLE_MEDIUM),
            bgcolor=color, padding=ft.Padding.symmetric(horizontal=12, vertical=6),
            border_radius=8, key="calc-category"),
    ]
    for label, value in result_figures(r):
        rows.append(ft.Row([ft.Text(label, expand=True),
                            ft.Text(value, weight=ft.FontWeight.BOLD,
                                    theme_style=ft.TextThemeStyle.TITLE_MEDIUM,
                                    text_align=ft.TextAlign.RIGHT)],
                           key=f"calc-figure-{label}"))
    rows.append(ft.Text(r.interpretation, key="calc-interpretation"))
    badge = evidence_badge(r.evidence, dark)
    if badge is not None:
        rows.append(badge)
    if r.next_steps:
        rows.append(heading("Next steps", "title_small"))
        rows.extend(note_row(n, dark, ft.Icons.ARROW_FORWARD) for n in r.next_steps)
    if r.warnings:
        rows.append(heading("Caveats", "title_small"))
        rows.extend(note_row(n, dark, ft.Icons.WARNING_AMBER, "warning") for n in r.warnings)
    rows.extend(_extra_tables(r))
    steps = [ft.Text(f"{s.label}: {value_text(s.value, s.unit, 4)}"
                     + (f"   ({s.detail})" if s.detail else ""),
                     theme_style=ft.TextThemeStyle.BODY_SMALL) for s in r.steps]
    inputs = ", ".join(f"{k} = {value_text(v)}" for k, v in r.inputs.items() if v is not None)
    rows.append(ft.ExpansionTile(title=ft.Text("Inputs and calculation"),
                                 leading=ft.Icon(ft.Icons.FUNCTIONS),
                                 controls=[ft.Container(ft.Column(
                                     [ft.Text(f"Inputs: {inputs}"), *steps],
                                     spacing=4, tight=True), padding=12)]))
    rows.append(sources_block(state.kb, r.refs, "Source"))
    rows.append(ft.Row([ft.FilledButton("Copy result", icon=ft.Icons.CONTENT_COPY,
                                        on_click=copy, key="copy-result")]))
    rows.append(version_footer(state.kb))
    return ft.Card(content=ft.Container(ft.Column(rows, spacing=8, tight=True), padding=14),
                   semantic_container=False, key="calc-result")


@ft.component
def CalculatorView(state: AppState, cs: CalculatorState, dark: bool,
                   back: Callable[[Any], Any] | None,
                   copy_text: Callable[[str], Awaitable[None]]) -> ft.Control:
    """A calculator with its live result."""
    from mobile_app.knowledge.text import result_text

    calc = cs.calc
    key = item_key("calc", calc.id)

    async def copy(_: Any) -> None:
        if cs.result is not None:
            await copy_text(result_text(cs.result, state.kb))
            state.notify("Result copied: inputs, result, units, source, content version")

    scale = state.settings.text_scale
    stacked = scale >= 1.5 or (scale > 1.0 and state.is_phone)
    form: list[ft.Control] = []
    advanced: list[ft.Control] = []
    for f in cs.form:
        if f.kind == "unit":
            continue
        (advanced if f.advanced else form).append(_field_control(cs, f, dark, stacked))
    if advanced:
        form.append(ft.ExpansionTile(title=ft.Text("Lab reference range (optional)"),
                                     controls=[ft.Column(advanced, tight=True)]))
    summary: list[ft.Control] = [ft.Text(calc.summary)]
    badge = evidence_badge(calc.evidence, dark) if calc.evidence == "unverified" else None
    if badge is not None:
        summary.append(badge)
    return ft.Column(
        [detail_header(state, key, calc.title, back),
         _sticky_summary(cs, dark),
         ft.Column([*summary, ft.Column(form, spacing=14, tight=True),
                    _result_panel(state, cs, dark, copy)],
                   spacing=12, scroll=ft.ScrollMode.AUTO, expand=True)],
        spacing=8, expand=True, horizontal_alignment=ft.CrossAxisAlignment.STRETCH)


def _sticky_summary(cs: CalculatorState, dark: bool) -> ft.Control:
    """The result in one line, always in view above the form (the full result is below)."""
    r = cs.result
    if r is None:
        text = ("Fill in: " + ", ".join(cs.missing)) if cs.missing else "Check the inputs"
        return ft.Container(ft.Text(text, italic=True, max_lines=2,
                                    overflow=ft.TextOverflow.ELLIPSIS),
                            padding=ft.Padding.symmetric(horizontal=12, vertical=8),
                            border_radius=8, bgcolor=ft.Colors.SURFACE_CONTAINER_HIGHEST,
                            key="calc-summary")
    figures = result_figures(r)
    headline = " · ".join(v for _, v in figures[:2])
    fg = ft.Colors.BLACK if dark else ft.Colors.WHITE
    return ft.Container(
        ft.Column([ft.Text(r.category_label, color=fg, weight=ft.FontWeight.BOLD),
                   ft.Text(headline, color=fg)], spacing=0, tight=True),
        padding=ft.Padding.symmetric(horizontal=12, vertical=8), border_radius=8,
        bgcolor=severity_color(r.severity, dark), key="calc-summary")
