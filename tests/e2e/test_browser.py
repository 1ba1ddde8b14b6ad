"""End-to-end in headless Chromium at a phone (390×844) and a tablet (1024×1366) viewport."""

from __future__ import annotations

import re

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import Offsite, new_context, open_app, semantics_on, shot

T = 20_000  # ms: generous for a 2-core CI machine


def seen(page: Page, text: str | re.Pattern[str], timeout: int = T) -> None:
    """Text is on screen: as a node's text, or inside a merged node's accessible label."""
    expect(page.get_by_text(text).or_(page.get_by_label(text)).first).to_be_visible(
        timeout=timeout)


def _textbox_values(page: Page) -> dict[str, str]:
    return dict(page.evaluate("""() => [...document.querySelectorAll('input, textarea')]
        .filter(e => e.getAttribute('aria-label'))
        .map(e => [e.getAttribute('aria-label'), e.value])"""))


def fill(page: Page, name: str, value: str) -> None:
    """Type into a field and make sure the app saw it — and only it.

    Flutter web edits through one <input> bound to the focused field; when a re-render moves
    the fields between Playwright's click and its typing, the keystrokes can land in the field
    that had focus before (seen: "72" + "1.3" → age "721.3" at 200 % text). A person types once
    the caret is in the field: the test waits for focus, then checks no other field changed.
    """
    box = page.get_by_role("textbox", name=name)
    before = {k: v for k, v in _textbox_values(page).items() if k != name}
    for _ in range(3):
        box.click()  # click before fill: fill alone is flaky on Flutter text fields
        try:
            expect(box).to_be_focused(timeout=3_000)
        except AssertionError:
            continue
        page.wait_for_timeout(150)
        box.fill(value)
        try:
            expect(box).to_have_value(value, timeout=3_000)
            page.wait_for_timeout(300)
            if box.input_value() == value:
                break
        except AssertionError:
            continue
    expect(box).to_have_value(value, timeout=1)
    after = _textbox_values(page)
    changed = {k: (v, after[k]) for k, v in before.items() if k in after and after[k] != v}
    assert not changed, f"typing into {name!r} changed other fields: {changed}"


def test_open_a_card(page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, app_url)
    pg.get_by_role("button", name=re.compile(r"^Hypocalcaemia: recognition")).click()
    seen(pg, "Recognise and grade")
    seen(pg, "unverified — check local protocol")
    expect(pg.get_by_role("button", name="Calcium replacement dosing", exact=True)
           ).to_be_visible()
    assert "/card/hypocalcemia" in pg.url
    shot(pg, f"card_{viewport}")


def test_search_with_a_typo(page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, app_url)
    fill(pg, "Search cards and calculators", "zoledronc")
    result = pg.get_by_role("button", name=re.compile(r"^Bone-targeted agents"))
    expect(result).to_be_visible(timeout=T)
    seen(pg, "Results")
    shot(pg, f"search_typo_{viewport}")
    result.click()
    seen(pg, "Zoledronic acid")


def test_sins_from_a_spine_level(page: tuple[Page, Offsite], app_url: str, viewport: str
                                 ) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/sins")
    fill(pg, "Spine level (sets location) (optional)", "T12")
    for name in ("Mechanical pain · 3 pts", "Lytic · 2 pts", "Normal alignment · 0 pts",
                 "Less than 50% collapse · 2 pts", "Unilateral · 1 pt"):
        pg.get_by_role("radio", name=name).click()
    seen(pg, "11 / 18")
    seen(pg, "Potentially unstable")
    expect(pg.get_by_role("radio", name="Junctional · 3 pts")).to_be_checked()
    shot(pg, f"sins_T12_{viewport}")


def test_zoledronic_dose_with_creatinine_in_umol_l(page: tuple[Page, Offsite], app_url: str,
                                                   viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/crcl_zoledronic")
    fill(pg, "Age (years)", "72")
    fill(pg, "Weight (kg)", "64")
    pg.get_by_role("radio", name="Female", exact=True).click()
    pg.get_by_role("button", name="µmol/L").click()
    fill(pg, "Creatinine", "110")
    # (140 − 72) × 64 / (72 × 110/88.4) × 0.85 = 41.3 mL/min → 3.3 mg = 4.1 mL
    seen(pg, "41.3 mL/min")
    seen(pg, "3.3 mg = 4.1 mL of the 4 mg/5 mL concentrate")
    shot(pg, f"zoledronic_umol_{viewport}")


def test_input_error_for_an_impossible_value(page: tuple[Page, Offsite], app_url: str,
                                             viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/crcl_zoledronic")
    fill(pg, "Age (years)", "250")
    seen(pg, "Age must be between 18 and 120 years (got 250).")
    fill(pg, "Age (years)", "70")
    fill(pg, "Weight (kg)", "70")
    pg.get_by_role("radio", name="Male", exact=True).click()
    fill(pg, "Creatinine", "183")  # mg/dL selected: looks like µmol/L
    seen(pg, re.compile(r"Creatinine 183 mg/dL is outside .* looks like µmol/L"))
    shot(pg, f"input_error_{viewport}")


def test_favourite_survives_reload_and_is_private_to_the_browser(
    browser: Browser, app_url: str, viewport: str
) -> None:
    offsite = Offsite()
    ctx = new_context(browser, viewport, offsite)
    pg = ctx.new_page()
    open_app(pg, f"{app_url}/card/radiotherapy")
    pg.get_by_role("button", name="Add to favourites").click()
    expect(pg.get_by_role("button", name="Remove from favourites")).to_be_visible(timeout=T)
    state = ctx.storage_state()
    ctx.close()
    # Same browser profile (its storage), new session: the favourite is pinned on Home.
    again = new_context(browser, viewport, offsite, storage_state=state)
    pg2 = again.new_page()
    open_app(pg2, app_url)
    seen(pg2, "Favourites")
    pg2.reload()
    pg2.wait_for_selector("#loading", state="detached", timeout=90_000)
    semantics_on(pg2)
    seen(pg2, "Favourites")
    expect(pg2.get_by_role("button", name=re.compile(r"^Palliative radiotherapy|^Radiotherapy"))
           .first).to_be_visible()
    shot(pg2, f"favourite_after_reload_{viewport}")
    again.close()
    # Another browser sees none of it.
    other = new_context(browser, viewport, offsite)
    pg3 = other.new_page()
    open_app(pg3, app_url)
    seen(pg3, "Metabolic")
    assert pg3.get_by_text("Favourites").count() == 0
    assert pg3.get_by_label("Favourites").count() == 0
    other.close()
    assert all("rive" in u for u in offsite.urls), offsite.urls


def _mean_luminance(path: str) -> float:
    img = Image.open(path).convert("L").resize((1, 1), Image.Resampling.BOX)
    value = img.getpixel((0, 0))
    assert isinstance(value, int | float)
    return float(value)


def test_switch_to_dark_mode(page: tuple[Page, Offsite], app_url: str, viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/settings")
    light = _mean_luminance(str(shot(pg, f"settings_light_{viewport}")))
    pg.get_by_role("button", name="Dark").click()
    pg.wait_for_timeout(1500)
    dark = _mean_luminance(str(shot(pg, f"settings_dark_{viewport}")))
    assert light > 180, light
    assert dark < 90, dark
    pg.get_by_role("button", name="System").click()  # leave the shared profile as found


def test_the_test_browser_cannot_leave_loopback(page: tuple[Page, Offsite], app_url: str
                                                ) -> None:
    """The guard the other tests rely on: a request to a host name or to a public address
    fails, and is recorded (the page fixture then fails on anything but the Rive runtime)."""
    pg, offsite = page
    open_app(pg, app_url)
    outcome = pg.evaluate("""async (urls) => Promise.all(urls.map(u =>
        fetch(u, {mode: 'no-cors', cache: 'no-store'}).then(() => 'reached', () => 'blocked')))""",
                          ["http://example.com/rive-probe", "http://93.184.216.34/rive-probe"])
    assert outcome == ["blocked", "blocked"]
    assert [u for u in offsite.urls if u.endswith("/rive-probe")] == [
        "http://example.com/rive-probe", "http://93.184.216.34/rive-probe"]


def test_server_mode_renders_with_canvaskit(browser: Browser, app_url: str) -> None:
    """The same renderer as the offline PWA (dart2js + CanvasKit), never skwasm/dart2wasm."""
    offsite = Offsite()
    ctx = new_context(browser, "phone", offsite)
    pg = ctx.new_page()
    loaded: list[str] = []
    pg.on("requestfinished", lambda r: loaded.append(r.url.rsplit("/", 1)[-1]))
    open_app(pg, app_url)
    ctx.close()
    assert "main.dart.js" in loaded and "canvaskit.wasm" in loaded, loaded
    assert not [u for u in loaded if u.startswith(("main.dart.wasm", "skwasm"))], loaded
