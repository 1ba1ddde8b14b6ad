"""The bundled knowledge base: schema, ids, citations, manifest, evidence labels."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from mobile_app.domain.calculators import REGISTRY
from mobile_app.knowledge.loader import (
    MANIFEST,
    KBValidationError,
    KnowledgeBase,
    build_manifest,
    load_files,
    read_bundled_files,
)

REQUIRED_CARDS = {
    "hypocalcemia", "hypocalcemia_prevention", "vitamin_d_calcium", "bone_targeted_agents",
    "hypercalcemia", "spinal_cord_compression", "dexamethasone", "radiotherapy",
    "radioisotopes", "surgical_indications", "pain_ladder", "monitoring",
}


def _resign(files: dict[str, bytes]) -> dict[str, bytes]:
    """Rebuild the manifest so only the content check under test can fail."""
    old = json.loads(files[MANIFEST])
    man = build_manifest(files, version=old["version"], issued=old["issued"])
    return {**files, MANIFEST: man.model_dump_json().encode()}


def test_bundled_kb_loads_with_every_card_and_calculator(kb: KnowledgeBase) -> None:
    assert REQUIRED_CARDS <= set(kb.cards)
    assert set(kb.calculators) == set(REGISTRY)
    assert kb.version >= 1


def test_every_card_has_sources_version_and_review_date(kb: KnowledgeBase) -> None:
    for card in kb.cards.values():
        assert card.sources, card.id
        assert all(r in kb.references for r in card.sources)
        assert card.version >= 1 and card.last_reviewed.year >= 2025
        for calc in card.calculators:
            assert calc in kb.calculators


def test_ids_unique_across_cards_and_calculators(kb: KnowledgeBase) -> None:
    assert not set(kb.cards) & set(kb.calculators)


def test_manifest_hashes_match_and_cover_every_file() -> None:
    files = read_bundled_files()
    manifest = json.loads(files[MANIFEST])
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    rebuilt = build_manifest(files, manifest["version"], manifest["issued"])
    assert rebuilt.model_dump(mode="json")["files"] == manifest["files"]


def test_one_flipped_byte_is_detected() -> None:
    files = dict(read_bundled_files())
    name = "cards/hypocalcemia.json"
    data = bytearray(files[name])
    data[len(data) // 2] ^= 0x01
    files[name] = bytes(data)
    with pytest.raises(KBValidationError) as exc:
        load_files(files)
    assert any(name in p and "sha256" in p for p in exc.value.problems)


def test_uncited_figure_is_rejected() -> None:
    files = dict(read_bundled_files())
    card = json.loads(files["cards/dexamethasone.json"])
    card["sections"][0]["steps"].append({"text": "Give 40 mg now."})
    files["cards/dexamethasone.json"] = json.dumps(card).encode()
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    assert any("no source" in p and "40 mg" in p for p in exc.value.problems)


def test_uncited_calculator_parameter_is_rejected() -> None:
    files = dict(read_bundled_files())
    doc = json.loads(files["calculators/bed_eqd2.json"])
    doc["parameters"]["regimens"][0]["refs"] = []
    files["calculators/bed_eqd2.json"] = json.dumps(doc).encode()
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    assert any("regimens" in p for p in exc.value.problems)


def test_unknown_reference_and_calculator_links_are_rejected() -> None:
    files = dict(read_bundled_files())
    card = json.loads(files["cards/radiotherapy.json"])
    card["refs"] = ["no_such_ref"]
    card["calculators"] = ["no_such_calc"]
    files["cards/radiotherapy.json"] = json.dumps(card).encode()
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    text = " ".join(exc.value.problems)
    assert "unknown reference 'no_such_ref'" in text
    assert "unknown calculator 'no_such_calc'" in text


def test_missing_calculator_document_is_rejected() -> None:
    files = {k: v for k, v in read_bundled_files().items() if k != "calculators/sins.json"}
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    assert any("'sins' has no knowledge-base document" in p for p in exc.value.problems)


def test_score_bands_with_a_gap_are_rejected() -> None:
    files = dict(read_bundled_files())
    doc = json.loads(files["calculators/sins.json"])
    doc["bands"][1]["min"] = 8
    files["calculators/sins.json"] = json.dumps(doc).encode()
    with pytest.raises(KBValidationError) as exc:
        load_files(_resign(files))
    assert any("gap or overlap at 7" in p for p in exc.value.problems)


def test_unverified_figures_carry_the_label(kb: KnowledgeBase) -> None:
    # The weight-based maintenance infusion (10–15 mg/kg) is [U] in the clinical reference.
    assert kb.calculators["calcium_dosing"].evidence == "unverified"
    hypo = kb.cards["hypocalcemia"]
    assert hypo.evidence == "unverified"
    # On the card it is only an unverified warning, never a dose a rate could be set from.
    doses = [d for s in hypo.sections for d in s.doses]
    assert not any("10–15" in d.amount and "kg" in d.unit for d in doses)
    warnings = [w for s in hypo.sections for w in s.warnings if "10–15 mg/kg" in w.text]
    assert len(warnings) == 1 and warnings[0].evidence == "unverified"



_UNGROUPED = re.compile(
    r"(?<![\d,.])\d{4,}(?:\.\d+)?\s*(?:mg|IU|mL|mcg|µg|units?|mmol|kBq|MBq|g\b)")


def _kb_texts(obj: object) -> Iterator[str]:
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key == "amount" and isinstance(value, str):
                yield f"{value} {obj.get('unit', '')}"  # a dose: amount and unit together
            elif key not in ("refs", "id", "citation", "url", "doi", "pmid"):
                yield from _kb_texts(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _kb_texts(value)
    elif isinstance(obj, str):
        yield obj


def test_doses_of_a_thousand_or_more_group_their_thousands() -> None:
    """One way of writing numbers everywhere: "2,000 mg", "50,000 IU" (as the formatter)."""
    bad = []
    for name, data in read_bundled_files().items():
        if name in ("manifest.json", "references.json"):
            continue
        for text in _kb_texts(json.loads(data)):
            bad += [f"{name}: {m.group(0)!r} in {text[:60]!r}" for m in _UNGROUPED.finditer(text)]
    assert not bad, "\n".join(bad)
