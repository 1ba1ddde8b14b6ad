"""Speed of use on a long card: the header stays in view and a menu jumps to a section."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Offsite, open_app, shot
from tests.e2e.test_browser import T, seen


def _top(pg: Page, name: str) -> float:
    box = pg.get_by_role("button", name=name).bounding_box()
    assert box is not None, name
    return float(box["y"])


def test_card_header_stays_and_jumps_to_a_section(page: tuple[Page, Offsite], app_url: str,
                                                  viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/card/bone_targeted_agents")
    seen(pg, "Zoledronic acid (Zometa)")
    expect(pg.get_by_role("button", name="Add to favourites")).to_be_visible(timeout=T)
    top = _top(pg, "Add to favourites")
    size = pg.viewport_size or {"width": 390, "height": 844}
    pg.mouse.move(size["width"] * (3 / 4 if size["width"] >= 840 else 1 / 2),
                  size["height"] / 2)
    for _ in range(4):
        pg.mouse.wheel(0, 600)
        pg.wait_for_timeout(300)
    assert abs(_top(pg, "Add to favourites") - top) < 2  # the header did not scroll away
    pg.get_by_role("button", name="Jump to section").click()
    pg.get_by_role("menuitem", name="Safety").click()
    heading = pg.get_by_text("Safety", exact=True).first
    expect(heading).to_be_visible(timeout=T)
    pg.wait_for_timeout(800)
    box = heading.bounding_box()
    assert box is not None and 0 <= box["y"] < size["height"] * 0.6, box
    shot(pg, f"card_jump_{viewport}")


def test_corrected_calcium_opens_calcium_dosing_with_the_value(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    from tests.e2e.test_browser import fill

    pg, _ = page
    open_app(pg, f"{app_url}/calc/corrected_calcium")
    fill(pg, "Calcium", "7.2")
    fill(pg, "Albumin", "2.5")
    seen(pg, "8.4 mg/dL")  # 7.2 + 0.8 × (4 − 2.5)
    pg.get_by_role("button", name="Calcium dose for this calcium").click()
    seen(pg, "Calcium replacement dosing")
    fill(pg, "Weight (kg)", "70")
    pg.get_by_role("radio", name="Yes", exact=True).click()
    # Without the carried calcium the route could not be chosen; with 8.4 it is IV.
    seen(pg, "Severe hypocalcaemia: IV calcium now")  # symptomatic and below 8.5
    seen(pg, "8.4 mg/dL")
    shot(pg, f"handoff_calcium_{viewport}")


def test_new_patient_clears_the_previous_answers(page: tuple[Page, Offsite], app_url: str,
                                                 viewport: str) -> None:
    from tests.e2e.test_browser import fill

    pg, _ = page
    open_app(pg, f"{app_url}/calc/bed_eqd2")
    fill(pg, "Total dose (Gy)", "8")
    fill(pg, "Fractions", "1")
    fill(pg, "α/β (Gy)", "10")
    seen(pg, "14.4 Gy")
    pg.get_by_role("button", name="New patient").click()
    seen(pg, "Fill in: Total dose, Fractions, α/β")
    expect(pg.get_by_text("14.4 Gy")).to_have_count(0, timeout=T)
    expect(pg.get_by_role("button", name="New patient")).to_have_count(0, timeout=T)
