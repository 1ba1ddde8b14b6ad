"""The trust anchor: a versioned, signed root of keys, roles and thresholds (TUF §5.3).

A root lists Ed25519 keys and three roles, each with its key ids and a threshold:

- ``root``: signs the next root (key rotation and revocation);
- ``publisher`` and ``clinical-reviewer``: both must sign a content manifest, each with its own
  threshold (two people, or two groups, approve every change of a dose).

Root body (the payload of a DSSE envelope of type :data:`ROOT_PAYLOAD_TYPE`)::

    {"kind": "root", "version": 2, "expires": "2027-12-01T00:00:00Z",
     "keys": {"<keyid>": {"public_key_hex": "<64 hex>"}, ...},
     "roles": {"root": {"keyids": [...], "threshold": 1},
               "publisher": {"keyids": [...], "threshold": 1},
               "clinical-reviewer": {"keyids": [...], "threshold": 1}}}

The app ships root version 1 as ``trusted_keys.json`` (trusted because it ships with the app,
TUF §5.2). The update host publishes ``root/<N>.json`` for every later version; the client
walks ``root/<N+1>.json`` from the version it trusts (:func:`verify_next_root`): each new root
must be signed by a threshold of the *old* root's ``root`` keys and of its *own*, and carry
exactly version N+1. Revoking a key is publishing a root without it.

An anchor file in the format used before roots existed (``{"threshold": t, "keys": [...]}``)
is read as root version 1 in which those keys hold all three roles, so content installed and
signed by those keys keeps verifying; it never expires.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from mobile_app.sync.envelope import Envelope, TrustedKey, keyid_for
from mobile_app.sync.errors import NestingError, RootError, SignatureError
from mobile_app.sync.jsonsafe import loads

__all__ = [
    "LEGACY_EXPIRES",
    "MANIFEST_ROLES",
    "MAX_ROOT_ROTATIONS",
    "PUBLISHER",
    "REVIEWER",
    "ROLES",
    "ROOT",
    "ROOT_MAX_BYTES",
    "ROOT_PAYLOAD_TYPE",
    "KeyEntry",
    "RoleEntry",
    "RootBody",
    "TrustedKeys",
    "TrustedRoot",
    "verify_next_root",
]

ROOT_PAYLOAD_TYPE = "application/vnd.bonemets.root+json;v=1"
"""The payload type of a root envelope."""

ROOT = "root"
PUBLISHER = "publisher"
REVIEWER = "clinical-reviewer"
ROLES = (ROOT, PUBLISHER, REVIEWER)
MANIFEST_ROLES = (PUBLISHER, REVIEWER)
"""The roles whose thresholds a content manifest needs (both of them)."""

ROOT_MAX_BYTES = 64 * 1024
"""Cap on one root download (a root with 32 keys and 16 signatures is about 6 kB)."""

MAX_ROOT_ROTATIONS = 256
"""Most new roots accepted in one update (python-tuf's default)."""

MAX_KEYS = 32
LEGACY_EXPIRES = datetime(9999, 12, 31, tzinfo=UTC)
"""Expiry of a root read from the old key-list format (it had none)."""

_TRUSTED_KEYS_FILE = "trusted_keys.json"
_KeyId = Annotated[str, Field(pattern=r"^[0-9a-f]{16}$")]


class KeyEntry(BaseModel):
    """One public key of a root."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    public_key_hex: str = Field(pattern=r"^[0-9a-f]{64}$")
    """The raw 32-byte Ed25519 public key, as lowercase hex."""


class RoleEntry(BaseModel):
    """The keys of one role and how many of them must sign."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    keyids: tuple[_KeyId, ...] = Field(min_length=1, max_length=16)
    threshold: int = Field(ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.keyids)) != len(self.keyids):
            raise ValueError("a role lists a key twice")
        if self.threshold > len(self.keyids):
            raise ValueError(
                f"threshold {self.threshold} is more than the role's {len(self.keyids)} key(s)"
            )
        return self


class RootBody(BaseModel):
    """The signed body of a root (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    kind: Literal["root"]
    version: int = Field(ge=1)
    expires: AwareDatetime
    keys: dict[_KeyId, KeyEntry] = Field(min_length=1, max_length=MAX_KEYS)
    roles: dict[str, RoleEntry]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if set(self.roles) != set(ROLES):
            raise ValueError(f"roles must be exactly {', '.join(ROLES)}")
        for keyid, entry in self.keys.items():
            if keyid_for(bytes.fromhex(entry.public_key_hex)) != keyid:
                raise ValueError(f"key id {keyid} does not match its public key")
        for name, role in self.roles.items():
            unknown = [k for k in role.keyids if k not in self.keys]
            if unknown:
                raise ValueError(f"role {name} names unknown key(s) {', '.join(unknown)}")
        return self

    def to_json_bytes(self) -> bytes:
        """The body as signed: compact JSON with sorted keys, UTF-8."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _legacy_body(doc: Mapping[str, Any]) -> RootBody:
    """``{"threshold": t, "keys": [{"keyid", "public_key_hex"}]}`` as root version 1."""
    entries = doc.get("keys")
    if not isinstance(entries, list) or not entries:
        raise ValueError('trusted keys must be an object with a non-empty "keys" list')
    keys: dict[str, KeyEntry] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("public_key_hex"), str):
            raise ValueError(f"trusted key entry without public_key_hex: {entry!r}")
        key = TrustedKey.from_hex(entry["public_key_hex"])
        if "keyid" in entry and entry["keyid"] != key.keyid:
            raise ValueError(f"keyid {entry['keyid']!r} does not match its public key "
                             f"({key.keyid})")
        if key.keyid in keys:
            raise ValueError("trusted keys must be distinct")
        keys[key.keyid] = KeyEntry(public_key_hex=key.public_key.hex())
    threshold = doc.get("threshold", 1)
    if not isinstance(threshold, int) or isinstance(threshold, bool):
        raise ValueError(f"threshold must be an integer; got {threshold!r}")
    role = RoleEntry(keyids=tuple(keys), threshold=threshold)
    return RootBody(kind="root", version=1, expires=LEGACY_EXPIRES, keys=keys,
                    roles={name: role for name in ROLES})


@dataclass(frozen=True)
class TrustedRoot:
    """A root the app trusts: the shipped anchor, or one reached from it by verified links.

    Attributes:
        body: The parsed root.
        document: The bytes it was read from (a root envelope as published, or the anchor
            file); what is persisted and packed. Two roots are equal when their bodies are.
    """

    body: RootBody
    document: bytes = field(compare=False, repr=False)

    # --- reading ------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        """The root's version."""
        return self.body.version

    @property
    def expires(self) -> datetime:
        """When the root expires (no update is accepted under an expired root)."""
        return self.body.expires

    def is_expired(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) is at or after :attr:`expires`."""
        return self.body.expires <= now

    @property
    def keys(self) -> tuple[TrustedKey, ...]:
        """Every key of the root, in the order listed."""
        return tuple(TrustedKey.from_hex(e.public_key_hex) for e in self.body.keys.values())

    def role_keys(self, role: str) -> tuple[TrustedKey, ...]:
        """The keys of ``role``."""
        entries = self.body.keys
        return tuple(TrustedKey.from_hex(entries[k].public_key_hex)
                     for k in self.body.roles[role].keyids)

    def threshold(self, role: str) -> int:
        """How many distinct keys of ``role`` must sign."""
        return self.body.roles[role].threshold

    def manifest_trust(self) -> str:
        """A fingerprint of who may sign content (the publisher and reviewer keys and
        thresholds): it changes exactly when those keys are rotated or revoked.
        """
        data = {role: [sorted(k.public_key.hex() for k in self.role_keys(role)),
                       self.threshold(role)] for role in MANIFEST_ROLES}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]

    def check_manifest(self, envelope: Envelope, what: str) -> dict[str, tuple[str, ...]]:
        """The key ids that signed ``envelope`` for each manifest role; both thresholds must
        be met.

        Raises:
            SignatureError: Fewer than the threshold of ``publisher`` or of
                ``clinical-reviewer`` keys signed.
        """
        union = {k.keyid: k for role in MANIFEST_ROLES for k in self.role_keys(role)}
        signed = envelope.signed_by(union.values())
        by_role: dict[str, tuple[str, ...]] = {}
        missing: list[str] = []
        for role in MANIFEST_ROLES:
            ids = tuple(k for k in self.body.roles[role].keyids if k in signed)
            by_role[role] = ids
            if len(ids) < self.threshold(role):
                missing.append(f"{role} {len(ids)} of {self.threshold(role)}")
        if missing:
            raise SignatureError(
                f"{what} lacks valid signatures by keys of trusted root version "
                f"{self.version}: " + ", ".join(missing)
            )
        return by_role

    # --- loading the anchor -------------------------------------------------------------------

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, Any]) -> TrustedRoot:
        """The trust anchor from a root envelope, a root body, or the old key-list format.

        The anchor is trusted because it ships with the app (or is configured by whoever runs
        the server); its own signatures are not checked.

        Raises:
            ValueError: The document is none of these, or is malformed.
        """
        if isinstance(data, Mapping):
            raw = json.dumps(data).encode("utf-8")
        else:
            raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        try:
            doc = loads(raw, "the trusted root")
        except NestingError as exc:
            raise ValueError(str(exc)) from None
        except ValueError as exc:
            raise ValueError(f"the trusted root is not JSON: {exc}") from None
        if not isinstance(doc, dict):
            raise ValueError("the trusted root must be a JSON object")
        try:
            if "payloadType" in doc:
                env = Envelope.parse(raw, "the trusted root", allow_unsigned=True)
                if env.payload_type != ROOT_PAYLOAD_TYPE:
                    raise ValueError(f"the trusted root envelope carries {env.payload_type!r}")
                body = RootBody.model_validate_json(env.body)
            elif doc.get("kind") == "root":
                body = RootBody.model_validate_json(raw)
            else:
                body = _legacy_body(doc)
        except (ValidationError, SignatureError) as exc:
            raise ValueError(f"the trusted root is malformed: {exc}") from None
        return cls(body, raw)

    @classmethod
    def from_file(cls, path: str | Path) -> TrustedRoot:
        """Load an anchor file (see :meth:`from_json`)."""
        return cls.from_json(Path(path).read_bytes())

    @classmethod
    def bundled(cls) -> TrustedRoot:
        """The root shipped with the app (``mobile_app/sync/trusted_keys.json``)."""
        return cls.from_json((resources.files("mobile_app.sync") / _TRUSTED_KEYS_FILE)
                             .read_bytes())

    @classmethod
    def from_public_keys(cls, public_keys: Iterable[bytes], threshold: int = 1) -> TrustedRoot:
        """Root version 1 in which these raw 32-byte keys hold every role."""
        keys = [{"public_key_hex": bytes(k).hex()} for k in public_keys]
        return cls.from_json({"threshold": threshold, "keys": keys})

    @classmethod
    def from_body(cls, body: RootBody) -> TrustedRoot:
        """An anchor made from a root body (its document is the body's JSON)."""
        return cls(body, body.to_json_bytes())

    def to_json(self) -> dict[str, Any]:
        """The JSON form accepted by :meth:`from_json` (a root envelope stays an envelope, so
        its signatures are kept; anything else becomes a root body).
        """
        doc = json.loads(self.document)
        if isinstance(doc, dict) and "payloadType" in doc:
            return doc
        data: dict[str, Any] = self.body.model_dump(mode="json")
        return data


TrustedKeys = TrustedRoot
"""The name the trust anchor had before roots existed (``trusted_keys.json``)."""


def verify_next_root(trusted: TrustedRoot, raw: bytes) -> TrustedRoot:
    """Verify ``root/<N+1>.json`` against the trusted root N (TUF §5.3.3 and §5.3.4).

    Its expiry is not checked here: an intermediate root may have expired (§5.3.5); the
    caller checks the final one.

    Args:
        trusted: The root trusted now (version N).
        raw: The downloaded (or packed) new root, as bytes.

    Returns:
        The new trusted root (version N+1).

    Raises:
        RootError: Too large, malformed, not signed by a threshold of the old root's keys
            and of its own, or not version N+1.
        NestingError: Nested too deeply to be a root.
    """
    expected = trusted.version + 1
    what = f"root version {expected}"
    if len(raw) > ROOT_MAX_BYTES:
        raise RootError(f"{what} has {len(raw)} bytes; at most {ROOT_MAX_BYTES} are accepted")
    try:
        envelope = Envelope.parse(raw, what)
    except SignatureError as exc:
        raise RootError(str(exc)) from None
    if envelope.payload_type != ROOT_PAYLOAD_TYPE:
        raise RootError(f"{what} carries {envelope.payload_type!r}, not a root")
    old = envelope.signed_by(trusted.role_keys(ROOT))
    if len(old) < trusted.threshold(ROOT):
        raise RootError(
            f"{what} is signed by {len(old)} of the {trusted.threshold(ROOT)} root key(s) of "
            f"the trusted root version {trusted.version} it needs"
        )
    try:
        body = RootBody.model_validate_json(envelope.body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RootError(f"{what} does not match the root schema ({where}: {first['msg']})"
                        ) from None
    new = TrustedRoot(body, bytes(raw))
    own = envelope.signed_by(new.role_keys(ROOT))
    if len(own) < new.threshold(ROOT):
        raise RootError(
            f"{what} is signed by {len(own)} of the {new.threshold(ROOT)} of its own root "
            "key(s) it needs"
        )
    if body.version != expected:
        raise RootError(
            f"the file for root version {expected} holds version {body.version} "
            "(rollback or skipped version); refused"
        )
    return new
