"""The bundled knowledge base has one entry point, loaded once per process (issue 10)."""

from __future__ import annotations

from mobile_app.knowledge.loader import MANIFEST, load_bundled, read_bundled_files
from mobile_app.sync.content import bundled_content
from tests.conftest import bundled_kb


def test_app_sync_and_tests_share_one_loaded_knowledge_base() -> None:
    kb = load_bundled()
    assert bundled_content().kb is kb
    assert bundled_kb() is kb
    assert load_bundled() is kb


def test_bundled_documents_are_read_once_and_handed_out_as_copies() -> None:
    files = read_bundled_files()
    files.pop(MANIFEST)
    assert MANIFEST in read_bundled_files()  # a caller's change never leaks to the next
    docs = bundled_content().documents
    assert MANIFEST not in docs and set(docs) == set(files)
