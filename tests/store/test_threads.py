"""Flet runs sync handlers in a thread pool: concurrent toggles and pushes must not be lost."""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from mobile_app.store import FavouritesRepo, RecentsRepo, Store

THREADS = 8
ROUNDS = 50  # 8 threads × ~125 writes: enough to interleave, without thousands of fsyncs
OWN_TOGGLES = 25  # odd: each thread's own key ends up a favourite
SHARED = "card:shared"


def test_concurrent_toggles_and_pushes_stay_consistent(db_path: Path) -> None:
    store = Store.open(db_path)
    fav = FavouritesRepo(store)
    rec = RecentsRepo(store, limit=8)
    shared_results: list[bool] = []
    results_lock = threading.Lock()
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(t: int) -> None:
        try:
            start.wait()
            mine: list[bool] = []
            for i in range(ROUNDS):
                mine.append(fav.toggle(SHARED))
                if i < OWN_TOGGLES:
                    fav.toggle(f"card:own_{t}")
                rec.push(f"calc:t{t}_{i:03d}")
            with results_lock:
                shared_results.extend(mine)
        except BaseException as exc:  # surfaced below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []

    # 1600 atomic toggles alternate off->on->off..., so exactly half returned True and the
    # key ends where it started. A lost update breaks the alternation.
    assert len(shared_results) == THREADS * ROUNDS
    assert sum(shared_results) == THREADS * ROUNDS // 2
    favourites = fav.list()
    assert SHARED not in favourites
    assert sorted(favourites) == sorted(f"card:own_{t}" for t in range(THREADS))

    recents = rec.list()
    assert len(recents) == 8
    assert len(set(recents)) == 8
    # Within one thread, its later pushes must be ahead of its earlier ones.
    seen: dict[int, int] = {}
    for key in recents:
        m = re.fullmatch(r"calc:t(\d)_(\d{3})", key)
        assert m is not None
        t, i = int(m[1]), int(m[2])
        if t in seen:
            assert i < seen[t]
        seen[t] = i
    # The newest push overall is from some thread's last round.
    assert recents[0].endswith(f"_{ROUNDS - 1:03d}")

    store.close()
    data = json.loads(db_path.read_bytes())
    assert data["favourites"]["1"]["keys"] == favourites
    assert data["recents"]["1"]["keys"] == recents
    assert [p.name for p in db_path.parent.iterdir()] == ["store.json"]
    with Store.open(db_path) as again:
        assert FavouritesRepo(again).list() == favourites
        assert RecentsRepo(again).list() == recents
