from __future__ import annotations

from typing import Any

import pytest

from mobile_app.domain.models import Result
from mobile_app.knowledge.loader import KnowledgeBase, load_bundled


def bundled_kb() -> KnowledgeBase:
    return load_bundled()  # the app's own cached loader


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return bundled_kb()


def run(calc_id: str, **inputs: Any) -> Any:
    """Run a calculator of the bundled KB (returns the typed result)."""
    result: Result = bundled_kb().calculators[calc_id].run(inputs)
    return result


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser end-to-end tests last.

    Their session-wide Playwright (sync API) keeps an asyncio loop on the main thread until the
    session ends, so any ``asyncio.run`` after them would fail; ordering them last keeps every
    other test independent of that (the stable sort keeps each group's own order).
    """
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path).replace("\\", "/"))
