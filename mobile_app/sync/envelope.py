"""DSSE envelopes and Ed25519 verification with the pure-Python ``ecdsa`` package.

The manifest travels as a DSSE envelope (sync-design §4.2)::

    {"payloadType": PAYLOAD_TYPE, "payload": base64(body),
     "signatures": [{"keyid": "...", "sig": base64(Ed25519(PAE(type, body)))}]}

    PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body

No JSON canonicalisation is needed: the signature covers the exact body bytes. The ``keyid`` is
only a hint for ordering the work: every signature is tried against every trusted key and each
key counts at most once towards the threshold.

This module is pure Python (``ecdsa`` for Ed25519 verification), so it runs under Pyodide too;
signing lives in :mod:`mobile_app.sync.publish`, which needs ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import ecdsa  # type: ignore[import-untyped]

from mobile_app.sync.errors import PayloadTypeError, SignatureError

__all__ = [
    "MAX_SIGNATURES",
    "PAYLOAD_TYPE",
    "TrustedKey",
    "TrustedKeys",
    "VerifiedPayload",
    "keyid_for",
    "make_envelope",
    "pae",
    "read_payload_unverified",
    "verify_envelope",
]

PAYLOAD_TYPE = "application/vnd.bonemets.kb-manifest+json;v=1"
"""The only payload type the app accepts (binds the signature to its meaning)."""

MAX_SIGNATURES = 8
"""More signatures than this is refused before any verification (bounds the work)."""

_PUBLIC_KEY_LEN = 32
_SIGNATURE_LEN = 64
_TRUSTED_KEYS_FILE = "trusted_keys.json"


def pae(payload_type: str, body: bytes) -> bytes:
    """DSSE pre-authentication encoding: the exact bytes that are signed.

    Args:
        payload_type: The envelope's payload type.
        body: The serialized body.

    Returns:
        ``b"DSSEv1 <len(type)> <type> <len(body)> <body>"`` with byte lengths in decimal.
    """
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(body), body)


def keyid_for(public_key: bytes) -> str:
    """The key id hint of a raw 32-byte Ed25519 public key: 16 hex digits of its sha256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class TrustedKey:
    """One trusted Ed25519 public key.

    Attributes:
        keyid: :func:`keyid_for` of the key.
        public_key: The raw 32-byte public key.
    """

    keyid: str
    public_key: bytes

    @classmethod
    def from_raw(cls, public_key: bytes) -> TrustedKey:
        """A trusted key from its raw 32 bytes.

        Raises:
            ValueError: The key is not 32 bytes.
        """
        if len(public_key) != _PUBLIC_KEY_LEN:
            raise ValueError(f"An Ed25519 public key has 32 bytes; got {len(public_key)}.")
        return cls(keyid=keyid_for(public_key), public_key=bytes(public_key))

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over ``message``."""
        if len(signature) != _SIGNATURE_LEN:
            return False
        try:
            vk = ecdsa.VerifyingKey.from_string(self.public_key, curve=ecdsa.Ed25519)
            return bool(vk.verify(signature, message))
        except ecdsa.BadSignatureError:
            return False
        except (ValueError, ecdsa.MalformedPointError, AssertionError):
            # A malformed key or signature point is simply not a valid signature.
            return False


@dataclass(frozen=True)
class TrustedKeys:
    """The trust anchor: the public keys the app accepts and how many must sign.

    Attributes:
        keys: The trusted keys (at least one, no duplicates).
        threshold: How many distinct trusted keys must sign (at least 1).
    """

    keys: tuple[TrustedKey, ...]
    threshold: int = 1

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("At least one trusted key is needed.")
        ids = [k.public_key for k in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("Trusted keys must be distinct.")
        if not 1 <= self.threshold <= len(self.keys):
            raise ValueError(
                f"Threshold must be between 1 and {len(self.keys)}; got {self.threshold}."
            )

    @classmethod
    def from_public_keys(cls, public_keys: Iterable[bytes], threshold: int = 1) -> TrustedKeys:
        """Trust these raw 32-byte public keys."""
        return cls(tuple(TrustedKey.from_raw(k) for k in public_keys), threshold)

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> TrustedKeys:
        """Parse ``{"threshold": 1, "keys": [{"keyid": ..., "public_key_hex": ...}]}``.

        Raises:
            ValueError: The document is malformed, a key is not 32 bytes of hex, or a keyid
                does not match its key.
        """
        doc = json.loads(data) if isinstance(data, bytes | str) else data
        if not isinstance(doc, Mapping) or not isinstance(doc.get("keys"), list):
            raise ValueError('Trusted keys must be an object with a "keys" list.')
        keys: list[TrustedKey] = []
        for entry in doc["keys"]:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("public_key_hex"), str):
                raise ValueError(f"Trusted key entry without public_key_hex: {entry!r}")
            hex_key = entry["public_key_hex"]
            try:
                raw = bytes.fromhex(hex_key)
            except ValueError:
                raise ValueError(f"public_key_hex is not hex: {hex_key!r}") from None
            key = TrustedKey.from_raw(raw)
            if "keyid" in entry and entry["keyid"] != key.keyid:
                raise ValueError(
                    f"keyid {entry['keyid']!r} does not match its public key ({key.keyid})."
                )
            keys.append(key)
        threshold = doc.get("threshold", 1)
        if not isinstance(threshold, int) or isinstance(threshold, bool):
            raise ValueError(f"threshold must be an integer; got {threshold!r}.")
        return cls(tuple(keys), threshold)

    @classmethod
    def from_file(cls, path: str | Path) -> TrustedKeys:
        """Load a trusted-keys JSON file (see :meth:`from_json`)."""
        return cls.from_json(Path(path).read_bytes())

    @classmethod
    def bundled(cls) -> TrustedKeys:
        """The keys shipped with the app (``mobile_app/sync/trusted_keys.json``)."""
        data = (resources.files("mobile_app.sync") / _TRUSTED_KEYS_FILE).read_bytes()
        return cls.from_json(data)

    def to_json(self) -> dict[str, Any]:
        """The JSON form accepted by :meth:`from_json`."""
        return {
            "threshold": self.threshold,
            "keys": [{"keyid": k.keyid, "public_key_hex": k.public_key.hex()} for k in self.keys],
        }


@dataclass(frozen=True)
class VerifiedPayload:
    """The body of an envelope whose signature verified.

    Attributes:
        body: The exact signed body bytes (parse these, nothing else).
        keyids: Key ids of the trusted keys whose signatures verified.
    """

    body: bytes
    keyids: tuple[str, ...]


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureError(f"Envelope {what} is not a base64 string.")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise SignatureError(f"Envelope {what} is not valid base64.") from None


def _parse_envelope(raw: bytes) -> tuple[str, bytes, list[tuple[str, bytes]]]:
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SignatureError("The manifest is not a JSON envelope.") from None
    if not isinstance(doc, dict) or set(doc) != {"payloadType", "payload", "signatures"}:
        raise SignatureError(
            "The manifest is not a DSSE envelope (payloadType, payload, signatures)."
        )
    payload_type = doc["payloadType"]
    if not isinstance(payload_type, str):
        raise SignatureError("Envelope payloadType is not a string.")
    body = _b64(doc["payload"], "payload")
    sigs = doc["signatures"]
    if not isinstance(sigs, list) or not sigs:
        raise SignatureError("The envelope has no signatures.")
    if len(sigs) > MAX_SIGNATURES:
        raise SignatureError(f"The envelope has {len(sigs)} signatures; at most "
                             f"{MAX_SIGNATURES} are accepted.")
    signatures: list[tuple[str, bytes]] = []
    for entry in sigs:
        if not isinstance(entry, dict) or not set(entry) <= {"keyid", "sig"} or "sig" not in entry:
            raise SignatureError("Envelope signature entries must be {keyid, sig}.")
        keyid = entry.get("keyid", "")
        if not isinstance(keyid, str):
            raise SignatureError("Envelope signature keyid is not a string.")
        signatures.append((keyid, _b64(entry["sig"], "signature")))
    return payload_type, body, signatures


def verify_envelope(raw: bytes, keys: TrustedKeys) -> VerifiedPayload:
    """Verify a DSSE envelope and return its body; nothing in the body is parsed here.

    Every signature is tried against every trusted key (the keyid only orders the attempts);
    each trusted key counts once towards ``keys.threshold``.

    Args:
        raw: The envelope bytes as downloaded.
        keys: The trust anchor.

    Raises:
        PayloadTypeError: The payload type is not :data:`PAYLOAD_TYPE`.
        SignatureError: Malformed envelope, or fewer than ``threshold`` trusted keys signed.
    """
    payload_type, body, signatures = _parse_envelope(raw)
    if payload_type != PAYLOAD_TYPE:
        raise PayloadTypeError(
            f"The envelope carries {payload_type!r}, not a knowledge-base manifest."
        )
    message = pae(PAYLOAD_TYPE, body)
    verified: list[str] = []
    for key in keys.keys:
        # Signatures whose hint names this key first; the hint never decides anything.
        ordered = [s for s in signatures if s[0] == key.keyid]
        ordered += [s for s in signatures if s[0] != key.keyid]
        if any(key.verify(sig, message) for _, sig in ordered):
            verified.append(key.keyid)
            if len(verified) >= keys.threshold:
                return VerifiedPayload(body=body, keyids=tuple(verified))
    raise SignatureError(
        f"The manifest is not signed by {keys.threshold} trusted key(s) "
        f"({len(verified)} valid signature(s) from trusted keys)."
    )


def read_payload_unverified(raw: bytes) -> bytes:
    """The body of an envelope WITHOUT checking signatures (publisher side, own output only).

    Raises:
        SignatureError: The envelope is malformed.
    """
    return _parse_envelope(raw)[1]


def make_envelope(body: bytes, signatures: Iterable[tuple[str, bytes]]) -> bytes:
    """Serialize a DSSE envelope for ``body`` with ``(keyid, signature)`` pairs.

    Args:
        body: The signed body bytes.
        signatures: Key id hints and raw signatures over ``pae(PAYLOAD_TYPE, body)``.

    Returns:
        The envelope as UTF-8 JSON bytes, ending with a newline.
    """
    doc = {
        "payloadType": PAYLOAD_TYPE,
        "payload": base64.b64encode(body).decode("ascii"),
        "signatures": [
            {"keyid": keyid, "sig": base64.b64encode(sig).decode("ascii")}
            for keyid, sig in signatures
        ],
    }
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")
