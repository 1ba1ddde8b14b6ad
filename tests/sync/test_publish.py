"""Publisher: key generation, validation, versions, changelog, content-addressed output."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.content import sha256_hex
from mobile_app.sync.envelope import Envelope, TrustedKeys, keyid_for
from mobile_app.sync.errors import PublishError
from mobile_app.sync.manifest import SignedManifest
from mobile_app.sync.publish import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    generate_keypair,
    load_private_key,
    public_key_bytes,
    read_published_manifest,
)
from tests.sync.conftest import DEXA, HYPO, Env, base_files, edit_card, set_dose, v3_files


def test_keygen_writes_a_private_pem_0600_and_the_public_entry(tmp_path: Path) -> None:
    files = generate_keypair(tmp_path / "k")
    assert files.private_key.name == PRIVATE_KEY_FILE and files.public_key.name == PUBLIC_KEY_FILE
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    assert files.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    entry = json.loads(files.public_key.read_text())
    key = load_private_key(files.private_key)
    assert entry == {"keyid": files.keyid, "public_key_hex": public_key_bytes(key).hex()}
    assert files.keyid == keyid_for(public_key_bytes(key))
    assert TrustedKeys.from_json({"keys": [entry]}).keys[0].keyid == files.keyid
    with pytest.raises(PublishError, match="already exists"):
        generate_keypair(tmp_path / "k")


def test_load_private_key_refuses_non_keys(tmp_path: Path) -> None:
    (tmp_path / "x.pem").write_text("hello")
    with pytest.raises(PublishError):
        load_private_key(tmp_path / "x.pem")
    with pytest.raises(PublishError):
        load_private_key(tmp_path / "missing.pem")


def test_publish_writes_content_addressed_docs_and_a_signed_manifest(env: Env) -> None:
    report = env.publish(version=2)
    files = base_files()
    assert report.version == 2 and report.documents == len(files)
    for data in files.values():
        assert (env.out / "docs" / f"{sha256_hex(data)}.json").read_bytes() == data
    envelope = (env.out / MANIFEST).read_bytes()
    assert (env.out / "manifests" / "2.json").read_bytes() == envelope
    parsed = Envelope.parse(envelope)
    env.keys.check_manifest(parsed, "the manifest")
    manifest = SignedManifest.model_validate_json(parsed.body)
    assert manifest.version == 2
    assert manifest.files[HYPO].sha256 == sha256_hex(files[HYPO])
    assert manifest.expires - manifest.issued == timedelta(days=30)
    assert set(manifest.changes) == {Path(p).stem for p in files}
    assert set(manifest.changes.values()) == {"initial release"}
    headers = (env.out / "_headers").read_text()
    assert "/docs/*\n  Cache-Control: public, max-age=31536000, immutable" in headers
    assert "/manifest.json\n  Cache-Control: no-cache" in headers
    assert "Access-Control-Allow-Origin" in headers
    assert "CORS" in (env.out / "README.txt").read_text()
    assert stat.S_IMODE((env.out / MANIFEST).stat().st_mode) == 0o644
    assert not list(env.out.rglob("*.part"))


def test_default_version_is_previous_plus_one_and_must_increase(env: Env) -> None:
    assert env.publish().version == 1
    assert env.publish(v3_files(), notes={"hypocalcemia": "x"}).version == 2
    with pytest.raises(PublishError, match="not above the published version 2"):
        env.publish(v3_files(), version=2, notes={"hypocalcemia": "x"})
    assert read_published_manifest(env.out).version == 2  # type: ignore[union-attr]


def test_every_changed_card_needs_a_changelog_entry(env: Env) -> None:
    env.publish(version=2)
    two = set_dose(v3_files(), DEXA, "Dexamethasone", "12")
    before = (env.out / MANIFEST).read_bytes()
    with pytest.raises(PublishError) as info:
        env.publish(two, version=3, notes={"hypocalcemia": "x"})
    assert any("dexamethasone" in p for p in info.value.problems)
    with pytest.raises(PublishError) as info:
        env.publish(two, version=3, notes={"hypocalcemia": "x", "dexamethasone": "y",
                                           "radiotherapy": "unchanged!"})
    assert any("radiotherapy" in p and "did not change" in p for p in info.value.problems)
    with pytest.raises(PublishError, match="changelog"):
        env.publish(two, version=3, notes={"*": "lazy"})
    with pytest.raises(PublishError):
        env.publish(two, version=3, notes={"hypocalcemia": " ", "dexamethasone": "y"})
    assert (env.out / MANIFEST).read_bytes() == before  # nothing written on refusal
    report = env.publish(two, version=3, notes={"hypocalcemia": "x", "dexamethasone": "y"})
    assert report.changes == {"dexamethasone": "y", "hypocalcemia": "x"}
    assert report.written == [DEXA, HYPO]


def test_first_publication_needs_a_note(env: Env) -> None:
    with pytest.raises(PublishError, match="changelog"):
        env.publish(version=2, notes={})


def test_invalid_content_is_refused_with_every_problem(env: Env) -> None:
    def uncited(card: dict[str, object]) -> None:
        card["sections"][0]["steps"].append({"text": "Give 5 mg now."})  # type: ignore[index]

    files = edit_card(base_files(), HYPO, uncited)
    with pytest.raises(PublishError) as info:
        env.publish(files, version=2)
    assert any("hypocalcemia" in p for p in info.value.problems)
    assert not (env.out / MANIFEST).exists()
    assert not (env.out / "docs").exists()


def test_src_manifest_is_ignored_so_a_stale_one_does_not_matter(env: Env) -> None:
    files = base_files() | {MANIFEST: b'{"kind": "manifest", "version": 1, "issued": '
                                      b'"2020-01-01", "min_app_version": "0.1.0", "files": {}}'}
    assert env.publish(files, version=2).documents == len(base_files())


def test_old_documents_are_never_deleted_and_existing_ones_not_rewritten(env: Env) -> None:
    env.publish(version=2)
    old_doc = env.out / "docs" / f"{sha256_hex(base_files()[HYPO])}.json"
    other = env.out / "docs" / f"{sha256_hex(base_files()[DEXA])}.json"
    mtime = other.stat().st_mtime_ns
    env.publish(v3_files(), version=3, notes={"hypocalcemia": "x"})
    assert old_doc.exists()  # still referenced by manifests/2.json until it expires
    assert other.stat().st_mtime_ns == mtime


def test_expiry_days_and_min_app_version_are_signed(env: Env) -> None:
    fixed = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    env.publish(version=2, expires_days=7, min_app_version="0.2", now=lambda: fixed)
    manifest = read_published_manifest(env.out)
    assert manifest is not None
    assert (manifest.issued, manifest.expires) == (fixed, fixed + timedelta(days=7))
    assert manifest.min_app_version == "0.2"
    with pytest.raises(PublishError, match="expires"):
        env.publish(v3_files(), notes={"hypocalcemia": "x"}, expires_days=0)


def test_unreadable_previous_manifest_is_refused(env: Env) -> None:
    (env.out / MANIFEST).write_text("garbage")
    with pytest.raises(PublishError, match="not a signed manifest"):
        env.publish(version=2)


def test_manifest_larger_than_the_client_cap_is_refused(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mobile_app.sync.publish.MANIFEST_MAX_BYTES", 1000)
    with pytest.raises(PublishError, match="clients download at most 1000"):
        env.publish(version=2)
    assert not (env.out / MANIFEST).exists()
