"""Two people sign clinical content (issue 11 §3): a manifest installs only with the threshold
of ``publisher`` keys AND of ``clinical-reviewer`` keys; the CLI workflow ``kb publish`` →
``kb sign --role clinical-reviewer`` (per-card diff, doses highlighted, confirmation) →
``kb release`` (refused until both thresholds are met); what the reviewer approved is what
installs, byte for byte."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from mobile_app.cli import main
from mobile_app.knowledge.loader import MANIFEST
from mobile_app.sync.envelope import Envelope
from mobile_app.sync.errors import PublishError, SignatureError
from mobile_app.sync.publish import prepare_release, release, sign_release
from mobile_app.sync.review import format_diff, release_diff
from mobile_app.sync.root import TrustedRoot
from mobile_app.sync.verify import verify_manifest
from tests.sync.conftest import (
    BOLUS,
    HYPO,
    Env,
    base_files,
    dose_amount,
    edit_card,
    installed,
    set_dose,
    v3_files,
    write_tree,
)
from tests.sync.test_roots import PUB, REV, root_body, signed

REV2 = Ed25519PrivateKey.generate()


@pytest.fixture
def two_roles(env: Env) -> Env:
    """Anchor: root key = the test key, publisher PUB, reviewer REV (1 of 1 each)."""
    env.keys = TrustedRoot.from_json(signed(root_body(1, [env.key]), [env.key]))
    return env


def _pending(env: Env, files: dict[str, bytes], version: int,
             keys: Sequence[Ed25519PrivateKey], notes: dict[str, str] | None = None) -> Path:
    src = write_tree(env.tmp / f"src-{version}-{len(list(env.tmp.glob('src-*')))}", files)
    if notes is None:
        notes = {"*": "initial release"} if not (env.out / MANIFEST).exists() else {}
    return prepare_release(src, env.out, keys=list(keys), version=version, changelog=notes).path


def _serve_unchecked(env: Env, release_file: Path) -> None:
    """A host (or an attacker) serving a release that was never made live by kb release."""
    (env.out / MANIFEST).write_bytes(release_file.read_bytes())


# --- the verifier: both roles -----------------------------------------------------------------


@pytest.mark.parametrize(("signers", "missing"), [
    ((PUB,), "clinical-reviewer 0 of 1"),
    ((REV,), "publisher 0 of 1"),
    ((), "publisher 0 of 1, clinical-reviewer 0 of 1"),
])
def test_one_role_alone_never_installs(two_roles: Env, signers: tuple[Ed25519PrivateKey, ...],
                                       missing: str) -> None:
    before = installed(two_roles.content)
    path = _pending(two_roles, v3_files(), 2, signers)
    if not signers:
        raw = path.read_bytes()
        env = Envelope.parse(raw, allow_unsigned=True)
        path.write_bytes(env.to_bytes())  # an empty signature list is not an envelope either
    _serve_unchecked(two_roles, path)
    result = two_roles.sync()
    assert result.state == "rejected"
    assert isinstance(result.error, SignatureError)
    if signers:
        assert missing in result.message
    assert installed(two_roles.content) == before


def test_a_reviewer_signature_over_other_bytes_does_not_count(two_roles: Env) -> None:
    """The reviewer approved 20 mL; the publisher then re-signed a release of the same
    version with 99 mL and attached the reviewer's signature."""
    reviewed = _pending(two_roles, set_dose(base_files(), HYPO, BOLUS, "20"), 2, [REV])
    reviewer_sig = Envelope.parse(reviewed.read_bytes()).signatures
    swapped = _pending(two_roles, set_dose(base_files(), HYPO, BOLUS, "99"), 2, [PUB])
    env = Envelope.parse(swapped.read_bytes())
    forged = Envelope(env.payload_type, env.body, env.signatures + reviewer_sig)
    swapped.write_bytes(forged.to_bytes())
    with pytest.raises(PublishError, match="not signed enough") as refused:
        release(two_roles.out, two_roles.keys)
    assert "clinical-reviewer: 0 of 1 signature(s) (needs 1 more)" in refused.value.problems
    _serve_unchecked(two_roles, swapped)
    result = two_roles.sync()
    assert result.state == "rejected" and "clinical-reviewer 0 of 1" in result.message
    assert installed(two_roles.content)[0] == 1


def test_thresholds_of_each_role_are_counted_separately(env: Env) -> None:
    env.keys = TrustedRoot.from_json(signed(
        root_body(1, [env.key], reviewers=[REV, REV2], rev_threshold=2), [env.key]))
    path = _pending(env, base_files(), 2, [PUB, REV])
    with pytest.raises(SignatureError, match="clinical-reviewer 1 of 2"):
        verify_manifest(env.keys, path.read_bytes(), floor=None, now=env.now())
    sign_release(env.out, REV2, "clinical-reviewer", env.keys)
    vm = verify_manifest(env.keys, path.read_bytes(), floor=None, now=env.now())
    assert len(vm.signers["clinical-reviewer"]) == 2 and len(vm.signers["publisher"]) == 1
    release(env.out, env.keys)
    assert env.sync().state == "installed"


def test_sign_release_checks_the_role_of_the_key(two_roles: Env) -> None:
    _pending(two_roles, base_files(), 2, [])
    with pytest.raises(PublishError, match="is not a clinical-reviewer key of root version 1"):
        sign_release(two_roles.out, PUB, "clinical-reviewer", two_roles.keys)
    with pytest.raises(PublishError, match="--role must be"):
        sign_release(two_roles.out, REV, "root", two_roles.keys)


# --- the review -------------------------------------------------------------------------------


def test_the_review_highlights_dose_changes() -> None:
    old = base_files()
    new = set_dose(old, HYPO, BOLUS, "20")
    new = edit_card(new, "cards/dexamethasone.json",
                    lambda c: c.update(summary=c["summary"] + " Revised."))
    lines = release_diff(old, new, {"hypocalcemia": "bolus 20 mL",
                                    "dexamethasone": "wording"})
    headings = [x.text for x in lines if x.kind == "heading"]
    assert headings == ["cards/dexamethasone.json (changed): " + json.loads(
        new["cards/dexamethasone.json"])["title"],
        "cards/hypocalcemia.json (changed): " + json.loads(new[HYPO])["title"]]
    doses = [x for x in lines if x.highlight]
    assert len(doses) == 1
    assert doses[0].text.startswith(f"! DOSE {BOLUS}: amount ")
    assert doses[0].text.endswith("→ 20")
    text = format_diff(lines)
    assert f">> ! DOSE {BOLUS}" in text and "changelog: bolus 20 mL" in text
    assert "\x1b[1;31m" in format_diff(lines, color=True)
    assert "\x1b" not in text


# --- the CLI workflow -------------------------------------------------------------------------


def _pem(key: Ed25519PrivateKey, path: Path) -> str:
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return str(path)


def run(*argv: str, stdin: str = "") -> int:
    import sys

    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.stdin = old


def test_publish_review_release_rotate_round_trip(
        env: Env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Root 1 (the deployment's anchor: one key in every role) → kb root draft/sign/release
    a root 2 with separate publisher and reviewer keys → kb publish → kb release refused →
    kb sign (declined, then approved) → kb release → the app installs exactly that."""
    anchor = tmp_path / "root-1.json"
    anchor.write_text(json.dumps(env.keys.to_json()))
    monkeypatch.setenv("BONEMETS_TRUSTED_KEYS", str(anchor))
    monkeypatch.setenv("BONEMETS_DATA_DIR", str(env.data))
    keys = tmp_path / "keys"
    for name in ("publisher", "reviewer"):
        assert run("kb", "keygen", "--out", str(keys), "--name", name) == 0
    root_pem = _pem(env.key, tmp_path / "root.pem")
    (keys / "root.pub.json").write_text(json.dumps({"public_key_hex": env.keys.keys[0]
                                                    .public_key.hex()}))
    site = str(env.out)
    capsys.readouterr()

    # key rotation: root 2 separates the roles
    assert run("kb", "root", "draft", site, "--root-key", str(keys / "root.pub.json"),
               "--publisher-key", str(keys / "publisher_ed25519.pub.json"),
               "--reviewer-key", str(keys / "reviewer_ed25519.pub.json")) == 0
    assert "root version 2, unsigned" in capsys.readouterr().out
    assert run("kb", "root", "release", site) == 1
    assert "root version 2 has no signatures" in capsys.readouterr().err
    assert run("kb", "root", "sign", site, "--key", root_pem) == 0
    assert "1 of 1 old root key(s), 1 of 1 new" in capsys.readouterr().out
    assert run("kb", "root", "release", site) == 0
    assert "published root version 2" in capsys.readouterr().out
    assert (env.out / "root" / "2.json").exists()

    # publish: written, signed by the publisher, not live
    src = write_tree(tmp_path / "src", v3_files())
    assert run("kb", "publish", str(src), "--out", site, "--version", "2", "--key",
               str(keys / "publisher_ed25519.pem"), "--note", "*=initial release") == 0
    out = capsys.readouterr().out
    assert "publisher: 1 of 1 signature(s) ✓" in out
    assert "clinical-reviewer: 0 of 1 signature(s) (needs 1 more)" in out
    assert not (env.out / MANIFEST).exists()
    assert run("kb", "release", site) == 1
    assert "clinical-reviewer: 0 of 1 signature(s) (needs 1 more)" in capsys.readouterr().err

    # the publisher key cannot sign as reviewer
    assert run("kb", "sign", site, "--role", "clinical-reviewer", "--key",
               str(keys / "publisher_ed25519.pem"), "--yes") == 1
    assert "is not a clinical-reviewer key" in capsys.readouterr().err

    # the reviewer reads the diff and declines, then approves
    reviewer = str(keys / "reviewer_ed25519.pem")
    assert run("kb", "sign", site, "--role", "clinical-reviewer", "--key", reviewer,
               stdin="no\n") == 1
    out = capsys.readouterr().out
    assert "compared with the content bundled with the app" in out
    assert f">> ! DOSE {BOLUS}: amount" in out and "→ 20" in out
    assert "1 dose or parameter change(s) marked >>" in out
    assert "Type 'yes' to sign" in out and out.rstrip().endswith("not signed")
    assert run("kb", "release", site) == 1
    capsys.readouterr()
    reviewed_release = (env.out / "releases" / "2.json")
    assert run("kb", "sign", site, "--role", "clinical-reviewer", "--key", reviewer,
               stdin="yes\n") == 0
    assert "clinical-reviewer: 1 of 1 signature(s) ✓" in capsys.readouterr().out
    approved = reviewed_release.read_bytes()
    assert run("kb", "release", site) == 0
    assert "released version 2" in capsys.readouterr().out
    assert (env.out / MANIFEST).read_bytes() == approved

    # the app installs exactly what was approved
    assert run("sync", env.server.url) == 0
    assert "installed version 2" in capsys.readouterr().out
    loaded = env.content.load()
    assert loaded.envelope == approved
    assert loaded.root is not None and loaded.root.version == 2
    assert dose_amount(loaded, "hypocalcemia", BOLUS) == "20"
    body = Envelope.parse(approved).body
    assert {p: d for p, d in loaded.documents.items()} == {
        p: (env.out / "docs" / f"{e['sha256']}.json").read_bytes()
        for p, e in json.loads(body)["files"].items()}

    # the next release is reviewed against the published one; --yes for scripts
    src3 = write_tree(tmp_path / "src3", set_dose(v3_files(), HYPO, BOLUS, "30"))
    assert run("kb", "publish", str(src3), "--out", site, "--key",
               str(keys / "publisher_ed25519.pem"), "--note", "hypocalcemia=30 mL") == 0
    assert run("kb", "sign", site, "--role", "clinical-reviewer", "--key", reviewer,
               "--yes") == 0
    out = capsys.readouterr().out
    assert "compared with the published version 2" in out and "20 → 30" in out
    assert run("kb", "release", site) == 0
    assert run("sync", env.server.url) == 0
    assert dose_amount(env.content.load(), "hypocalcemia", BOLUS) == "30"
