"""Root rotation and revocation (TUF specification §5.3) against the real 127.0.0.1 server.

The rotation table follows theupdateframework/tuf-conformance
(``tuf_conformance/test_updater_key_rotations.py``, ``root_rotation_cases``): each step is a
root version with its root keys, threshold and the keys that sign it. Root version 1 is the
trust anchor (trusted as shipped); the host serves ``root/2.json`` onwards. When the last step
must fail, the client keeps the root before it (each verified root is kept as soon as it
verifies, §5.3.7) and installs nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.errors import FreezeError, RollbackError, RootError, SignatureError
from mobile_app.sync.publish import public_key_bytes, publish, sign_envelope
from mobile_app.sync.root import (
    PUBLISHER,
    REVIEWER,
    ROOT,
    ROOT_PAYLOAD_TYPE,
    KeyEntry,
    RoleEntry,
    RootBody,
    TrustedRoot,
    verify_next_root,
)
from tests.sync.conftest import (
    HYPO,
    Env,
    base_files,
    installed,
    set_dose,
    v3_files,
    write_tree,
)

KEYS = [Ed25519PrivateKey.generate() for _ in range(10)]
PUB = Ed25519PrivateKey.generate()
REV = Ed25519PrivateKey.generate()
FAR = datetime(2040, 1, 1, tzinfo=UTC)


def _entry(key: Ed25519PrivateKey) -> tuple[str, KeyEntry]:
    from mobile_app.sync.envelope import keyid_for

    raw = public_key_bytes(key)
    return keyid_for(raw), KeyEntry(public_key_hex=raw.hex())


def root_body(version: int, root_keys: Sequence[Ed25519PrivateKey], threshold: int = 1, *,
              publishers: Sequence[Ed25519PrivateKey] = (PUB,),
              reviewers: Sequence[Ed25519PrivateKey] = (REV,), pub_threshold: int = 1,
              rev_threshold: int = 1, expires: datetime = FAR) -> RootBody:
    keys = dict(_entry(k) for k in [*root_keys, *publishers, *reviewers])

    def role(members: Sequence[Ed25519PrivateKey], t: int) -> RoleEntry:
        return RoleEntry(keyids=tuple(_entry(k)[0] for k in members), threshold=t)

    return RootBody(kind="root", version=version, expires=expires, keys=keys,
                    roles={ROOT: role(root_keys, threshold),
                           PUBLISHER: role(publishers, pub_threshold),
                           REVIEWER: role(reviewers, rev_threshold)})


def signed(body: RootBody, signers: Sequence[Ed25519PrivateKey]) -> bytes:
    return sign_envelope(body.to_json_bytes(), signers, ROOT_PAYLOAD_TYPE)


def serve_root(env: Env, raw: bytes, version: int) -> None:
    path = env.out / "root" / f"{version}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)


def release(env: Env, files: dict[str, bytes], version: int,
            signers: Sequence[Ed25519PrivateKey] = (PUB, REV),
            notes: dict[str, str] | None = None) -> None:
    src = write_tree(env.tmp / f"src-{version}-{len(list(env.tmp.glob('src-*')))}", files)
    if notes is None:
        notes = {"*": "initial release"} if not (env.out / MANIFEST).exists() else {}
    publish(src, list(signers), env.out, version=version, changelog=notes)


@pytest.fixture
def rooted(env: Env) -> Env:
    """An app whose anchor is root version 1 with root key 0, publisher PUB, reviewer REV."""
    env.keys = TrustedRoot.from_json(signed(root_body(1, [KEYS[0]]), [KEYS[0]]))
    return env


# --- the tuf-conformance rotation table -------------------------------------------------------


@dataclass(frozen=True)
class Step:
    keys: tuple[int, ...]
    threshold: int
    sigs: tuple[int, ...]
    ok: bool = True


def S(keys: Sequence[int], threshold: int, sigs: Sequence[int], ok: bool = True) -> Step:  # noqa: N802
    return Step(tuple(keys), threshold, tuple(sigs), ok)


ROTATIONS: dict[str, list[Step]] = {
    "1-of-1-key-rotation": [S([1], 1, [1]), S([2], 1, [2, 1]), S([2], 1, [2])],
    "1-of-1-key-rotation-unused-signatures": [
        S([1], 1, [3, 1, 4]), S([2], 1, [3, 2, 1, 4]), S([2], 1, [3, 2, 4])],
    "3-of-5-sign-with-different-keycombos": [
        S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([0, 1, 2, 3, 4], 3, [0, 4, 1]),
        S([0, 1, 2, 3, 4], 3, [0, 1, 3]), S([0, 1, 2, 3, 4], 3, [0, 1, 3])],
    "3-of-5-one-key-rotated": [S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([0, 1, 3, 4, 5], 3, [0, 4, 1])],
    "3-of-5-one-key-rotated-with-intermediate-step": [
        S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([0, 1, 3, 4, 5], 3, [0, 2, 4, 5]),
        S([0, 1, 3, 4, 5], 3, [0, 4, 5])],
    "3-of-5-all-keys-rotated-with-intermediate-step": [
        S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([5, 6, 7, 8, 9], 3, [0, 2, 4, 5, 6, 7]),
        S([5, 6, 7, 8, 9], 3, [5, 6, 7])],
    "1-of-3-threshold-increase-to-2-of-3": [S([1, 2, 3], 1, [1]), S([1, 2, 3], 2, [1, 2])],
    "2-of-3-threshold-decrease-to-1-of-3": [
        S([1, 2, 3], 2, [1, 2]), S([1, 2, 3], 1, [1, 2]), S([1, 2, 3], 1, [1])],
    "1-of-2-threshold-increase-to-2-of-2": [S([1], 1, [1]), S([1, 2], 2, [1, 2])],
    "1-of-1-key-rotation-fail-not-signed-with-old-key": [
        S([1], 1, [1]), S([2], 1, [2, 3, 4], ok=False)],
    "1-of-1-key-rotation-fail-not-signed-with-new-key": [
        S([1], 1, [1]), S([2], 1, [1, 3, 4], ok=False)],
    "3-of-5-one-key-rotate-fails-not-signed-with-3-new-keys": [
        S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([0, 1, 3, 4, 5], 3, [0, 2, 4], ok=False)],
    "3-of-5-one-key-rotate-fails-not-signed-with-3-old-keys": [
        S([0, 1, 2, 3, 4], 3, [0, 2, 4]), S([0, 1, 3, 4, 5], 3, [0, 4, 5], ok=False)],
    "1-of-3-threshold-bump-to-2-of-3-fails-new-threshold-not-reached": [
        S([1, 2, 3], 1, [1]), S([1, 2, 3], 2, [2], ok=False)],
    "2-of-3-threshold-decrease-to-1-of-3-fails-old-threshold-not-reached": [
        S([1, 2, 3], 2, [1, 2]), S([1, 2, 3], 1, [1], ok=False)],
}


@pytest.mark.parametrize("steps", list(ROTATIONS.values()), ids=list(ROTATIONS))
def test_root_rotation(env: Env, steps: list[Step]) -> None:
    published: list[bytes] = []
    for version, step in enumerate(steps, start=1):
        body = root_body(version, [KEYS[i] for i in step.keys], step.threshold)
        raw = signed(body, [KEYS[i] for i in step.sigs])
        published.append(raw)
        if version == 1:
            env.keys = TrustedRoot.from_json(raw)
        else:
            serve_root(env, raw, version)
    release(env, base_files(), 2)

    result = env.sync()
    store = env.content
    if steps[-1].ok:
        assert result.state == "installed", result.message
        assert result.root_version == len(steps)
        assert installed(store)[0] == 2
    else:
        assert result.state == "rejected"
        assert isinstance(result.error, RootError)
        assert f"root version {len(steps)}" in result.message
        assert result.root_version == len(steps) - 1
        assert installed(store)[0] == 1  # nothing installed
    trusted = len(steps) if steps[-1].ok else len(steps) - 1
    # the roots that verified are kept exactly as published; the failing one is not
    assert store.trusted_root()[0].version == trusted
    for version in range(2, len(steps) + 1):
        path = store.root_path(version)
        if version <= trusted:
            assert path.read_bytes() == published[version - 1]
        else:
            assert not path.exists()


def test_rotation_is_checked_by_the_pure_verifier_too() -> None:
    v1 = TrustedRoot.from_json(signed(root_body(1, [KEYS[1]]), [KEYS[1]]))
    good = signed(root_body(2, [KEYS[2]]), [KEYS[2], KEYS[1]])
    assert verify_next_root(v1, good).version == 2
    with pytest.raises(RootError, match="signed by 0 of the 1 root key"):
        verify_next_root(v1, signed(root_body(2, [KEYS[2]]), [KEYS[2]]))
    with pytest.raises(RootError, match="0 of the 1 of its own root key"):
        verify_next_root(v1, signed(root_body(2, [KEYS[2]]), [KEYS[1]]))
    # a root envelope is not a manifest, and a manifest signature is not a root's
    with pytest.raises(RootError, match="not a root"):
        verify_next_root(v1, sign_envelope(root_body(2, [KEYS[2]]).to_json_bytes(),
                                           [KEYS[1], KEYS[2]]))


# --- rollback, skipped versions, expiry -------------------------------------------------------


def test_rollback_of_root_is_refused(rooted: Env) -> None:
    v2 = root_body(2, [KEYS[1]])
    serve_root(rooted, signed(v2, [KEYS[0], KEYS[1]]), 2)
    serve_root(rooted, signed(root_body(3, [KEYS[2]]), [KEYS[1], KEYS[2]]), 3)
    release(rooted, base_files(), 2)
    assert rooted.sync().root_version == 3
    # the host now serves the old version 2 again as root/4.json (validly signed, long ago)
    serve_root(rooted, signed(v2, [KEYS[0], KEYS[1], KEYS[2]]), 4)
    rooted.server.etags = False
    result = rooted.sync()
    assert result.state == "rejected" and isinstance(result.error, RootError)
    assert "holds version 2 (rollback or skipped version)" in result.message
    assert rooted.content.trusted_root()[0].version == 3


def test_a_skipped_root_version_is_refused(rooted: Env) -> None:
    serve_root(rooted, signed(root_body(3, [KEYS[0]]), [KEYS[0]]), 2)
    release(rooted, base_files(), 2)
    result = rooted.sync()
    assert isinstance(result.error, RootError)
    assert "the file for root version 2 holds version 3" in result.message


def test_a_stored_root_replaced_on_disk_stops_the_walk(rooted: Env) -> None:
    serve_root(rooted, signed(root_body(2, [KEYS[1]]), [KEYS[0], KEYS[1]]), 2)
    release(rooted, base_files(), 2)
    assert rooted.sync().root_version == 2
    store = rooted.content
    store.root_path(2).write_bytes(signed(root_body(2, [KEYS[9]]), [KEYS[9]]))
    root, problems = store.trusted_root()
    assert root.version == 1
    assert problems and "stored root 2.json rejected" in problems[0]


def test_an_expired_intermediate_root_is_passed_through(rooted: Env) -> None:
    past = datetime(2020, 1, 1, tzinfo=UTC)
    serve_root(rooted, signed(root_body(2, [KEYS[1]], expires=past), [KEYS[0], KEYS[1]]), 2)
    serve_root(rooted, signed(root_body(3, [KEYS[2]]), [KEYS[1], KEYS[2]]), 3)
    release(rooted, base_files(), 2)
    result = rooted.sync()
    assert result.state == "installed", result.message
    assert result.root_version == 3


def test_an_expired_final_root_refuses_updates_but_keeps_the_content(rooted: Env) -> None:
    release(rooted, base_files(), 2)
    assert rooted.sync().state == "installed"
    soon = rooted.now() + timedelta(days=2)
    serve_root(rooted, signed(root_body(2, [KEYS[1]], expires=soon), [KEYS[0], KEYS[1]]), 2)
    release(rooted, v3_files(), 3, notes={"hypocalcemia": "20 mL"})
    rooted.clock[0] += timedelta(days=3)
    result = rooted.sync()
    assert result.state == "rejected" and isinstance(result.error, FreezeError)
    assert "the trusted root version 2 expired" in result.message
    loaded = rooted.content.load()
    assert loaded.version == 2 and loaded.expired  # still shown, flagged


def test_a_chain_of_50_root_versions(rooted: Env) -> None:
    for version in range(2, 52):
        old, new = KEYS[(version - 2) % 10], KEYS[(version - 1) % 10]
        serve_root(rooted, signed(root_body(version, [new]), [old, new]), version)
    release(rooted, base_files(), 2)
    result = rooted.sync()
    assert result.state == "installed", result.message
    assert result.root_version == 51
    assert rooted.server.hits.count("/manifest.json") == 1
    assert len([h for h in rooted.server.hits if h.startswith("/root/")]) == 51  # 2..52
    root, problems = rooted.content.trusted_root()
    assert (root.version, problems) == (51, [])
    assert installed(rooted.content)[0] == 2


# --- revocation -------------------------------------------------------------------------------


NEW_PUB = Ed25519PrivateKey.generate()
NEW_REV = Ed25519PrivateKey.generate()


def test_a_root_that_revokes_the_installed_contents_keys(rooted: Env) -> None:
    """Content signed by PUB/REV is installed; root 2 replaces both keys. The installed content
    is no longer served (only revoked keys vouch for it), and a release by the new keys
    installs."""
    release(rooted, base_files(), 2)
    assert rooted.sync().state == "installed"
    serve_root(rooted, signed(root_body(2, [KEYS[0]], publishers=[NEW_PUB],
                                        reviewers=[NEW_REV]), [KEYS[0]]), 2)
    rooted.server.etags = False
    # the host still serves the old manifest: refused, and the content in use re-verified
    result = rooted.sync()
    assert result.state == "rejected" and isinstance(result.error, SignatureError)
    assert "lacks valid signatures by keys of trusted root version 2" in result.message
    assert result.content is not None and result.content.source == "bundled"
    assert result.message.startswith("Update rejected")
    loaded = rooted.content.load()
    assert (loaded.source, loaded.version) == ("bundled", 1)
    assert any("lacks valid signatures" in p for p in loaded.problems)
    # the publisher releases under the new keys
    release(rooted, v3_files(), 3, signers=[NEW_PUB, NEW_REV],
            notes={"hypocalcemia": "20 mL"})
    again = rooted.sync()
    assert again.state == "installed", again.message
    assert installed(rooted.content)[0] == 3


def test_rotation_discards_a_version_floor_only_the_old_key_vouched_for(rooted: Env) -> None:
    """A leaked publisher+reviewer pair signed version 999 and it was installed. Root 2
    revokes them; a real release 3 by the new keys must install (fast-forward recovery), and
    a replay of version 999 is refused."""
    files = set_dose(base_files(), HYPO, "Calcium gluconate 10% (bolus)", "99")
    release(rooted, files, 999, notes={"*": "attack"})
    assert rooted.sync().version == 999
    attack = (rooted.out / MANIFEST).read_bytes()
    serve_root(rooted, signed(root_body(2, [KEYS[0]], publishers=[NEW_PUB],
                                        reviewers=[NEW_REV]), [KEYS[0]]), 2)
    for p in (rooted.out / "manifests").glob("*.json"):
        p.unlink()
    (rooted.out / MANIFEST).unlink()
    release(rooted, v3_files(), 3, signers=[NEW_PUB, NEW_REV], notes={"*": "recovery"})
    rooted.server.etags = False
    result = rooted.sync()
    assert result.state == "installed", result.message
    assert installed(rooted.content)[0] == 3
    assert rooted.content.read_state().highest_seen == 3
    (rooted.out / MANIFEST).write_bytes(attack)
    replay = rooted.sync()
    assert replay.state == "rejected" and isinstance(replay.error, SignatureError)


def test_a_rollback_below_a_floor_set_under_the_same_keys_is_still_refused(rooted: Env) -> None:
    """Rotating only the root key keeps the publisher/reviewer keys: the floor stays."""
    release(rooted, base_files(), 2)
    release(rooted, v3_files(), 3, notes={"hypocalcemia": "20 mL"})
    assert rooted.sync().version == 3
    serve_root(rooted, signed(root_body(2, [KEYS[1]]), [KEYS[0], KEYS[1]]), 2)
    (rooted.out / MANIFEST).write_bytes((rooted.out / "manifests" / "2.json").read_bytes())
    result = rooted.sync()
    assert isinstance(result.error, RollbackError)
    assert result.root_version == 2


# --- existing users ---------------------------------------------------------------------------


def test_content_installed_before_roots_existed_keeps_working(env: Env, tmp_path: Path) -> None:
    """An old install: anchor in the key-list format, a pointer without a trust fingerprint.
    The same key read as root version 1 still verifies it, and its rollback floor holds."""
    legacy = TrustedRoot.from_json({"threshold": 1, "keys": [
        {"public_key_hex": public_key_bytes(env.key).hex()}]})
    env.keys = legacy
    env.publish(version=2)
    env.publish(v3_files(), notes={"hypocalcemia": "20 mL"})
    assert env.sync().version == 3
    state = env.content.state_path
    import json

    doc = json.loads(state.read_text())
    for table in doc.values():
        for record in table.values():
            record.pop("trust", None)
    state.write_text(json.dumps(doc))
    assert env.content.read_state().trust is None
    env.keys = TrustedRoot.from_public_keys([public_key_bytes(env.key)])
    loaded = env.content.load()
    assert (loaded.source, loaded.version) == ("installed", 3)
    assert env.content.rollback_floor(loaded).version == 3
    (env.out / MANIFEST).write_bytes((env.out / "manifests" / "2.json").read_bytes())
    assert isinstance(env.sync().error, RollbackError)
