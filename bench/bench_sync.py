"""Benchmark: bytes and requests per sync, update files, peak memory, over real HTTP on
127.0.0.1.

Publishes the bundled KB plus N synthetic cards (bench_kb.synthetic_files) with a throwaway
key, serves it from a local static server (``python -m http.server``: ``Last-Modified``, and
``304`` for a matching ``If-Modified-Since``, like any static host) and syncs a fresh data
directory with the real client (HttpxFetcher, ContentStore). Measured (issues #4 and #11):

(a) no change, unconditional (no validators kept: what every check cost before conditional
    requests) and conditional (one ``304``);
(b) one card changed: the manifest, the root probe and that one document;
(c) first sync of every card;
(d) update files: pack size and import time (verify + atomic install) for the bundled KB
    (13 cards) and for N + 13 cards;
(e) peak Python heap (tracemalloc) of a sync: no change, first sync, and against a
    ``gzip, gzip`` bomb and a one-layer gzip bomb (256 MB decoded) on the manifest.

Runs are interleaved (every case once per run). Usage:
.venv/bin/python bench/bench_sync.py [--cards 1000] [--runs 3]
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
import tracemalloc
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_kb import synthetic_files  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402

from mobile_app.knowledge.loader import MANIFEST, read_bundled_files  # noqa: E402
from mobile_app.sync.client import SyncClient, SyncResult, Updater  # noqa: E402
from mobile_app.sync.content import ContentStore  # noqa: E402
from mobile_app.sync.http import HttpxFetcher  # noqa: E402
from mobile_app.sync.pack import PackSource  # noqa: E402
from mobile_app.sync.publish import public_key_bytes, publish, site_pack  # noqa: E402
from mobile_app.sync.root import TrustedRoot  # noqa: E402
from tests.sync.conftest import FaultServer, gzip_bomb, raw_encoded  # noqa: E402

T = TypeVar("T")


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


def sync_once(url: str, data_dir: Path, keys: TrustedRoot, *, conditional: bool = True
              ) -> tuple[SyncResult, float]:
    if not conditional:
        (data_dir / "content" / "validators.json").unlink(missing_ok=True)

    async def go() -> SyncResult:
        async with HttpxFetcher(trust_env=False) as fetcher:
            return await SyncClient(url, ContentStore(data_dir, keys), fetcher).sync()

    t0 = time.perf_counter()
    result = asyncio.run(go())
    return result, (time.perf_counter() - t0) * 1000


def sync_held(url: str, data_dir: Path, keys: TrustedRoot, held: Any
              ) -> tuple[SyncResult, float]:
    """A sync from a process that already holds verified content (the app's service)."""

    async def go() -> SyncResult:
        async with HttpxFetcher(trust_env=False) as fetcher:
            return await SyncClient(url, ContentStore(data_dir, keys), fetcher).sync(
                serving=held)

    t0 = time.perf_counter()
    result = asyncio.run(go())
    return result, (time.perf_counter() - t0) * 1000


def import_once(data: bytes, data_dir: Path, keys: TrustedRoot) -> tuple[SyncResult, float]:
    t0 = time.perf_counter()
    result = asyncio.run(Updater(ContentStore(data_dir, keys), PackSource(data)).run())
    return result, (time.perf_counter() - t0) * 1000


def peak(run: Callable[[], T]) -> tuple[T, int]:
    tracemalloc.start()
    try:
        out = run()
        return out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def change_one_card(files: dict[str, bytes], card_path: str) -> dict[str, bytes]:
    out = dict(files)
    card = json.loads(files[card_path])
    card["sections"][0]["doses"][0]["amount"] = "999"
    card["version"] += 1
    out[card_path] = json.dumps(card).encode()
    return out


def kb_files(n_cards: int) -> dict[str, bytes]:
    """The bundled KB plus ``n_cards`` synthetic cards (the bundled calculators hand off to
    bundled cards, so those stay)."""
    bundled = {k: v for k, v in read_bundled_files().items() if k != MANIFEST}
    return {**synthetic_files(n_cards), **bundled} if n_cards else bundled


def run(n_cards: int, runs: int) -> dict[str, Any]:
    files = kb_files(n_cards)
    small = kb_files(0)
    card_path = next(p for p in sorted(files) if p.startswith("cards/synthetic_"))
    changed = change_one_card(files, card_path)
    key = Ed25519PrivateKey.generate()
    keys = TrustedRoot.from_public_keys([public_key_bytes(key)])
    samples: dict[str, list[tuple[SyncResult, float]]] = {
        k: [] for k in ("first", "none_full", "none_304", "one", "pack_small", "pack_large")}
    packs: dict[str, int] = {}
    memory: dict[str, int] = {}
    bombs = {"gzip, gzip": gzip_bomb(256 * 1024 * 1024, 2),
             "gzip": gzip_bomb(256 * 1024 * 1024, 1)}
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            tmpdir = Path(tmp)
            site = tmpdir / "site"
            publish(write_src(tmpdir / "v2", files), key, site, version=2,
                    changelog={"*": "initial release"})
            small_site = tmpdir / "small"
            publish(write_src(tmpdir / "s2", small), key, small_site, version=2,
                    changelog={"*": "initial release"})
            server = Server(site)
            try:
                data = tmpdir / "data"
                samples["first"].append(sync_once(server.url, data, keys))
                samples["none_304"].append(sync_once(server.url, data, keys))
                samples["none_full"].append(sync_once(server.url, data, keys,
                                                      conditional=False))
                publish(write_src(tmpdir / "v3", changed), key, site, version=3,
                        changelog={Path(card_path).stem: "dose changed"})
                samples["one"].append(sync_once(server.url, data, keys))
            finally:
                server.stop()
            for name, where in (("pack_small", small_site), ("pack_large", site)):
                _, data_bytes = site_pack(where)
                packs[name] = len(data_bytes)
                samples[name].append(import_once(data_bytes, tmpdir / f"dev-{name}", keys))
    # Peak memory in a separate pass (tracemalloc slows everything it traces).
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        site = tmpdir / "site"
        publish(write_src(tmpdir / "v2", files), key, site, version=2,
                changelog={"*": "initial release"})
        server = Server(site)
        try:
            (r, _), memory["first sync (CLI: fresh process state)"] = peak(
                partial(sync_once, server.url, tmpdir / "data", keys))
            (r, _), memory["no change, 304 (CLI: loads and re-verifies the installed KB)"] = \
                peak(partial(sync_once, server.url, tmpdir / "data", keys))
            assert r.not_modified, r.message
            held = ContentStore(tmpdir / "data", keys).load()
            (r, _), memory["no change, 304 (app: content already held)"] = peak(
                partial(sync_held, server.url, tmpdir / "data", keys, held))
            assert r.not_modified, r.message
        finally:
            server.stop()
        bomb_site = tmpdir / "bomb"
        publish(write_src(tmpdir / "b2", small), key, bomb_site, version=2,
                changelog={"*": "initial release"})
        fault = FaultServer(bomb_site)
        try:
            for encoding, bomb in bombs.items():
                fault.faults["/manifest.json"] = raw_encoded(bomb, encoding)
                (r, _), memory[f"manifest bomb, Content-Encoding: {encoding}"] = peak(
                    partial(sync_once, fault.url, tmpdir / "bomb-data", keys))
                assert r.state == "rejected", r.message
        finally:
            fault.stop()
    expected = {"none_full": "up_to_date", "none_304": "up_to_date", "one": "installed",
                "first": "installed", "pack_small": "installed", "pack_large": "installed"}
    for name, rows in samples.items():
        assert all(r.state == expected[name] for r, _ in rows), [r.message for r, _ in rows]
    return {"samples": samples, "packs": packs, "memory": memory,
            "bomb_sizes": {k: len(v) for k, v in bombs.items()}}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.cards
    out = run(n, args.runs)
    samples = out["samples"]
    print(f"Python {platform.python_version()} on {platform.machine()}, {platform.system()}; "
          f"HTTP on 127.0.0.1; {args.runs} interleaved run(s) per case\n")
    print("| case | result | requests | documents fetched | body bytes downloaded "
          "| time p50 / max (ms) |")
    print("|---|---|---:|---:|---:|---:|")
    labels = {
        "none_full": "(a) no change, unconditional",
        "none_304": "(a) no change, conditional (304)",
        "one": f"(b) one card changed of {n} + 13",
        "first": f"(c) first sync, {n} + 13 cards",
    }
    for name, label in labels.items():
        r = samples[name][-1][0]
        times = [t for _, t in samples[name]]
        docs = r.requests - 1 - (0 if r.not_modified else 1)
        print(f"| {label} | {r.state}{' (304)' if r.not_modified else ''} | {r.requests} | "
              f"{docs} | {r.bytes_downloaded:,} | {statistics.median(times):.0f} / "
              f"{max(times):.0f} |")
    print("\n| update file | cards | pack size (bytes) | import p50 / max (ms) |")
    print("|---|---:|---:|---:|")
    n_small = sum(1 for p in kb_files(0) if p.startswith("cards/"))
    n_large = sum(1 for p in kb_files(n) if p.startswith("cards/"))
    for name, cards in (("pack_small", n_small), ("pack_large", n_large)):
        times = [t for _, t in samples[name]]
        print(f"| {name.replace('_', ' ')} | {cards} | {out['packs'][name]:,} | "
              f"{statistics.median(times):.0f} / {max(times):.0f} |")
    print("\n| sync | peak Python heap (tracemalloc) |")
    print("|---|---:|")
    for name, value in out["memory"].items():
        print(f"| {name} | {value / 1e6:.1f} MB |")
    sizes = ", ".join(f"{k}: {v:,} bytes" for k, v in out["bomb_sizes"].items())
    print(f"\nbomb sizes on the wire ({sizes}), each 256 MB decoded")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
