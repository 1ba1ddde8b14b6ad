"""Benchmark: bytes and requests per sync, and first-sync time, over real HTTP on 127.0.0.1.

Publishes a synthetic 1,000-card KB (bench_kb.synthetic_files) with a throwaway key, serves
it from a local static server, and syncs a fresh data directory with the real client
(HttpxFetcher, ContentStore). Measured cases (issue #4):

(a) no change: exactly one manifest request;
(b) one card changed in a 1,000-card KB: the manifest plus that one document;
(c) full first sync of 1,000 cards: time and bytes.

Usage: .venv/bin/python bench/bench_sync.py [--cards 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kb import synthetic_files  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from mobile_app.knowledge.loader import MANIFEST  # noqa: E402
from mobile_app.sync.client import HttpxFetcher, SyncClient, SyncResult  # noqa: E402
from mobile_app.sync.content import ContentStore  # noqa: E402
from mobile_app.sync.envelope import TrustedKeys  # noqa: E402
from mobile_app.sync.publish import public_key_bytes, publish  # noqa: E402


class Server:
    """``python -m http.server`` (HTTP/1.0) on 127.0.0.1 in a child process, so
    the server does not compete with the client for the GIL."""

    def __init__(self, root: Path) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
             "--directory", str(root)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self.url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def write_src(root: Path, files: dict[str, bytes]) -> Path:
    for path, data in files.items():
        if path == MANIFEST:
            continue
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def sync_once(url: str, data_dir: Path, keys: TrustedKeys) -> tuple[SyncResult, float]:
    async def go() -> SyncResult:
        async with HttpxFetcher(trust_env=False) as fetcher:
            client = SyncClient(url, ContentStore(data_dir, keys), fetcher, keys=keys)
            return await client.sync()

    t0 = time.perf_counter()
    result = asyncio.run(go())
    return result, (time.perf_counter() - t0) * 1000


def change_one_card(files: dict[str, bytes], card_path: str) -> dict[str, bytes]:
    out = dict(files)
    card = json.loads(files[card_path])
    card["sections"][0]["doses"][0]["amount"] = "999"
    card["version"] += 1
    out[card_path] = json.dumps(card).encode()
    return out


def run(n_cards: int, runs: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    files = synthetic_files(n_cards)
    card_path = next(p for p in sorted(files) if p.startswith("cards/synthetic_"))
    changed = change_one_card(files, card_path)
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    samples: dict[str, list[tuple[SyncResult, float]]] = {"first": [], "none": [], "one": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = Path(tmp)
            site = tmpdir / "site"
            publish(write_src(tmpdir / "v2", files), key, site, version=2,
                    changelog={"*": "initial release"})
            server = Server(site)
            try:
                data = tmpdir / "data"
                samples["first"].append(sync_once(server.url, data, keys))
                samples["none"].append(sync_once(server.url, data, keys))
                publish(write_src(tmpdir / "v3", changed), key, site, version=3,
                        changelog={Path(card_path).stem: "dose changed"})
                samples["one"].append(sync_once(server.url, data, keys))
            finally:
                server.stop()
    labels = {
        "none": "(a) no change",
        "one": f"(b) one card changed of {n_cards}",
        "first": f"(c) first sync, {n_cards} cards",
    }
    manifest_bytes = None
    for name in ("none", "one", "first"):
        results = [r for r, _ in samples[name]]
        times = [t for _, t in samples[name]]
        expected = {"none": "up_to_date", "one": "installed", "first": "installed"}[name]
        assert all(r.state == expected for r in results), [r.message for r in results]
        r = results[-1]
        if name == "none":
            manifest_bytes = r.bytes_downloaded
        rows.append({
            "case": labels[name],
            "state": r.state,
            "requests": r.requests,
            "docs": r.requests - 1,
            "bytes": r.bytes_downloaded,
            "ms_p50": statistics.median(times),
            "ms_max": max(times),
        })
    rows.append({"manifest_bytes": manifest_bytes})
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = run(args.cards, args.runs)
    manifest = rows.pop()["manifest_bytes"]
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}; "
          f"HTTP on 127.0.0.1; {args.runs} run(s) per case; signed manifest {manifest} bytes\n")
    print("| case | result | requests | documents fetched | bytes downloaded "
          "| time p50 / max (ms) |")
    print("|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['case']} | {r['state']} | {r['requests']} | {r['docs']} | "
              f"{r['bytes']:,} | {r['ms_p50']:.0f} / {r['ms_max']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
