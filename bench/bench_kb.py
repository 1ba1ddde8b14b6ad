"""Benchmark: knowledge-base load + validate, search index build, and search latency.

Runs on the bundled KB and on synthetic KBs of 1,000 and 10,000 cards (the bundled
calculators and references plus generated cards with realistic vocabulary), then prints
a Markdown table. Targets (issue #2): bundled load < 50 ms; search p95 < 5 ms at 1,000 cards;
growth no worse than linear.

Usage: .venv/bin/python bench/bench_kb.py [--sizes 1000 10000] [--queries 200]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mobile_app.knowledge.loader import (  # noqa: E402
    MANIFEST,
    KnowledgeBase,
    build_manifest,
    load_files,
    read_bundled_files,
)

WORDS = (
    "calcium zoledronic denosumab hypocalcaemia hypercalcaemia vitamin magnesium phosphate "
    "radiotherapy fraction dexamethasone spinal cord compression fracture femur humerus "
    "vertebra lytic blastic metastasis prostate breast myeloma renal creatinine clearance "
    "infusion gluconate carbonate citrate oral intravenous monitoring dose weekly daily "
    "osteonecrosis jaw dental pain opioid ladder radium strontium samarium surgery fixation "
    "stabilisation kyphoplasty vertebroplasty MRI CT bone scan flare marker telopeptide "
    "alkaline phosphatase hydration bisphosphonate pamidronate albumin corrected ionised"
).split()
QUERIES = [
    "zometa", "zoledronic", "zoledronc", "hypocalcemia", "hungry bone", "cord compression",
    "dexametasone", "Ca", "vitamin d", "renal dose", "radium", "sins", "mirels femur",
    "calcium gluconate infusion", "hyp", "osteonecrosis jaw", "fraction", "bed eqd2",
]


def synthetic_files(n_cards: int, seed: int = 7) -> dict[str, bytes]:
    """The bundled KB (its 13 cards, which the calculators' hand-offs point to, calculators,
    references, synonyms) plus ``n_cards`` generated cards.
    """
    rng = random.Random(seed)
    base = read_bundled_files()
    files = {k: v for k, v in base.items() if k != MANIFEST}
    refs = [r["id"] for r in json.loads(base["references.json"])["references"]]
    for i in range(n_cards):
        def sentence(k: int) -> str:
            return " ".join(rng.choice(WORDS) for _ in range(k)).capitalize() + "."

        card = {
            "kind": "card",
            "id": f"synthetic_{i:05d}",
            "title": f"{sentence(3)[:-1]} {i}",
            "summary": sentence(14),
            "group": rng.choice(["metabolic", "skeletal", "treatment"]),
            "keywords": [rng.choice(WORDS) for _ in range(4)],
            "sections": [
                {
                    "id": f"s{j}",
                    "title": sentence(3),
                    "steps": [{"text": sentence(12), "refs": [rng.choice(refs)]}
                              for _ in range(3)],
                    "doses": [{"drug": rng.choice(WORDS), "amount": str(rng.randint(1, 500)),
                               "unit": "mg", "route": "IV", "refs": [rng.choice(refs)]}],
                    "warnings": [{"text": sentence(10), "refs": [rng.choice(refs)]}],
                }
                for j in range(3)
            ],
            "calculators": [],
            "refs": [rng.choice(refs)],
            "version": 1,
            "last_reviewed": "2026-11-22",
        }
        files[f"cards/{card['id']}.json"] = json.dumps(card).encode()
    manifest = build_manifest(files, version=1, issued=json.loads(base[MANIFEST])["issued"])
    files[MANIFEST] = manifest.model_dump_json().encode()
    return files


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall-clock milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0–1) of values."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def bench(label: str, files: dict[str, bytes], n_queries: int, repeat: int) -> dict[str, object]:
    """Measure one KB."""
    load_ms = timed(lambda: load_files(files), repeat)
    kb: KnowledgeBase = load_files(files)
    index_ms = timed(lambda: load_files(files).index, max(1, repeat // 3))
    kb.index  # noqa: B018  (build once before timing searches)
    gc.freeze()  # as the server does after loading its content (mobile_app.app.run)
    queries = [QUERIES[i % len(QUERIES)] for i in range(n_queries)]
    search_ms: list[float] = []
    for q in queries:
        t0 = time.perf_counter()
        kb.search(q)
        search_ms.append((time.perf_counter() - t0) * 1000)
    gc.unfreeze()
    return {
        "kb": label,
        "cards": len(kb.cards),
        "bytes": sum(len(v) for v in files.values()),
        "load_p50": statistics.median(load_ms),
        "load_p95": pct(load_ms, 0.95),
        "index_p50": statistics.median(index_ms) - statistics.median(load_ms),
        "search_p50": statistics.median(search_ms),
        "search_p95": pct(search_ms, 0.95),
    }


def main() -> int:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=360)
    args = parser.parse_args()
    rows = [bench("bundled", read_bundled_files(), args.queries, repeat=30)]
    for n in args.sizes:
        rows.append(bench(f"synthetic {n}", synthetic_files(n), args.queries,
                          repeat=10 if n <= 1000 else 3))
    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{platform.system()}; {args.queries} queries per KB\n")
    print("| KB | cards | size (kB) | load+validate p50 / p95 (ms) | index build (ms) "
          "| search p50 / p95 (ms) |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['kb']} | {r['cards']} | {int(r['bytes']) / 1024:.0f} | "
              f"{r['load_p50']:.1f} / {r['load_p95']:.1f} | {r['index_p50']:.1f} | "
              f"{r['search_p50']:.3f} / {r['search_p95']:.3f} |")
    if len(rows) >= 3:
        a, b = rows[-2], rows[-1]
        size = int(b["cards"]) / int(a["cards"])
        print(f"\nGrowth {a['kb']} → {b['kb']} (×{size:.0f} cards): load ×"
              f"{float(b['load_p50']) / float(a['load_p50']):.1f}, search p95 ×"
              f"{float(b['search_p95']) / float(a['search_p95']):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
