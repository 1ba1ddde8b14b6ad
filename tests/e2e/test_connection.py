"""Server mode under real use: the server restarts or crashes, the Wi-Fi drops; a screen reader
at start-up; the keypad number fields bring up (phone and tablet, headless Chromium).

Each test starts its own server (its own port and data directory) so it can stop it and start
it again on the same port and data directory: after a restart the browser reconnects to a new
Flet session, which must bring back the answers typed before from the browser's store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    AppServer,
    Offsite,
    _free_port,
    new_context,
    open_app,
    shot,
)
from tests.e2e.test_browser import T, fill, seen

BANNER = "Connection lost — reconnecting; results are not updating"
RESTORED = "Connection restored; results are updating again"
BACK = 90_000  # ms: a new server process, then the client's reconnect


class Restartable:
    """The app on a fixed port and data directory that a test can stop and start again."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.data = tmp / "data"
        self.data.mkdir()
        self.port = _free_port()
        self.starts = 0
        self.server = self._start()

    def _start(self) -> AppServer:
        self.starts += 1
        return AppServer(self.data, self.tmp / f"app-{self.starts}.log", port=self.port,
                         BONEMETS_UPDATE_URL="")

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self, kill: bool = False) -> None:
        self.server.stop(kill=kill)

    def start(self) -> None:
        self.server = self._start()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Restartable]:
    s = Restartable(tmp_path)
    yield s
    s.stop()


def _gray(path: Path, top: float, bottom: float) -> Image.Image:
    with Image.open(path) as img:
        w, h = img.size
        part = img.convert("L").crop((0, int(h * top), w, int(h * bottom)))
        return part.resize((part.width // 2, part.height // 2), Image.Resampling.BOX)


def _correlation(a: Image.Image, b: Image.Image) -> float:
    """Pearson correlation of two equal-sized grey images: 1 for the same picture under a
    uniform veil (an affine change of every pixel), near 0 for an unrelated one.
    """
    pa, pb = a.tobytes(), b.tobytes()  # mode "L": one byte per pixel
    n = len(pa)
    ma, mb = sum(pa) / n, sum(pb) / n
    cov = sum((x - ma) * (y - mb) for x, y in zip(pa, pb, strict=True))
    va = sum((x - ma) ** 2 for x in pa)
    vb = sum((y - mb) ** 2 for y in pb)
    return cov / (va * vb) ** 0.5 if va and vb else 0.0


def _banner_red_rows(path: Path) -> int:
    """Pixel rows at the top of a screenshot that are mostly the banner's red (#B3261E)."""
    with Image.open(path) as img:
        rgb = img.convert("RGB")
        w, h = rgb.size
        rows = 0
        for y in range(min(h, 200)):
            reds = sum(1 for x in range(0, w, 4)
                       if _near(rgb.getpixel((x, y)), (0xB3, 0x26, 0x1E)))
            if reds > (w // 4) * 0.6:
                rows += 1
        return rows


def _near(px: object, ref: tuple[int, int, int]) -> bool:
    assert isinstance(px, tuple)
    return all(abs(int(c) - r) <= 12 for c, r in zip(px[:3], ref, strict=True))


def _values_after_focus(pg: Page, names: list[str]) -> dict[str, str]:
    """What each field holds, read after focusing it (Flutter's semantics input carries the
    value of a field the app filled in only once it has focus).
    """
    out = {}
    for name in names:
        box = pg.get_by_role("textbox", name=name)
        box.click()
        expect(box).to_be_focused(timeout=T)
        pg.wait_for_timeout(200)
        out[name] = box.input_value()
    return out


CRCL_FIELDS = {"Age (years)": "72", "Weight (kg)": "64", "Creatinine": "1.2"}
# (140 − 72) × 64 / (72 × 1.2) × 0.85 = 42.8 mL/min → band 40–49: 3.3 mg


@pytest.mark.parametrize("how", ["restart", "crash"])
def test_lost_server_freezes_the_screen_and_a_new_session_restores_the_inputs(
        server: Restartable, page: tuple[Page, Offsite], viewport: str, how: str) -> None:
    pg, _ = page
    open_app(pg, f"{server.url}/calc/crcl_zoledronic")
    for name, value in CRCL_FIELDS.items():
        fill(pg, name, value)
    pg.get_by_role("radio", name="Female", exact=True).click()
    seen(pg, "42.8 mL/min")
    seen(pg, "3.3 mg = 4.1 mL of the 4 mg/5 mL concentrate")
    age = pg.get_by_role("textbox", name="Age (years)").bounding_box()
    assert age is not None
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")
    before = shot(pg, f"connection_before_{how}_{viewport}")

    server.stop(kill=how == "crash")
    banner = pg.get_by_role("alert")
    expect(banner).to_have_text(BANNER, timeout=T)
    # The stale screen is not offered as current: no field can be found, focused or typed in.
    expect(pg.get_by_role("textbox")).to_have_count(0, timeout=T)
    expect(pg.get_by_role("button", name="Copy result")).to_have_count(0)
    pg.mouse.click(age["x"] + age["width"] / 2, age["y"] + age["height"] / 2)
    pg.keyboard.type("9")
    assert pg.evaluate("() => document.activeElement === document.body"), "a field has focus"
    pg.wait_for_timeout(3000)  # the client keeps probing; the screen stays as it was
    lost = shot(pg, f"connection_lost_{how}_{viewport}")
    assert _banner_red_rows(lost) >= 30, "no banner at the top of the screen"
    # The last screen is still painted under the banner (not Flet's "Working..." spinner).
    similarity = _correlation(_gray(before, 0.2, 0.95), _gray(lost, 0.2, 0.95))
    assert similarity > 0.9, similarity

    server.start()
    expect(banner).to_have_count(0, timeout=BACK)
    expect(pg.get_by_role("status").filter(has_text=RESTORED)).to_have_count(1, timeout=T)
    seen(pg, "42.8 mL/min")  # recomputed by the new session from the restored answers
    seen(pg, "3.3 mg = 4.1 mL of the 4 mg/5 mL concentrate")
    expect(pg.get_by_role("radio", name="Female", exact=True)).to_be_checked(timeout=T)
    assert _values_after_focus(pg, list(CRCL_FIELDS)) == CRCL_FIELDS  # and no stray "9"
    pg.evaluate("() => document.activeElement && document.activeElement.blur()")
    restored = shot(pg, f"connection_restored_{how}_{viewport}")
    assert _banner_red_rows(restored) == 0
    assert _correlation(_gray(before, 0.2, 0.95), _gray(restored, 0.2, 0.95)) > 0.9
    # The new session is live: a change recomputes at once.
    fill(pg, "Age (years)", "73")
    seen(pg, "42.2 mL/min")  # (140 − 73) × 64 / (72 × 1.2) × 0.85


def test_wifi_drop_blocks_editing_until_the_network_is_back(
        server: Restartable, page: tuple[Page, Offsite], viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{server.url}/calc/crcl_zoledronic")
    fill(pg, "Age (years)", "72")
    pg.context.set_offline(True)
    expect(pg.get_by_role("alert")).to_have_text(BANNER, timeout=T)
    expect(pg.get_by_role("textbox")).to_have_count(0, timeout=T)
    shot(pg, f"connection_offline_{viewport}")
    pg.context.set_offline(False)
    expect(pg.get_by_role("alert")).to_have_count(0, timeout=T)
    expect(pg.get_by_role("status").filter(has_text=RESTORED)).to_have_count(1, timeout=T)
    # Same session, nothing lost, editing works again.
    fill(pg, "Weight (kg)", "64")
    fill(pg, "Creatinine", "1.2")
    pg.get_by_role("radio", name="Female", exact=True).click()
    seen(pg, "42.8 mL/min")


def test_screen_reader_tree_is_on_without_the_placeholder(
        app_url: str, page: tuple[Page, Offsite]) -> None:
    pg, _ = page
    pg.goto(f"{app_url}/calc/sins", timeout=90_000)
    pg.wait_for_selector("#loading", state="detached", timeout=90_000)
    # Nobody clicks "Enable accessibility": the tree is there and the placeholder is gone.
    pg.wait_for_selector("flt-semantics", state="attached", timeout=T)
    expect(pg.locator("flt-semantics-placeholder")).to_have_count(0, timeout=T)
    expect(pg.get_by_role("textbox", name=re.compile(r"^Spine level"))).to_be_visible(timeout=T)
    # The navigation: tabs of the phone's bar, or the rail's "Calculators Tab 2 of 3" button.
    expect(pg.get_by_role("tab", name="Calculators").or_(
        pg.get_by_role("button", name=re.compile(r"^Calculators Tab"))).first).to_be_visible()


ANDROID_CHROME = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/156.0.0.0 Mobile Safari/537.36")


def test_screen_reader_tree_is_on_in_a_phone_browser(app_url: str, browser: Browser) -> None:
    """On a phone Flutter's placeholder covers the whole view and takes only a tap at its
    centre (as a screen reader's double-tap lands); the app's script gives exactly that.
    """
    offsite = Offsite()
    ctx = new_context(browser, "phone", offsite, user_agent=ANDROID_CHROME, is_mobile=True,
                      has_touch=True, device_scale_factor=2)
    pg = ctx.new_page()
    pg.goto(f"{app_url}/calc/crcl_zoledronic", timeout=90_000)
    pg.wait_for_selector("#loading", state="detached", timeout=90_000)
    pg.wait_for_selector("flt-semantics", state="attached", timeout=T)
    expect(pg.locator("flt-semantics-placeholder")).to_have_count(0, timeout=T)
    box = pg.get_by_role("textbox", name="Weight (kg)")
    expect(box).to_have_attribute("inputmode", "decimal", timeout=T)
    box.tap()
    pg.keyboard.type("64")
    expect(box).to_have_value("64", timeout=T)
    ctx.close()
    assert all("rive" in u for u in offsite.urls), offsite.urls


def test_number_fields_bring_up_the_decimal_keypad(page: tuple[Page, Offsite], app_url: str,
                                                    viewport: str) -> None:
    pg, _ = page
    open_app(pg, f"{app_url}/calc/crcl_zoledronic")
    numbers = ["Age (years)", "Weight (kg)", "Creatinine", "Height (cm) (optional)"]
    for name in numbers:
        expect(pg.get_by_role("textbox", name=name)).to_have_attribute(
            "inputmode", "decimal", timeout=T)
    fill(pg, "Creatinine", "1.25")
    active = pg.evaluate("""() => [document.activeElement.tagName,
        document.activeElement.getAttribute('inputmode'), document.activeElement.type]""")
    assert active == ["INPUT", "decimal", "text"], active  # type=text: Flutter keeps the caret
    for name in numbers:  # still there after Flutter rewrote the fields on every change
        expect(pg.get_by_role("textbox", name=name)).to_have_attribute("inputmode", "decimal")
    # Text fields keep the full keyboard.
    open_app(pg, f"{app_url}/calc/sins")
    level = pg.get_by_role("textbox", name=re.compile(r"^Spine level"))
    expect(level).to_be_visible(timeout=T)
    assert level.get_attribute("inputmode") is None
    open_app(pg, app_url)
    search = pg.get_by_role("textbox", name="Search cards and calculators")
    expect(search).to_be_visible(timeout=T)
    assert search.get_attribute("inputmode") is None
