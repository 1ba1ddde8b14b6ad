from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mobile_app.store import Store


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """The same repository tests run on MemoryStorage and on AtomicJSONStorage."""
    if request.param == "memory":
        s = Store.memory()
    else:
        s = Store.open(tmp_path / "user" / "store.json")
    with s:
        yield s


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store.json"
