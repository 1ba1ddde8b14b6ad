"""Benchmark: taps and seconds to the answer for the six clinical tasks (issue #9).

Each task starts on Home in a fresh browser context (phone, 390×844) against one app server
started here, and ends when the answer a clinician needs is on screen (in the semantics
tree). "Taps" counts every tap or click except those that put the caret into a field to type a
number; typing itself is counted separately (fields). Target: every task ≤ 6 taps after the
numbers are typed.

Usage: .venv/bin/python bench/bench_tasks.py [--runs 3]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import ARGS, CHROMIUM, AppServer, open_app  # noqa: E402
from tests.e2e.test_browser import fill  # noqa: E402


class Counter:
    """Counts taps and typed fields of one task."""

    def __init__(self, page: Page) -> None:
        self.page, self.taps, self.fields = page, 0, 0

    def tap(self, role: str, name: str | re.Pattern[str], exact: bool = False) -> None:
        self.page.get_by_role(role, name=name, exact=exact).first.click()  # type: ignore[arg-type]
        self.taps += 1

    def type(self, field: str, value: str) -> None:
        fill(self.page, field, value)
        self.fields += 1

    def answer(self, text: str) -> None:
        expect(self.page.get_by_text(text).first).to_be_visible(timeout=30_000)


def zoledronic(c: Counter) -> None:
    c.tap("button", re.compile("^Creatinine clearance & zoledronic"))
    c.type("Age (years)", "72")
    c.type("Weight (kg)", "64")
    c.tap("radio", "Female", exact=True)
    c.tap("button", "µmol/L", exact=True)
    c.type("Creatinine", "110")
    c.answer("3.3 mg = 4.1 mL of the 4 mg/5 mL concentrate")


def sins(c: Counter) -> None:
    c.tap("button", re.compile("^Spinal Instability Neoplastic Score"))
    c.type("Spine level (sets location) (optional)", "T12")
    for option in ("Mechanical pain", "Lytic", "Normal alignment", "Less than 50% collapse",
                   "Unilateral"):
        c.tap("radio", re.compile("^" + option))
    c.answer("11 / 18")


def mirels(c: Counter) -> None:
    c.tap("button", re.compile("^Mirels score"))
    for option in ("Peritrochanteric", "Functional", "Lytic", "More than 2"):
        c.tap("radio", re.compile("^" + option))
    c.answer("12 / 12")


def calcium(c: Counter) -> None:
    c.tap("button", re.compile("^Albumin-corrected calcium"))
    c.type("Calcium", "7.2")
    c.type("Albumin", "2.5")
    c.tap("button", "Calcium dose for this calcium")
    c.type("Weight (kg)", "70")
    c.tap("radio", "Yes", exact=True)
    c.answer("Severe hypocalcaemia: IV calcium now")


def vitamin_d(c: Counter) -> None:
    c.tap("button", re.compile(r"^Vitamin D plan by 25\(OH\)D"))
    c.type("25(OH)D level", "12")
    c.answer("50,000 IU once weekly")


def bed(c: Counter) -> None:
    c.tap("button", re.compile("^BED"))
    c.type("Total dose (Gy)", "20")
    c.type("Fractions", "5")
    c.type("α/β (Gy)", "10")
    c.answer("EQD2 (Gy): 12")  # the 8 Gy × 1 regimen beside the scheme


TASKS: dict[str, Callable[[Counter], None]] = {
    "Zoledronic acid dose from creatinine in µmol/L": zoledronic,
    "SINS from a spine level": sins,
    "Mirels": mirels,
    "Corrected calcium → calcium dose": calcium,
    "Vitamin D plan": vitamin_d,
    "BED/EQD2 comparison": bed,
}


def main() -> None:
    """Run every task ``--runs`` times and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    server = AppServer(tmp / "data", tmp / "app.log", BONEMETS_UPDATE_URL="")
    rows = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            for name, task in TASKS.items():
                seconds, taps, fields = [], 0, 0
                for _ in range(args.runs):
                    ctx = browser.new_context(viewport={"width": 390, "height": 844})
                    page = ctx.new_page()
                    open_app(page, server.url)
                    c = Counter(page)
                    t0 = time.monotonic()
                    task(c)
                    seconds.append(time.monotonic() - t0)
                    taps, fields = c.taps, c.fields
                    ctx.close()
                rows.append((name, taps, fields, statistics.median(seconds), max(seconds)))
            browser.close()
    finally:
        server.stop()
    print(f"{args.runs} runs per task, phone 390×844, Chromium {CHROMIUM}")
    print("| task | taps (excl. typing) | fields typed | seconds, median | max | ≤ 6 taps |")
    print("|---|---:|---:|---:|---:|:-:|")
    for name, taps, fields, med, mx in rows:
        print(f"| {name} | {taps} | {fields} | {med:.1f} | {mx:.1f} | "
              f"{'yes' if taps <= 6 else 'NO'} |")


if __name__ == "__main__":
    main()
