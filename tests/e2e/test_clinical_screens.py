"""What a clinician reads on the calcium-dosing and vitamin D screens, in the semantics tree
of a real browser (phone and tablet): every zero of every dose, the route, the plan.
"""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Offsite, open_app, shot
from tests.e2e.test_browser import T, fill, seen


def test_calcium_dosing_oral_shows_every_figure_with_its_zeros(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/calcium_dosing")
    fill(pg, "Weight (kg)", "70")
    fill(pg, "Corrected calcium (optional)", "8.0")
    pg.get_by_role("radio", name="No", exact=True).click()
    seen(pg, "Mild hypocalcaemia: oral calcium")
    for text in ("1,000–3,000 mg elemental calcium a day as 2–6 doses of at most 500 mg",
                 "2,500–7,500 mg salt", "2–6 × 1,250 mg (500 mg calcium each); at most 1 per dose",
                 "6–15 × 950 mg (199.5 mg calcium each); at most 2 per dose"):
        seen(pg, text)
    # The oral result shows no IV volumes.
    expect(pg.get_by_text("IV bolus now")).to_have_count(0)
    shot(pg, f"calcium_oral_{viewport}")


def test_calcium_dosing_refuses_calcium_to_a_hypercalcaemic_patient(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/calcium_dosing")
    fill(pg, "Weight (kg)", "70")
    pg.get_by_role("radio", name="Yes", exact=True).click()
    seen(pg, "Route not chosen: enter the corrected calcium")
    fill(pg, "Corrected calcium (optional)", "11.5")
    seen(pg, "Hypercalcaemia: calcium is contraindicated")
    expect(pg.get_by_text("IV bolus now")).to_have_count(0, timeout=T)
    shot(pg, f"calcium_hypercalcaemia_{viewport}")


def test_calcium_dosing_iv_shows_bolus_and_label_bounded_infusion(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/calcium_dosing")
    fill(pg, "Weight (kg)", "70")
    pg.get_by_role("radio", name="Yes", exact=True).click()
    pg.get_by_role("button", name="mmol/L").first.click()
    fill(pg, "Corrected calcium (optional)", "1.7")
    seen(pg, "Severe hypocalcaemia: IV calcium now")
    seen(pg, "10–20 mL calcium gluconate 10% (1,000–2,000 mg calcium gluconate = 93–186 mg "
             "elemental calcium, 2.3–4.7 mmol) in 50–100 mL glucose 5% over 10 min")
    seen(pg, "165.6 mL/h")
    seen(pg, "21.5 mg/kg/h = 1,505 mg/h")
    shot(pg, f"calcium_iv_{viewport}")


def test_vitamin_d_plan_shows_the_repletion_regimen(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/vitamin_d_plan")
    fill(pg, "25(OH)D level", "12")
    seen(pg, "12 ng/mL = 30 nmol/L")
    seen(pg, "Repletion")
    seen(pg, "Vitamin D3 (or D2) 50,000 IU once weekly for 8 weeks, or 6,000 IU daily, to "
             "bring 25(OH)D above 30 ng/mL (75 nmol/L).")
    seen(pg, "Then maintenance of 1,500–2,000 IU daily.")
    seen(pg, "Recheck")
    shot(pg, f"vitamin_d_deficient_{viewport}")
