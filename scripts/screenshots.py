"""Screenshots of every screen at phone and tablet size, in light, dark and 200 % text.

Usage: .venv/bin/python scripts/screenshots.py [--readme]
Writes build/screenshots/screens/<mode>-<viewport>-<screen>.png (every scroll position is not
taken: the screen as it opens, with a worked result for calculators). With --readme, the
README's pictures in docs/screenshots/ are refreshed from these.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mobile_app.knowledge.loader import load_bundled  # noqa: E402
from tests.e2e.conftest import ARGS, CHROMIUM, VIEWPORTS, AppServer, open_app  # noqa: E402
from tests.e2e.test_browser import fill  # noqa: E402

OUT = ROOT / "build" / "screenshots" / "screens"
TYPED = {
    "crcl_zoledronic": [("Age (years)", "72"), ("Weight (kg)", "64"), ("Creatinine", "1.3")],
    "corrected_calcium": [("Calcium", "7.2"), ("Albumin", "2.5")],
    "calcium_dosing": [("Weight (kg)", "70"), ("Corrected calcium (optional)", "7.2")],
    "vitamin_d_plan": [("25(OH)D level", "12")],
    "bed_eqd2": [("Total dose (Gy)", "20"), ("Fractions", "5"), ("α/β (Gy)", "10")],
    "sins": [("Spine level (sets location) (optional)", "T12")],
}
TAPPED = {
    "crcl_zoledronic": ["Female"], "calcium_dosing": ["Yes"],
    "sins": ["Mechanical pain · 3 pts", "Lytic · 2 pts", "Normal alignment · 0 pts",
             "Less than 50% collapse · 2 pts", "Unilateral · 1 pt"],
    "mirels": ["Peritrochanteric · 3 pts", "Functional · 3 pts", "Lytic · 3 pts",
               "More than 2/3 · 3 pts"],
}
README = {"card_phone": "light-phone-card-hypocalcemia",
          "zoledronic_umol_phone": "light-phone-calc-crcl_zoledronic",
          "sins_T12_tablet": "light-tablet-calc-sins",
          "settings_dark_phone": "dark-phone-settings",
          "calcium_200_phone": "large-phone-calc-calcium_dosing",
          "bed_tablet": "light-tablet-calc-bed_eqd2"}


def set_mode(page: Page, url: str, mode: str) -> None:
    open_app(page, f"{url}/settings")
    page.get_by_role("button", name="Dark" if mode == "dark" else "Light").click()
    page.get_by_role("button", name="200%" if mode == "large" else "100%").click()
    page.wait_for_timeout(800)


def main() -> None:
    """Take every screen in every mode; optionally refresh the README pictures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--readme", action="store_true")
    args = parser.parse_args()
    kb = load_bundled()
    screens = ["/", "/calculators", "/settings"] + [f"/card/{c}" for c in kb.cards] + [
        f"/calc/{c}" for c in kb.calculators]
    OUT.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp())
    server = AppServer(tmp / "data", tmp / "app.log", BONEMETS_UPDATE_URL="")
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for viewport, size in VIEWPORTS.items():
                for mode in ("light", "dark", "large"):
                    ctx = browser.new_context(viewport=size)
                    page = ctx.new_page()
                    set_mode(page, server.url, mode)
                    for route in screens:
                        open_app(page, server.url + route)
                        calc = route.removeprefix("/calc/") if route.startswith("/calc/") else ""
                        for field, value in TYPED.get(calc, []):
                            fill(page, field, value)
                        for name in TAPPED.get(calc, []):
                            try:  # at 200 % some answers are far down the form
                                page.get_by_role("radio", name=name, exact=True).click(
                                    timeout=8_000)
                            except PlaywrightError:
                                print(f"{mode}-{viewport}{route}: could not tap {name!r}")
                        page.wait_for_timeout(1200)
                        name = route.strip("/").replace("/", "-") or "home"
                        page.screenshot(path=str(OUT / f"{mode}-{viewport}-{name}.png"))
                    ctx.close()
            browser.close()
    finally:
        server.stop()
    print(f"{len(list(OUT.glob('*.png')))} screenshots in {OUT}")
    if args.readme:
        for target, source in README.items():
            shutil.copy(OUT / f"{source}.png", ROOT / "docs" / "screenshots" / f"{target}.png")
        print(f"README pictures refreshed: {', '.join(README)}")


if __name__ == "__main__":
    main()
