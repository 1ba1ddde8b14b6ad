"""DSSE envelopes and Ed25519 verification with the pure-Python ``ecdsa`` package.

Every signed document (the content manifest, each root) travels as a DSSE envelope
(sync-design §4.2)::

    {"payloadType": TYPE, "payload": base64(body),
     "signatures": [{"keyid": "...", "sig": base64(Ed25519(PAE(TYPE, body)))}, ...]}

    PAE(type, body) = "DSSEv1" SP len(type) SP type SP len(body) SP body

No JSON canonicalisation is needed: a signature covers the exact body bytes and its payload
type (so a signature over a root can never pass for a manifest, and the reverse). The
``keyid`` is only a hint for choosing the key to try: a signature whose hint names no key in
question is tried against every one, and each key counts at most once (:meth:`Envelope.signed_by`).
Which keys must have signed, and how many, is decided by the trusted root
(:mod:`mobile_app.sync.root`), not here.

Pure Python (``ecdsa`` for verification), so it runs under Pyodide too; signing lives in
:mod:`mobile_app.sync.publish`, which needs ``cryptography``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mobile_app.sync.errors import SignatureError
from mobile_app.sync.jsonsafe import loads

__all__ = [
    "MAX_SIGNATURES",
    "PAYLOAD_TYPE",
    "Envelope",
    "TrustedKey",
    "keyid_for",
    "make_envelope",
    "pae",
    "read_payload_unverified",
]

PAYLOAD_TYPE = "application/vnd.bonemets.kb-manifest+json;v=1"
"""The payload type of the content manifest (binds a signature to its meaning)."""

MAX_SIGNATURES = 16
"""More signatures than this are refused before any verification (bounds the work; a root
rotation from 3-of-5 to another 3-of-5 needs six)."""

_PUBLIC_KEY_LEN = 32
_SIGNATURE_LEN = 64


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
    """The key id of a raw 32-byte Ed25519 public key: 16 hex digits of its sha256."""
    return hashlib.sha256(public_key).hexdigest()[:16]


@dataclass(frozen=True)
class TrustedKey:
    """One Ed25519 public key.

    Attributes:
        keyid: :func:`keyid_for` of the key.
        public_key: The raw 32-byte public key.
    """

    keyid: str
    public_key: bytes

    @classmethod
    def from_raw(cls, public_key: bytes) -> TrustedKey:
        """A key from its raw 32 bytes.

        Raises:
            ValueError: The key is not 32 bytes.
        """
        if len(public_key) != _PUBLIC_KEY_LEN:
            raise ValueError(f"An Ed25519 public key has 32 bytes; got {len(public_key)}.")
        return cls(keyid=keyid_for(public_key), public_key=bytes(public_key))

    @classmethod
    def from_hex(cls, hex_key: str) -> TrustedKey:
        """A key from 64 hex digits.

        Raises:
            ValueError: Not hex, or not 32 bytes.
        """
        try:
            raw = bytes.fromhex(hex_key)
        except ValueError:
            raise ValueError(f"public key is not hex: {hex_key!r}") from None
        return cls.from_raw(raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        """Whether ``signature`` is this key's Ed25519 signature over ``message``."""
        if len(signature) != _SIGNATURE_LEN:
            return False
        # Imported on the first signature check: showing the bundled content checks none.
        import ecdsa  # type: ignore[import-untyped]

        try:
            vk = ecdsa.VerifyingKey.from_string(self.public_key, curve=ecdsa.Ed25519)
            return bool(vk.verify(signature, message))
        except ecdsa.BadSignatureError:
            return False
        except (ValueError, ecdsa.MalformedPointError, AssertionError):
            # A malformed key or signature point is simply not a valid signature.
            return False


def _b64(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise SignatureError(f"{what} is not a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise SignatureError(f"{what} is not valid base64") from None


@dataclass(frozen=True)
class Envelope:
    """A parsed DSSE envelope; nothing in :attr:`body` has been looked at.

    Attributes:
        payload_type: The declared payload type.
        body: The exact body bytes the signatures cover.
        signatures: ``(keyid hint, raw signature)`` pairs, in envelope order.
    """

    payload_type: str
    body: bytes
    signatures: tuple[tuple[str, bytes], ...]

    @classmethod
    def parse(cls, raw: bytes, what: str = "the manifest", *, allow_unsigned: bool = False
              ) -> Envelope:
        """Parse an envelope (JSON nesting is bounded first, see :mod:`.jsonsafe`).

        Args:
            raw: The envelope bytes as received.
            what: What it is, for messages.
            allow_unsigned: Accept an envelope without signatures (a release or root still
                being signed, on the publisher's side).

        Raises:
            NestingError: Nested too deeply to be an envelope.
            SignatureError: Not a well-formed envelope.
        """
        try:
            doc = loads(raw, what)
        except ValueError:
            raise SignatureError(f"{what} is not a JSON envelope") from None
        if not isinstance(doc, dict) or set(doc) != {"payloadType", "payload", "signatures"}:
            raise SignatureError(
                f"{what} is not a DSSE envelope (payloadType, payload, signatures)"
            )
        payload_type = doc["payloadType"]
        if not isinstance(payload_type, str):
            raise SignatureError(f"{what}: payloadType is not a string")
        body = _b64(doc["payload"], f"{what}: payload")
        sigs = doc["signatures"]
        if not isinstance(sigs, list) or (not sigs and not allow_unsigned):
            raise SignatureError(f"{what} has no signatures")
        if len(sigs) > MAX_SIGNATURES:
            raise SignatureError(
                f"{what} has {len(sigs)} signatures; at most {MAX_SIGNATURES} are accepted"
            )
        signatures: list[tuple[str, bytes]] = []
        for entry in sigs:
            if not isinstance(entry, dict) or not set(entry) <= {"keyid", "sig"} or (
                "sig" not in entry
            ):
                raise SignatureError(f"{what}: signature entries must be {{keyid, sig}}")
            keyid = entry.get("keyid", "")
            if not isinstance(keyid, str):
                raise SignatureError(f"{what}: a signature keyid is not a string")
            signatures.append((keyid, _b64(entry["sig"], f"{what}: signature")))
        return cls(payload_type, body, tuple(signatures))

    def signed_by(self, keys: Iterable[TrustedKey]) -> frozenset[str]:
        """Key ids of those ``keys`` that made a valid signature over this envelope.

        A signature whose keyid hint names one of ``keys`` is verified against that key only;
        any other signature is tried against every key that has not verified yet. Each key
        counts once, however many signatures it made.
        """
        candidates = {k.keyid: k for k in keys}
        message = pae(self.payload_type, self.body)
        verified: set[str] = set()
        for hint, sig in self.signatures:
            if hint in candidates:
                if hint not in verified and candidates[hint].verify(sig, message):
                    verified.add(hint)
                continue
            for keyid, key in candidates.items():
                if keyid not in verified and key.verify(sig, message):
                    verified.add(keyid)
                    break
        return frozenset(verified)

    def to_bytes(self) -> bytes:
        """The envelope serialized (see :func:`make_envelope`)."""
        return make_envelope(self.body, self.signatures, self.payload_type)

    def with_signature(self, keyid: str, signature: bytes) -> Envelope:
        """This envelope plus one signature (a signature by the same keyid is replaced)."""
        kept = tuple((k, s) for k, s in self.signatures if k != keyid)
        return Envelope(self.payload_type, self.body, (*kept, (keyid, signature)))


def read_payload_unverified(raw: bytes, what: str = "the manifest") -> bytes:
    """The body of an envelope WITHOUT checking signatures (publisher side, own output only).

    Raises:
        SignatureError: The envelope is malformed.
    """
    return Envelope.parse(raw, what, allow_unsigned=True).body


def make_envelope(
    body: bytes, signatures: Iterable[tuple[str, bytes]], payload_type: str = PAYLOAD_TYPE
) -> bytes:
    """Serialize a DSSE envelope for ``body`` with ``(keyid, signature)`` pairs.

    Args:
        body: The signed body bytes.
        signatures: Key id hints and raw signatures over ``pae(payload_type, body)``.
        payload_type: What the body is.

    Returns:
        The envelope as UTF-8 JSON bytes, ending with a newline.
    """
    doc = {
        "payloadType": payload_type,
        "payload": base64.b64encode(body).decode("ascii"),
        "signatures": [
            {"keyid": keyid, "sig": base64.b64encode(sig).decode("ascii")}
            for keyid, sig in signatures
        ],
    }
    return (json.dumps(doc, indent=1) + "\n").encode("utf-8")


def __getattr__(name: str) -> Any:
    """``TrustedKeys``, the trust anchor, lives in :mod:`mobile_app.sync.root` now (as
    :class:`~mobile_app.sync.root.TrustedRoot`); this keeps the old import path working
    (the PWA build loads ``--trusted-keys`` files through it).
    """
    if name == "TrustedKeys":
        from mobile_app.sync.root import TrustedRoot

        return TrustedRoot
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
