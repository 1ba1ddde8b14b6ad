"""Large text (150 % and 200 %) at phone and tablet sizes: every screen stays readable — labels
above values, tables as labelled blocks, no word broken letter by letter, nothing clipped.
Screenshots of every scroll position go to build/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import VIEWPORTS, Offsite, new_context, open_app
from tests.e2e.readability import scroll_through
from tests.e2e.test_browser import fill, seen

SCALES = {"150": 1.5, "200": 2.0}

SCREENS = {
    "home": ("/", None),
    "card": ("/card/bone_targeted_agents", None),
    "crcl": ("/calc/crcl_zoledronic", [("Age (years)", "72"), ("Weight (kg)", "64"),
                                      ("Creatinine", "1.3"), ("Height (cm) (optional)", "160")]),
    "calcium": ("/calc/calcium_dosing", [("Weight (kg)", "70"),
                                         ("Corrected calcium (optional)", "7.2")]),
    "bed": ("/calc/bed_eqd2", [("Total dose (Gy)", "20"), ("Fractions", "5"),
                               ("α/β (Gy)", "10")]),
    "settings": ("/settings", None),
}


@pytest.fixture(params=[f"{v}-{s}" for v in VIEWPORTS for s in SCALES])
def large_page(request: pytest.FixtureRequest, browser: Browser, app_url: str
               ) -> tuple[Page, str, float]:
    """A page of a browser whose text size was set in Settings (the choice is kept per
    browser): Settings is chosen in one tab, which is then closed, and the screen under test
    opens in a new tab, as a returning user would. (Loading a second URL into the same Flutter
    tab under CI load now and then left the navigation pending for ever in Chromium, with the
    server answering the same URL at once.)"""
    viewport, scale_name = str(request.param).split("-")
    ctx = new_context(browser, viewport, Offsite())
    request.addfinalizer(ctx.close)
    settings = ctx.new_page()
    open_app(settings, f"{app_url}/settings")
    settings.get_by_role("radio", name=f"{scale_name}%").or_(
        settings.get_by_role("button", name=f"{scale_name}%")).first.click()
    settings.wait_for_timeout(1500)  # the choice is saved by the session's handler
    settings.close()
    return ctx.new_page(), request.param, SCALES[scale_name]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_text_is_readable(large_page: tuple[Page, str, float], app_url: str,
                                screen: str) -> None:
    pg, name, scale = large_page
    path, inputs = SCREENS[screen]
    open_app(pg, f"{app_url}{path}")
    for field, value in inputs or []:
        fill(pg, field, value)
    if screen == "crcl":
        pg.get_by_role("radio", name="Female", exact=True).click()
        seen(pg, "Weight alternatives")
    if screen == "calcium":
        pg.get_by_role("radio", name="Yes", exact=True).click()
        seen(pg, "Severe hypocalcaemia: IV calcium now")
    size = pg.viewport_size or {"width": 390, "height": 844}
    list_screen = screen in ("home", "settings")
    x = size["width"] // 2 if size["width"] < 840 else (
        300 if list_screen else size["width"] * 3 // 4)
    problems, shots = scroll_through(pg, scale, f"large_{name}_{screen}", x, size["height"] // 2)
    assert shots
    assert not problems, "\n".join(problems)
