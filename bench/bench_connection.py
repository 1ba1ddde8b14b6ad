"""Benchmark: a lost connection in server mode, and the cost of keeping calculator answers.

Browser part (phone, 390×844, Debian Chromium): on the CrCl calculator with four answers typed,
the server is stopped (SIGTERM) and started again on the same port and data directory. Timed:
stop → banner on screen; server start → HTTP up; server start → banner gone; server start →
restored result on screen (the new session recomputed it from the store).

Store part (in process): one CalculatorInputsRepo.save on the per-browser file store (atomic
replace with fsync), and one CalculatorState.set_value with and without saving, on a store that
also holds favourites, recents, settings and the answers of every calculator.

Usage: .venv/bin/python bench/bench_connection.py [--runs 5] [--saves 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import ARGS, CHROMIUM, AppServer, _free_port, open_app  # noqa: E402
from tests.e2e.test_browser import fill  # noqa: E402

BANNER = "Connection lost — reconnecting; results are not updating"


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, round(q * (len(v) - 1)))]


def row(name: str, values: list[float], fmt: str = ".2f") -> str:
    return (f"| {name} | {statistics.median(values):{fmt}} | {pct(values, .95):{fmt}} | "
            f"{min(values):{fmt}} | {max(values):{fmt}} |")


def browser_runs(runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in ("banner", "http", "gone", "restored")}
    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for run in range(runs):
            data = Path(tmp) / f"data-{run}"
            data.mkdir()
            port = _free_port()
            server = AppServer(data, Path(tmp) / f"a-{run}.log", port=port,
                               BONEMETS_UPDATE_URL="")
            ctx = browser.new_context(viewport={"width": 390, "height": 844})
            page = ctx.new_page()
            try:
                open_app(page, f"{server.url}/calc/crcl_zoledronic")
                for name, value in (("Age (years)", "72"), ("Weight (kg)", "64"),
                                    ("Creatinine", "1.2")):
                    fill(page, name, value)
                page.get_by_role("radio", name="Female", exact=True).click()
                expect(page.get_by_text("42.8 mL/min").first).to_be_visible(timeout=30_000)
                t0 = time.monotonic()
                server.stop()
                page.get_by_role("alert").filter(has_text=BANNER).wait_for(timeout=30_000)
                out["banner"].append(time.monotonic() - t0)
                page.wait_for_timeout(1500)
                t1 = time.monotonic()
                server = AppServer(data, Path(tmp) / f"b-{run}.log", port=port,
                                   BONEMETS_UPDATE_URL="")
                out["http"].append(time.monotonic() - t1)
                expect(page.get_by_role("alert")).to_have_count(0, timeout=90_000)
                out["gone"].append(time.monotonic() - t1)
                expect(page.get_by_text("42.8 mL/min").first).to_be_visible(timeout=30_000)
                out["restored"].append(time.monotonic() - t1)
            finally:
                ctx.close()
                server.stop()
        browser.close()
    return out


def store_runs(saves: int) -> dict[str, list[float]]:
    from mobile_app.knowledge.loader import load_bundled
    from mobile_app.store import CalculatorInputsRepo, FavouritesRepo, RecentsRepo, Store
    from mobile_app.store.repositories import Settings, SettingsRepo
    from mobile_app.ui.state import AppState

    kb = load_bundled()
    out: dict[str, list[float]] = {"save": [], "set_value_saved": [], "set_value_session": []}
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "c.json") as store:
        for key in ("card:hypocalcemia", "calc:sins", "calc:mirels", "card:radiotherapy"):
            FavouritesRepo(store).add(key)
            RecentsRepo(store).push(key)
        SettingsRepo(store).save(Settings(theme="dark"))
        repo = CalculatorInputsRepo(store)
        for calc_id in kb.calculators:
            repo.save(calc_id, {"x": "1"}, 1.0)
        values = {"age_years": "72", "weight_kg": "64", "sex": "female", "creatinine": "1.2",
                  "creatinine_unit": "mg/dL"}
        for i in range(saves):
            t = time.perf_counter()
            repo.save("crcl_zoledronic", {**values, "height_cm": str(150 + i % 40)}, 2.0 + i)
            out["save"].append((time.perf_counter() - t) * 1000)
        for name, inputs in (("set_value_saved", repo), ("set_value_session", None)):
            state = AppState.create(kb, FavouritesRepo(store), RecentsRepo(store),
                                    SettingsRepo(store), inputs)
            cs = state.calculator("crcl_zoledronic")
            for k, v in values.items():
                cs.set_value(k, v)
            for i in range(saves):
                t = time.perf_counter()
                cs.set_value("height_cm", str(150 + i % 40))
                out[name].append((time.perf_counter() - t) * 1000)
        size = (Path(tmp) / "c.json").stat().st_size
    print(f"store file: {size} bytes\n")
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--saves", type=int, default=300)
    args = parser.parse_args()
    b = browser_runs(args.runs)
    s = store_runs(args.saves)
    print(f"{args.runs} runs, phone 390×844: stop (SIGTERM) → start on the same port and data "
          "directory\n")
    print("| measure (s) | p50 | p95 | min | max |")
    print("|---|---:|---:|---:|---:|")
    print(row("server stopped → banner on screen", b["banner"]))
    print(row("server started → HTTP up", b["http"]))
    print(row("server started → banner gone", b["gone"]))
    print(row("server started → restored result on screen", b["restored"]))
    print(f"\n{args.saves} writes each, per-browser file store (atomic replace + fsync)\n")
    print("| measure (ms) | p50 | p95 | min | max |")
    print("|---|---:|---:|---:|---:|")
    print(row("CalculatorInputsRepo.save", s["save"]))
    print(row("set_value (recompute + save)", s["set_value_saved"]))
    print(row("set_value (recompute, session only)", s["set_value_session"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
