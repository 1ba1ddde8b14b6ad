"""DSSE envelope verification with the pure-Python verifier (no network)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mobile_app.sync.envelope import (
    MAX_SIGNATURES,
    PAYLOAD_TYPE,
    Envelope,
    TrustedKeys,
    keyid_for,
    make_envelope,
    pae,
)
from mobile_app.sync.errors import NestingError, PayloadTypeError, SignatureError
from mobile_app.sync.publish import public_key_bytes
from mobile_app.sync.root import TrustedRoot


@dataclass(frozen=True)
class Verified:
    body: bytes
    keyids: tuple[str, ...]


def verify_envelope(raw: bytes, keys: TrustedRoot) -> Verified:
    """The manifest checks of the verifier, on an envelope: type, then both roles."""
    env = Envelope.parse(raw)
    if env.payload_type != PAYLOAD_TYPE:
        raise PayloadTypeError("other payload type")
    signers = keys.check_manifest(env, "the manifest")
    return Verified(env.body, signers["publisher"])

BODY = b'{"schema": 1, "version": 7}\n'


def _sig(key: Ed25519PrivateKey, body: bytes = BODY) -> tuple[str, bytes]:
    return keyid_for(public_key_bytes(key)), key.sign(pae(PAYLOAD_TYPE, body))


def test_pae_matches_the_dsse_spec() -> None:
    assert pae("t", b"ab") == b"DSSEv1 1 t 2 ab"
    # lengths are byte lengths, not character lengths
    assert pae("é", "ü".encode()) == b"DSSEv1 2 \xc3\xa9 2 \xc3\xbc"


def test_keyid_is_16_hex_of_sha256_of_the_raw_key() -> None:
    key = Ed25519PrivateKey.generate()
    raw = public_key_bytes(key)
    import hashlib

    assert keyid_for(raw) == hashlib.sha256(raw).hexdigest()[:16]


def test_valid_envelope_returns_the_exact_body() -> None:
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    verified = verify_envelope(make_envelope(BODY, [_sig(key)]), keys)
    assert verified.body == BODY
    assert verified.keyids == (keyid_for(public_key_bytes(key)),)


def test_keyid_is_only_a_hint() -> None:
    """A wrong or missing keyid does not matter when the signature is good."""
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    _, sig = _sig(key)
    assert verify_envelope(make_envelope(BODY, [("nonsense", sig)]), keys).body == BODY
    doc = json.loads(make_envelope(BODY, [("", sig)]))
    del doc["signatures"][0]["keyid"]
    assert verify_envelope(json.dumps(doc).encode(), keys).body == BODY


def test_each_key_counts_once_towards_the_threshold() -> None:
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(a), public_key_bytes(b)], threshold=2)
    doubled = make_envelope(BODY, [_sig(a), _sig(a)])
    with pytest.raises(SignatureError, match="publisher 1 of 2, clinical-reviewer 1 of 2"):
        verify_envelope(doubled, keys)
    assert verify_envelope(make_envelope(BODY, [_sig(a), _sig(b)]), keys).keyids == (
        keyid_for(public_key_bytes(a)),
        keyid_for(public_key_bytes(b)),
    )


def test_any_one_of_several_trusted_keys_is_enough_at_threshold_one() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(old), public_key_bytes(new)])
    stranger = Ed25519PrivateKey.generate()
    assert verify_envelope(make_envelope(BODY, [_sig(stranger), _sig(new)]), keys).body == BODY


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"payloadType": "x", "payload": "e30="}',
        b'{"payloadType": 1, "payload": "e30=", "signatures": [{"sig": "AA=="}]}',
        b'{"payloadType": "x", "payload": "not base64!", "signatures": [{"sig": "AA=="}]}',
        b'{"payloadType": "x", "payload": "e30=", "signatures": []}',
        b'{"payloadType": "x", "payload": "e30=", "signatures": [{"sig": "AA==", "x": 1}]}',
        b'{"payloadType": "x", "payload": "e30=", "signatures": [{"sig": 5}]}',
        b'{"payloadType": "x", "payload": "e30=", "signatures": [], "extra": 1}',
    ],
)
def test_malformed_envelopes_are_signature_errors(raw: bytes) -> None:
    keys = TrustedKeys.from_public_keys([public_key_bytes(Ed25519PrivateKey.generate())])
    with pytest.raises(SignatureError):
        verify_envelope(raw, keys)


def test_too_many_signatures_are_refused_before_verifying() -> None:
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    with pytest.raises(SignatureError, match="at most"):
        verify_envelope(make_envelope(BODY, [_sig(key)] * (MAX_SIGNATURES + 1)), keys)


def test_wrong_length_and_garbage_signatures_do_not_verify() -> None:
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    for sig in (b"", b"\x00" * 63, b"\xff" * 64, b"\x00" * 65):
        with pytest.raises(SignatureError):
            verify_envelope(make_envelope(BODY, [("k", sig)]), keys)


def test_other_payload_type_is_type_confusion() -> None:
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    other = "application/vnd.in-toto+json"
    doc = {
        "payloadType": other,
        "payload": base64.b64encode(BODY).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(key.sign(pae(other, BODY))).decode()}],
    }
    with pytest.raises(PayloadTypeError):
        verify_envelope(json.dumps(doc).encode(), keys)


def test_trusted_keys_json_round_trip_and_checks() -> None:
    key = Ed25519PrivateKey.generate()
    keys = TrustedKeys.from_public_keys([public_key_bytes(key)])
    assert TrustedKeys.from_json(json.dumps(keys.to_json())) == keys
    bad = keys.to_json()
    bad["keys"] = {"0" * 16: next(iter(bad["keys"].values()))}
    with pytest.raises(ValueError, match="does not match"):
        TrustedKeys.from_json(bad)
    legacy = {"keys": [{"keyid": "0" * 16, "public_key_hex": public_key_bytes(key).hex()}]}
    with pytest.raises(ValueError, match="does not match"):
        TrustedKeys.from_json(legacy)
    with pytest.raises(ValueError):
        TrustedKeys.from_json({"keys": [{"public_key_hex": "ab"}]})
    with pytest.raises(ValueError):
        TrustedKeys.from_json({"keys": []})
    with pytest.raises(ValueError):
        TrustedKeys.from_json({"keys": [{"public_key_hex": public_key_bytes(key).hex()}],
                               "threshold": 2})


def test_bundled_trusted_keys_are_root_version_1_of_the_shipped_key() -> None:
    """The shipped trusted_keys.json is root v1: the key content was signed with holds every
    role, so content installed before roots existed keeps verifying."""
    root = TrustedKeys.bundled()
    assert root.version == 1 and root.expires.year >= 2036
    assert [k.keyid for k in root.keys] == ["3774d7488e81a499"]
    for role in ("root", "publisher", "clinical-reviewer"):
        assert [k.keyid for k in root.role_keys(role)] == ["3774d7488e81a499"]
        assert root.threshold(role) == 1
    # The older key-list format gives the same root.
    legacy = TrustedKeys.from_json({"threshold": 1, "keys": [
        {"keyid": "3774d7488e81a499", "public_key_hex": root.keys[0].public_key.hex()}]})
    assert legacy.body.roles == root.body.roles and legacy.body.keys == root.body.keys


def test_deeply_nested_envelope_is_a_named_rejection() -> None:
    with pytest.raises(NestingError, match="nested more than 64 levels"):
        Envelope.parse(b"[" * 200_000)
    with pytest.raises(NestingError):
        Envelope.parse(b'{"payloadType": ' + b"[" * 100 + b"]" * 100 + b"}")
