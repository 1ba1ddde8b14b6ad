"""Biologically effective dose (BED) and equivalent dose in 2 Gy fractions (EQD2).

Sources (figures in ``calculators/bed_eqd2.json``):

* Fowler JF. Br J Radiol 1989;62:679-94: BED = n·d·(1 + d/(α/β)).
* Withers HR et al. Radiother Oncol 1983;1:187-91: EQD2 = BED / (1 + 2/(α/β)).
* Brenner DJ 2008 (PMC2750078): the linear-quadratic model is reasonably validated up to about
  10 Gy per fraction; above that the figures are model extrapolations.
* Standard palliative regimens: Lutz 2017 and Alcorn 2024 (ASTRO); SBRT trial regimens as cited
  per regimen.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Self

from pydantic import Field, model_validator

from mobile_app.domain.calculators.base import CalculatorInput, CalculatorSpec
from mobile_app.domain.display import Number, exact, format_number
from mobile_app.domain.models import (
    Cited,
    Figure,
    Frozen,
    Note,
    Result,
    Step,
    Table,
    worst_evidence,
)

__all__ = [
    "BED_EQD2",
    "BedEqd2Input",
    "BedEqd2Params",
    "BedEqd2Result",
    "RegimenComparison",
    "bed_eqd2",
    "bed_gy",
    "eqd2_gy",
]


def bed_gy(total_dose_gy: Number, dose_per_fraction_gy: Number, alpha_beta_gy: Number
           ) -> Fraction:
    """BED = D × (1 + d / (α/β)), exactly."""
    d, ab = exact(dose_per_fraction_gy), exact(alpha_beta_gy)
    return exact(total_dose_gy) * (1 + d / ab)


def eqd2_gy(total_dose_gy: Number, dose_per_fraction_gy: Number, alpha_beta_gy: Number
            ) -> Fraction:
    """EQD2 = D × (d + α/β) / (2 + α/β), exactly."""
    d, ab = exact(dose_per_fraction_gy), exact(alpha_beta_gy)
    return exact(total_dose_gy) * (d + ab) / (2 + ab)


class BedEqd2Input(CalculatorInput):
    """A fractionation scheme and the α/β of the tissue of interest."""

    total_dose_gy: float = Field(gt=0, le=150, title="Total dose", json_schema_extra={"unit": "Gy"})
    fractions: int = Field(ge=1, le=100, title="Fractions")
    alpha_beta_gy: float = Field(
        ge=0.5, le=50, title="α/β", json_schema_extra={"unit": "Gy"},
        description="10 tumour / early-responding, 3 late-responding tissue, 2 spinal cord",
    )


class Regimen(Cited):
    """A published fractionation regimen."""

    id: str
    label: str
    total_dose_gy: float = Field(gt=0)
    fractions: int = Field(ge=1)
    context: str
    kind: str = "conventional"
    """``conventional`` or ``sbrt``."""


class AlphaBetaPreset(Cited):
    """A conventional α/β value."""

    value_gy: float = Field(gt=0)
    label: str


class Validity(Cited):
    """Where the LQ model is reasonably validated."""

    max_dose_per_fraction_gy: float = Field(gt=0)
    warning: str


class BedEqd2Params(Frozen):
    """Knowledge-base parameters of BED/EQD2."""

    formula_refs: tuple[str, ...] = Field(min_length=1)
    validity: Validity
    alpha_beta_presets: tuple[AlphaBetaPreset, ...] = Field(min_length=1)
    regimens: tuple[Regimen, ...] = Field(min_length=1)
    caveats: tuple[Note, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> Self:
        ids = [r.id for r in self.regimens]
        if len(ids) != len(set(ids)):
            raise ValueError("duplicate regimen ids")
        return self


class RegimenComparison(Frozen):
    """A standard regimen at the same α/β."""

    id: str
    label: str
    kind: str
    context: str
    total_dose_gy: float
    fractions: int
    dose_per_fraction_gy: float
    bed_gy: float
    eqd2_gy: float
    refs: tuple[str, ...]
    beyond_lq_validity: bool


class BedEqd2Result(Result):
    """BED and EQD2 of the scheme, with the standard regimens for comparison."""

    dose_per_fraction_gy: float
    bed_gy: float
    eqd2_gy: float
    alpha_beta_gy: float
    beyond_lq_validity: bool
    comparisons: tuple[RegimenComparison, ...]


def _scheme(total_gy: Number, fractions: int) -> str:
    return f"{format_number(total_gy)} Gy / {fractions}"


def bed_eqd2(inp: BedEqd2Input, params: BedEqd2Params) -> BedEqd2Result:
    """BED and EQD2 for the scheme and for every standard regimen at the same α/β."""
    ab = exact(inp.alpha_beta_gy)
    d = exact(inp.total_dose_gy) / inp.fractions
    bed = bed_gy(inp.total_dose_gy, d, ab)
    eqd2 = eqd2_gy(inp.total_dose_gy, d, ab)
    limit = exact(params.validity.max_dose_per_fraction_gy)
    beyond = d > limit
    comps = []
    for r in params.regimens:
        rd = exact(r.total_dose_gy) / r.fractions
        comps.append(RegimenComparison(
            id=r.id, label=r.label, kind=r.kind, context=r.context,
            total_dose_gy=r.total_dose_gy, fractions=r.fractions,
            dose_per_fraction_gy=float(rd),
            bed_gy=float(bed_gy(r.total_dose_gy, rd, ab)),
            eqd2_gy=float(eqd2_gy(r.total_dose_gy, rd, ab)),
            refs=r.refs, beyond_lq_validity=rd > limit,
        ))
    steps = (
        Step(label="Dose per fraction d", value=float(d), unit="Gy",
             detail=f"{format_number(inp.total_dose_gy)} Gy / {inp.fractions}"),
        Step(label="BED", value=float(bed), unit="Gy", detail="D × (1 + d / (α/β))"),
        Step(label="EQD2", value=float(eqd2), unit="Gy", detail="D × (d + α/β) / (2 + α/β)"),
    )
    warnings: list[Note] = []
    if beyond:
        v = params.validity
        warnings.append(Note(text=v.warning, refs=v.refs, evidence=v.evidence))
    warnings.extend(params.caveats)
    scheme = f"{format_number(inp.total_dose_gy)} Gy in {inp.fractions} fraction" + (
        "" if inp.fractions == 1 else "s")
    interpretation = (
        f"{scheme} ({format_number(d)} Gy per fraction) at α/β {format_number(ab)} Gy: "
        f"BED {format_number(bed)} Gy, EQD2 {format_number(eqd2)} Gy."
    )
    ab_text = format_number(ab)
    rows = [(f"Your scheme: {_scheme(inp.total_dose_gy, inp.fractions)}", format_number(d),
             format_number(bed), format_number(eqd2),
             "LQ extrapolated" if beyond else "")]
    rows += [(c.label, format_number(c.dose_per_fraction_gy), format_number(c.bed_gy),
              format_number(c.eqd2_gy), c.context + (" (LQ extrapolated)"
                                                     if c.beyond_lq_validity else ""))
             for c in comps]
    table = Table(key="regimens", title=f"Standard regimens at α/β {ab_text} Gy",
                  columns=("Regimen", "Gy per fraction", "BED (Gy)", "EQD2 (Gy)", "Context"),
                  rows=tuple(rows), highlight=0)
    return BedEqd2Result(
        calculator="bed_eqd2",
        inputs={"total_dose_gy": inp.total_dose_gy, "fractions": inp.fractions,
                "alpha_beta_gy": ab},
        category="lq_extrapolated" if beyond else "lq_range",
        category_label=(f"Above {format_number(limit)} Gy per fraction: LQ extrapolation"
                        if beyond else "Within the usual LQ range"),
        severity="warning" if beyond else "info",
        interpretation=interpretation,
        warnings=tuple(warnings),
        steps=steps,
        refs=params.formula_refs,
        evidence=worst_evidence([params.validity.evidence] if beyond else []),
        figures=(
            Figure(key="dose_per_fraction", label="Dose per fraction",
                   text=f"{format_number(d)} Gy", value=float(d), unit="Gy"),
            Figure(key="bed", label="BED", detail=f"α/β {ab_text} Gy",
                   text=f"{format_number(bed)} Gy", value=float(bed), unit="Gy", summary=True),
            Figure(key="eqd2", label="EQD2", detail=f"α/β {ab_text} Gy",
                   text=f"{format_number(eqd2)} Gy", value=float(eqd2), unit="Gy",
                   summary=True),
        ),
        tables=(table,),
        dose_per_fraction_gy=float(d),
        bed_gy=float(bed),
        eqd2_gy=float(eqd2),
        alpha_beta_gy=inp.alpha_beta_gy,
        beyond_lq_validity=beyond,
        comparisons=tuple(comps),
    )


BED_EQD2: CalculatorSpec[BedEqd2Input, BedEqd2Params, BedEqd2Result] = CalculatorSpec(
    id="bed_eqd2",
    input_model=BedEqd2Input,
    params_model=BedEqd2Params,
    compute=bed_eqd2,
)
