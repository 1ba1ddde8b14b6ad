"""Home and Calculators lists under real use: favourite / unfavourite / search / section
switches never show one item's title with another item's action (phone and tablet).
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Offsite, open_app, shot
from tests.e2e.test_browser import T, fill, seen

CALCS = ("Mirels score", "Spinal Instability Neoplastic Score", "Albumin-corrected calcium",
         "Calcium replacement dosing", "Creatinine clearance & zoledronic acid dose",
         "Vitamin D plan by 25(OH)D", "BED / EQD2")


def tile(pg: Page, title: str) -> object:
    pattern = re.escape(title).replace("\\ ", " ").replace("/", "\\/")
    return pg.get_by_role("button", name=re.compile("^" + pattern))


def opens(pg: Page, title: str) -> None:
    """Tapping the row titled ``title`` opens that very item (its header says so)."""
    tile(pg, title).first.click()
    expect(pg.get_by_text(title, exact=False).first).to_be_visible(timeout=T)
    header = pg.get_by_role("button", name=re.compile("^(Add to|Remove from) favourites$"))
    expect(header).to_be_visible(timeout=T)


def test_favourite_unfavourite_search_and_sections_keep_rows_whole(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/mirels")
    pg.get_by_role("button", name="Add to favourites").click()
    expect(pg.get_by_role("button", name="Remove from favourites")).to_be_visible(timeout=T)
    pg.get_by_role("tab", name="Home").or_(pg.get_by_role("button", name="Home")).first.click()
    seen(pg, "Favourites")
    # Mirels is listed under Favourites and in its group; every calculator is still there.
    expect(tile(pg, "Mirels score")).to_have_count(2, timeout=T)
    for title in CALCS:
        expect(tile(pg, title).first).to_be_visible(timeout=T)
    # Each row's title opens its own item (title and action never come apart).
    for title in ("Creatinine clearance & zoledronic acid dose", "Hypercalcaemia",
                  "Mirels score"):
        pg.get_by_role("tab", name="Home").or_(pg.get_by_role("button", name="Home")
                                               ).first.click()
        opens(pg, title)
    # Unfavourite, then search, then switch sections.
    pg.get_by_role("button", name="Remove from favourites").click()
    expect(pg.get_by_role("button", name="Add to favourites")).to_be_visible(timeout=T)
    pg.get_by_role("tab", name="Home").or_(pg.get_by_role("button", name="Home")).first.click()
    fill(pg, "Search cards and calculators", "zoledronic")
    seen(pg, "Results")
    results = pg.get_by_role("button", name=re.compile(r"zoledronic|Bone-targeted", re.I))
    expect(results.first).to_be_visible(timeout=T)
    expect(tile(pg, "Mirels score")).to_have_count(0, timeout=T)
    opens(pg, "Creatinine clearance & zoledronic acid dose")
    pg.get_by_role("tab", name="Home").or_(pg.get_by_role("button", name="Home")).first.click()
    # The query is kept on Back (its results still listed), and the clear button empties it.
    seen(pg, "Results")
    pg.get_by_role("button", name="Clear search").click()
    seen(pg, "Metabolic")
    expect(pg.get_by_text("Results")).to_have_count(0, timeout=T)
    expect(pg.get_by_role("button", name="Clear search")).to_have_count(0, timeout=T)
    pg.get_by_role("tab", name="Calculators").or_(pg.get_by_role("button", name="Calculators")
                                                  ).first.click()
    for title in CALCS:
        expect(tile(pg, title).first).to_be_visible(timeout=T)
    expect(tile(pg, "Hypocalcaemia: recognition")).to_have_count(0)
    opens(pg, "BED / EQD2")
    shot(pg, f"lists_after_use_{viewport}")


def test_a_detail_opened_from_settings_shows_the_list_that_holds_it(
        page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/settings")
    seen(pg, "Text size")
    # A hand-off or link into a calculator: the tablet shows the Calculators list beside it.
    pg.evaluate("() => { history.pushState({}, '', '/calc/mirels'); "
                "dispatchEvent(new PopStateEvent('popstate')); }")
    seen(pg, "Site")
    if viewport == "tablet":
        expect(tile(pg, "BED / EQD2").first).to_be_visible(timeout=T)
        expect(pg.get_by_text("Text size")).to_have_count(0, timeout=T)
