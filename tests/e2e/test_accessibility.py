"""Screen-reader names and states, and keyboard order, judged in the semantics tree (WCAG 2.2
AA as the target): buttons are named, the selected unit and a field in error are exposed, a
radio group carries its criterion as its name, and Tab walks the fields in reading order
without passing the navigation bar in between.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Offsite, open_app
from tests.e2e.test_browser import T, fill, seen


def test_names_states_and_errors(page: tuple[Page, Offsite], app_url: str, viewport: str
                                 ) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/crcl_zoledronic")
    expect(pg.get_by_role("button", name="Add to favourites")).to_be_visible(timeout=T)
    if viewport == "phone":
        expect(pg.get_by_role("button", name="Back")).to_be_visible()
    # The selected unit is exposed (aria-current), and moves with the choice.
    mg, umol = (pg.get_by_role("button", name=n, exact=True) for n in ("mg/dL", "µmol/L"))
    expect(mg).to_have_attribute("aria-current", "true")
    expect(umol).to_have_attribute("aria-current", "false")
    umol.click()
    expect(umol).to_have_attribute("aria-current", "true", timeout=T)
    # A field in error says so to assistive technology.
    fill(pg, "Age (years)", "250")
    age = pg.get_by_role("textbox", name="Age (years)")
    expect(age).to_have_attribute("aria-description",
                                  re.compile("between 18 and 120 years"), timeout=T)
    # Radio groups are named by their question.
    expect(pg.get_by_role("group", name="Sex")).to_be_visible()
    open_app(pg, f"{app_url}/calc/sins")
    for name in ("Pain", "Bone lesion", "Vertebral body collapse"):
        expect(pg.get_by_role("group", name=re.compile("^" + name))).to_be_visible(timeout=T)
    pg.get_by_role("radio", name=re.compile("^Lytic")).click()
    expect(pg.get_by_role("button", name="New patient")).to_be_visible(timeout=T)


def test_tab_walks_the_fields_in_reading_order(page: tuple[Page, Offsite], app_url: str,
                                               viewport: str) -> None:
    """On a phone Tab goes field by field. On a tablet Flutter's reading order interleaves the
    list beside the calculator row by row (Flet 1.0.5 offers no focus traversal group), so
    there the fields must still come in their own order, with list rows in between.
    """
    pg, _ = page
    open_app(pg, f"{app_url}/calc/crcl_zoledronic")
    pg.get_by_role("textbox", name="Age (years)").click()
    order: list[str] = []
    for _ in range(8 if viewport == "phone" else 16):
        pg.keyboard.press("Tab")
        pg.wait_for_timeout(250)
        order.append(pg.evaluate(
            "() => (document.activeElement.getAttribute('aria-label') || "
            "document.activeElement.textContent || '').split('\\n')[0]"))
    expected = ["Weight (kg)", "Female", "Creatinine", "mg/dL", "µmol/L",
                "Height (cm) (optional)"]
    fields = [o for o in order if o in expected]
    assert fields[:len(expected)] == expected, order
    if viewport == "phone":
        assert order[:len(expected)] == expected, order  # nothing in between
    assert not any(o in ("Home", "Calculators", "Settings") for o in
                   order[:order.index(expected[-1])]), order
    seen(pg, "Fill in")
