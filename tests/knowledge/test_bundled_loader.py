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


def test_bundled_calculators_bind_in_full_and_match_an_eager_load() -> None:
    """The bundled KB binds calculators on first use; bound, they equal a full load's."""
    from mobile_app.knowledge.loader import load_files

    kb = load_bundled()
    kb.check_calculators()
    eager = load_files(read_bundled_files())
    assert set(kb.calculators) == set(eager.calculators)
    for calc_id, entry in kb.calculators.items():
        full = eager.calculators[calc_id]
        assert entry == full, calc_id
        assert entry.spec is full.spec and entry.params == full.params, calc_id
        assert entry.point_score == full.point_score, calc_id


def _bad_parameters() -> dict[str, bytes]:
    import json

    from mobile_app.knowledge.loader import build_manifest

    files = read_bundled_files()
    doc = json.loads(files["calculators/bed_eqd2.json"])
    doc["parameters"] = {"nonsense": "x"}
    files["calculators/bed_eqd2.json"] = json.dumps(doc).encode()
    old = json.loads(files[MANIFEST])
    files[MANIFEST] = build_manifest(files, old["version"], old["issued"]).model_dump_json(
    ).encode()
    return files


def test_a_deferred_calculator_reports_its_problems_on_first_use() -> None:
    import pytest

    from mobile_app.knowledge.loader import KBValidationError, load_files

    with pytest.raises(KBValidationError) as eager:
        load_files(_bad_parameters())
    kb = load_files(_bad_parameters(), defer_calculators=True)
    assert kb.calculators["bed_eqd2"].title  # listed without its code
    with pytest.raises(KBValidationError) as first_use:
        kb.calculators["bed_eqd2"].run({})
    assert first_use.value.problems == eager.value.problems
    assert any("bed_eqd2.json: parameters." in p for p in first_use.value.problems)
    with pytest.raises(KBValidationError) as checked:
        kb.check_calculators()
    assert checked.value.problems == eager.value.problems
    assert kb.calculators["sins"].spec.id == "sins"  # the others still bind
