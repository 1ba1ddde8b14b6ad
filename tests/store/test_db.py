from __future__ import annotations

import errno
import json
import os
import uuid
from pathlib import Path

import pytest

from mobile_app.store import (
    AtomicJSONStorage,
    CorruptStoreError,
    FavouritesRepo,
    Store,
    new_client_id,
)

GARBAGE = b"\x00\xffnot json at all {{{"


def _dir_listing(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def _no_full_fsync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the Darwin F_FULLFSYNC path fall back to os.fsync, so os.fsync is the seam."""
    try:
        import fcntl
    except ImportError:
        return
    monkeypatch.delattr(fcntl, "F_FULLFSYNC", raising=False)


# --- AtomicJSONStorage --------------------------------------------------------------------


def test_read_missing_file_is_none_and_creates_nothing(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    storage = AtomicJSONStorage(db_path)
    assert storage.read() is None
    assert not db_path.exists()


def test_write_then_read_round_trip(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    storage = AtomicJSONStorage(str(db_path))
    data = {"t": {"1": {"text": "Hypokalzämie ≥ 2", "n": 1.5}}}
    storage.write(data)
    assert storage.read() == data
    raw = db_path.read_bytes()
    assert "Hypokalzämie ≥ 2".encode() in raw  # ensure_ascii=False
    assert json.loads(raw) == data
    assert _dir_listing(db_path) == ["store.json"]  # no temp file left behind


def test_write_output_is_sorted(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    AtomicJSONStorage(db_path).write({"b": {}, "a": {"1": {"z": 1, "y": 2}}})
    assert db_path.read_text(encoding="utf-8") == '{"a": {"1": {"y": 2, "z": 1}}, "b": {}}'


@pytest.mark.parametrize(
    "content",
    [
        b"",
        GARBAGE,
        b'{"t": {"1": {"a": 1}}}{"tail": 1}',  # a torn in-place rewrite ("Extra data")
        b'{"t": {"1": {"a": 1}',  # truncated
        b"[1, 2, 3]",
        b'{"t": []}',
        b'{"t": {"one": {}}}',
        b'{"t": {"1": 5}}',
        '{"t": {"\u00b2": {}}}'.encode(),  # a Unicode digit that int() refuses
        b"\xff\xfe{}",
    ],
)
def test_read_corrupt_file_raises(db_path: Path, content: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(content)
    with pytest.raises(CorruptStoreError) as info:
        AtomicJSONStorage(db_path).read()
    assert info.value.path == db_path
    assert db_path.read_bytes() == content  # reading never touches the evidence


def test_documents_come_back_in_id_order_despite_sort_keys(db_path: Path) -> None:
    with Store.open(db_path) as s:
        ids = s.table("t").insert_multiple({"n": n} for n in range(25))
        assert ids == list(range(1, 26))
    raw_order = list(json.loads(db_path.read_bytes())["t"])
    assert raw_order[:3] == ["1", "10", "11"]  # what sort_keys puts on disk
    with Store.open(db_path) as s:
        assert [doc["n"] for doc in s.table("t").all()] == list(range(25))
        assert [doc.doc_id for doc in s.table("t").all()] == list(range(1, 26))


def test_unserialisable_data_fails_before_touching_the_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    storage = AtomicJSONStorage(db_path)
    storage.write({"t": {"1": {"a": 1}}})
    before = db_path.read_bytes()
    with pytest.raises(TypeError):
        storage.write({"t": {"1": {"a": object()}}})
    assert db_path.read_bytes() == before
    assert _dir_listing(db_path) == ["store.json"]


# --- disk full ----------------------------------------------------------------------------


def test_disk_full_keeps_old_file_and_leaves_no_temp(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db_path) as s:
        fav = FavouritesRepo(s)
        fav.add("calc:sins")
        fav.add("card:hypocalcemia")
        before = db_path.read_bytes()
        listing = _dir_listing(db_path)

        calls: list[int] = []

        def no_space(fd: int) -> None:
            calls.append(fd)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        _no_full_fsync(monkeypatch)
        monkeypatch.setattr(os, "fsync", no_space)
        with pytest.raises(OSError) as info:
            fav.add("calc:mirels")
        assert info.value.errno == errno.ENOSPC
        assert calls, "the write never reached fsync"

        monkeypatch.undo()
        assert db_path.read_bytes() == before
        assert _dir_listing(db_path) == listing == ["store.json"]
        assert fav.list() == ["calc:sins", "card:hypocalcemia"]

        # Once space is back the store carries on.
        fav.add("calc:mirels")
        assert fav.list() == ["calc:sins", "card:hypocalcemia", "calc:mirels"]
    with Store.open(db_path) as s:
        assert FavouritesRepo(s).list() == ["calc:sins", "card:hypocalcemia", "calc:mirels"]


def test_failed_replace_keeps_old_file_and_leaves_no_temp(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store.open(db_path) as s:
        fav = FavouritesRepo(s)
        fav.add("calc:sins")
        before = db_path.read_bytes()

        def refuse(src: object, dst: object) -> None:
            raise PermissionError(errno.EACCES, "replace refused")

        monkeypatch.setattr(os, "replace", refuse)
        with pytest.raises(PermissionError):
            fav.add("calc:mirels")
        monkeypatch.undo()
        assert db_path.read_bytes() == before
        assert _dir_listing(db_path) == ["store.json"]


# --- corrupt at rest ----------------------------------------------------------------------


def test_open_recovers_from_corrupt_file_and_keeps_it(
    db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(GARBAGE)

    with Store.open(db_path) as s:
        assert s.recovered_from is not None
        assert s.recovered_from.parent == db_path.parent
        assert s.recovered_from.name.startswith("store.json.corrupt-")
        assert s.recovered_from.name.endswith("Z")
        assert s.recovered_from.read_bytes() == GARBAGE
        fav = FavouritesRepo(s)
        assert fav.list() == []
        fav.add("calc:sins")
        assert fav.list() == ["calc:sins"]
    assert "corrupt" in caplog.text

    assert json.loads(db_path.read_bytes()) == {"favourites": {"1": {"keys": ["calc:sins"]}}}
    with Store.open(db_path) as s:
        assert s.recovered_from is None
        assert FavouritesRepo(s).list() == ["calc:sins"]


def test_zero_length_file_is_treated_as_corrupt(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"")
    with Store.open(db_path) as s:
        assert s.recovered_from is not None
        assert s.recovered_from.exists()
        assert s.recovered_from.read_bytes() == b""


def test_repeated_recoveries_never_overwrite_a_kept_copy(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    kept = []
    for i in range(3):
        db_path.write_bytes(GARBAGE + bytes([i]))
        with Store.open(db_path) as s:
            assert s.recovered_from is not None
            kept.append(s.recovered_from)
    assert len(set(kept)) == 3
    assert [p.read_bytes() for p in kept] == [GARBAGE + bytes([i]) for i in range(3)]


def test_corruption_while_open_raises_and_is_not_overwritten(db_path: Path) -> None:
    with Store.open(db_path) as s:
        fav = FavouritesRepo(s)
        fav.add("calc:sins")
        db_path.write_bytes(GARBAGE)
        with pytest.raises(CorruptStoreError):
            fav.list()
        with pytest.raises(CorruptStoreError):
            fav.add("calc:mirels")
    assert db_path.read_bytes() == GARBAGE


def test_open_removes_only_its_own_stale_temp_files(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    own = db_path.parent / ".store.json.tmp-abc123.part"
    other = db_path.parent / ".other.json.tmp-abc123.part"
    own.write_bytes(b'{"half": ')
    other.write_bytes(b'{"half": ')
    with Store.open(db_path):
        pass
    assert not own.exists()
    assert other.exists()


# --- Store --------------------------------------------------------------------------------


def test_open_creates_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "c" / "store.json"
    with Store.open(path) as s:
        assert s.path == path
        assert path.parent.is_dir()
        FavouritesRepo(s).add("calc:sins")
    assert path.is_file()


def test_memory_store_has_no_path_and_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.memory() as s:
        assert s.path is None
        assert s.recovered_from is None
        FavouritesRepo(s).add("calc:sins")
        assert FavouritesRepo(s).list() == ["calc:sins"]
    assert list(tmp_path.iterdir()) == []


def test_memory_stores_are_independent() -> None:
    a, b = Store.memory(), Store.memory()
    FavouritesRepo(a).add("calc:sins")
    assert FavouritesRepo(b).list() == []


def test_closed_store_refuses_use() -> None:
    s = Store.memory()
    with s:
        pass
    assert s.closed
    with pytest.raises(RuntimeError, match="closed"):
        s.table("favourites")
    with pytest.raises(RuntimeError, match="closed"):
        FavouritesRepo(s).list()
    s.close()  # idempotent


def test_store_table_and_lock(db_path: Path) -> None:
    with Store.open(db_path) as s:
        with s.lock, s.lock:  # re-entrant
            s.table("x").insert({"a": 1})
        assert s.table("x").all() == [{"a": 1}]
        assert s.db.tables() == {"x"}


# --- for_client ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    [
        "../x",
        "ABC",
        "",
        "../" + "a" * 29,
        "A" * 32,
        str(uuid.uuid4()),  # dashed form
        uuid.uuid4().hex + "\n",
        uuid.uuid4().hex[:31],
        uuid.uuid4().hex + "0",
        "/" + uuid.uuid4().hex[1:],
    ],
)
def test_for_client_rejects_bad_ids(tmp_path: Path, client_id: str) -> None:
    with pytest.raises(ValueError, match="Client id"):
        Store.for_client(tmp_path, client_id)
    assert list(tmp_path.iterdir()) == []


def test_new_client_id_shape() -> None:
    ids = {new_client_id() for _ in range(50)}
    assert len(ids) == 50
    for cid in ids:
        assert len(cid) == 32
        assert set(cid) <= set("0123456789abcdef")
        assert uuid.UUID(hex=cid).version == 4


def test_for_client_separate_files_and_favourites(tmp_path: Path) -> None:
    a, b = new_client_id(), uuid.uuid4().hex
    with Store.for_client(tmp_path, a) as sa, Store.for_client(str(tmp_path), b) as sb:
        assert sa.path == tmp_path / "clients" / f"{a}.json"
        assert sb.path == tmp_path / "clients" / f"{b}.json"
        FavouritesRepo(sa).add("calc:sins")
        FavouritesRepo(sb).add("card:hypocalcemia")
        FavouritesRepo(sb).add("calc:mirels")
        assert FavouritesRepo(sa).list() == ["calc:sins"]
        assert FavouritesRepo(sb).list() == ["card:hypocalcemia", "calc:mirels"]
    assert sorted(p.name for p in (tmp_path / "clients").iterdir()) == sorted(
        [f"{a}.json", f"{b}.json"]
    )
    with Store.for_client(tmp_path, a) as sa:
        assert FavouritesRepo(sa).list() == ["calc:sins"]
