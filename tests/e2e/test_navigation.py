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
