"""Crash injection in a child interpreter (sync-design §3.2, cases S1-S4).

The child fills a table with 200 cards, snapshots the file, then shrinks the table while
``os.fsync`` or ``os.replace`` is patched to ``os._exit(42)``: the process dies mid-write with
no cleanup, as when the OS kills the app. The parent then inspects what is left on disk.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tinydb import TinyDB

from mobile_app.store import AtomicJSONStorage, CorruptStoreError, Store

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CRASH_EXIT = 42

CHILD = textwrap.dedent(
    """
    import os
    import shutil
    import sys

    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    from mobile_app.store import AtomicJSONStorage

    path, snapshot, storage_name, seam = sys.argv[1:5]
    storage = JSONStorage if storage_name == "stock" else AtomicJSONStorage

    db = TinyDB(path, storage=storage)
    db.table("cards").insert_multiple(
        {"key": f"card:c{i:03d}", "text": "x" * 100} for i in range(200)
    )
    db.close()
    shutil.copyfile(path, snapshot)

    try:
        import fcntl
    except ImportError:
        pass
    else:
        if hasattr(fcntl, "F_FULLFSYNC"):  # Darwin: make os.fsync the only fsync seam
            del fcntl.F_FULLFSYNC

    def crash(*args, **kwargs):
        os._exit(42)

    setattr(os, seam, crash)
    db = TinyDB(path, storage=storage)
    db.table("cards").remove(doc_ids=list(range(11, 201)))  # shrink to 10 cards
    sys.exit(0)  # only reached if the write finished without hitting the seam
    """
)


def _run_child(tmp_path: Path, storage: str, seam: str) -> tuple[Path, bytes]:
    script = tmp_path / "child.py"
    script.write_text(CHILD, encoding="utf-8")
    db_dir = tmp_path / "db"
    db_dir.mkdir()
    db_path = db_dir / "store.json"
    snapshot = tmp_path / "before.json"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(script), str(db_path), str(snapshot), storage, seam],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == CRASH_EXIT, (
        f"child did not crash at {seam} (rc={proc.returncode})\n{proc.stderr}"
    )
    before = snapshot.read_bytes()
    assert len(json.loads(before)["cards"]) == 200
    return db_path, before


def test_stock_jsonstorage_is_torn_by_a_crash_before_truncate(tmp_path: Path) -> None:
    """S1: the problem the design doc describes, reproduced with TinyDB's own storage."""
    db_path, before = _run_child(tmp_path, "stock", "fsync")
    after = db_path.read_bytes()

    # The file did not shrink: the truncate never ran.
    assert len(after) == len(before)
    with pytest.raises(json.JSONDecodeError, match="Extra data"):
        json.loads(after)

    # What is there: the new, shorter JSON, followed by the tail of the old file.
    new_data, end = json.JSONDecoder().raw_decode(after.decode("utf-8"))
    assert sorted(int(i) for i in new_data["cards"]) == list(range(1, 11))
    assert 0 < end < len(after)
    assert after[end:] == before[end:]

    # TinyDB itself can no longer open it; our storage reports it instead of treating it as empty.
    with TinyDB(db_path) as stock, pytest.raises(json.JSONDecodeError):
        stock.table("cards").all()
    with pytest.raises(CorruptStoreError):
        AtomicJSONStorage(db_path).read()


@pytest.mark.parametrize("seam", ["fsync", "replace"])
def test_atomic_storage_keeps_the_old_file_on_crash(tmp_path: Path, seam: str) -> None:
    """S2/S3: a crash at fsync or at os.replace leaves the old file, byte for byte."""
    db_path, before = _run_child(tmp_path, "atomic", seam)

    assert db_path.read_bytes() == before
    assert len(json.loads(db_path.read_bytes())["cards"]) == 200
    # The interrupted write left its temp file next to the target (nobody cleaned up).
    stale = [p for p in db_path.parent.iterdir() if p != db_path]
    assert len(stale) == 1
    assert stale[0].name.startswith(".store.json.tmp-")
    assert stale[0].name.endswith(".part")

    with Store.open(db_path) as s:
        assert s.recovered_from is None
        cards = s.table("cards").all()
        assert len(cards) == 200
        assert cards[0] == {"key": "card:c000", "text": "x" * 100}
        assert cards[-1]["key"] == "card:c199"
    assert [p.name for p in db_path.parent.iterdir()] == ["store.json"]
