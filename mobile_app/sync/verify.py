"""The one verifier: bytes in, a :class:`VerifiedPack` out, or a named error (pure; no I/O).

Every way content reaches the app goes through :func:`verify_pack`: a network update, an update
file (``.bmpack``), installed content re-checked on every start, and the publisher's
``kb release`` before anything goes live. In the style of python-tuf's ``TrustedMetadataSet``,
it holds no state and performs no I/O; the caller supplies the trusted root (already walked to
the newest verified version), the manifest envelope as received, a function that reads one
document, the rollback floor and the clock.

Order of checks (nothing is parsed before its signature or hash verified):

1. the envelope's JSON nesting is bounded, then the envelope is parsed;
2. payload type is the content manifest's (type confusion);
3. signatures: the threshold of ``publisher`` keys AND of ``clinical-reviewer`` keys of the
   trusted root, each key counted once;
4. the signed body: nesting bounded, closed strict schema (:class:`SignedManifest`);
5. ``min_app_version`` against this app;
6. the version against the rollback floor;
7. expiry of the manifest and of the trusted root at the fixed time ``now`` (an update is
   refused; installed content is still shown, flagged, when ``allow_expired``);
8. every document: present, exact signed length, sha256, UTF-8, bounded nesting;
9. the whole knowledge base: schema and cross-references.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from pydantic import ValidationError

from mobile_app import __version__
from mobile_app.knowledge.loader import KBValidationError, KnowledgeBase, load_documents
from mobile_app.knowledge.models import ManifestEntry
from mobile_app.sync.envelope import PAYLOAD_TYPE, Envelope
from mobile_app.sync.errors import (
    AppTooOldError,
    ContentInvalidError,
    FreezeError,
    HashMismatchError,
    LengthMismatchError,
    ManifestFormatError,
    PayloadTypeError,
    RollbackError,
)
from mobile_app.sync.jsonsafe import check_depth
from mobile_app.sync.manifest import SignedManifest, app_version_tuple
from mobile_app.sync.root import PUBLISHER, REVIEWER, TrustedRoot

__all__ = [
    "DocumentReader",
    "RollbackFloor",
    "VerifiedManifest",
    "VerifiedPack",
    "sha256_hex",
    "verify_manifest",
    "verify_pack",
]

DocumentReader = Callable[[str, ManifestEntry], bytes | None]
"""Returns the bytes of one listed document (path, signed entry), or ``None`` if absent."""


def sha256_hex(data: bytes) -> str:
    """The sha256 of ``data`` as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class RollbackFloor:
    """The lowest content version an update may have, and why (for the message).

    Attributes:
        version: A manifest below this version is a rollback.
        reason: What set it ("installed 3", "version 3 already seen").
    """

    version: int
    reason: str


@dataclass(frozen=True)
class VerifiedManifest:
    """A manifest envelope whose signatures, schema, version and expiry verified.

    Attributes:
        envelope: The envelope bytes exactly as received (persisted and packed as they are).
        manifest: The parsed signed body.
        signers: Role → key ids of that role whose signatures verified.
        root: The trusted root it verified against.
        expired: Whether the manifest or the root had expired at ``now`` (only possible with
            ``allow_expired``).
    """

    envelope: bytes
    manifest: SignedManifest
    signers: Mapping[str, tuple[str, ...]]
    root: TrustedRoot
    expired: bool

    @property
    def version(self) -> int:
        """The content version."""
        return self.manifest.version

    @property
    def keyids(self) -> tuple[str, ...]:
        """Every key id that signed for a role, without repeats."""
        return tuple(dict.fromkeys(k for ids in self.signers.values() for k in ids))

    def signed_text(self) -> str:
        """Who signed, in words."""
        pub = ", ".join(self.signers.get(PUBLISHER, ())) or "none"
        rev = ", ".join(self.signers.get(REVIEWER, ())) or "none"
        return f"signed by publisher {pub} and clinical reviewer {rev} (root version " \
               f"{self.root.version})"


@dataclass(frozen=True)
class VerifiedPack(VerifiedManifest):
    """A complete verified version: manifest, every document, the validated knowledge base.

    Attributes:
        documents: Document path → exact bytes (each checked against its signed entry).
        kb: The validated knowledge base built from them.
    """

    documents: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    kb: KnowledgeBase | None = field(default=None, repr=False)

    @property
    def knowledge_base(self) -> KnowledgeBase:
        """The validated knowledge base."""
        assert self.kb is not None
        return self.kb

    def verification_text(self) -> str:
        """How this content was verified, in one line."""
        text = (f"{self.signed_text()}; {len(self.documents)} document hashes verified; schema "
                f"valid; issued {self.manifest.issued.date().isoformat()}")
        if self.expired:
            text += f"; manifest expired {self.manifest.expires.date().isoformat()}"
        return text


def verify_manifest(
    root: TrustedRoot,
    envelope: bytes,
    *,
    floor: RollbackFloor | None,
    now: datetime,
    app_version: str | None = __version__,
    allow_expired: bool = False,
) -> VerifiedManifest:
    """Steps 1–7 of the module docstring: everything but the documents.

    Args:
        root: The trusted root (newest verified version).
        envelope: The manifest envelope as received.
        floor: The rollback floor; ``None`` skips the rollback check (content already
            installed is re-verified, not compared with itself).
        now: The fixed time of this update (timezone-aware).
        app_version: This app's version, compared with ``min_app_version`` (``None``: not
            compared, for the publisher's tools).
        allow_expired: Report expiry in :attr:`VerifiedManifest.expired` instead of raising
            (installed content stays usable, flagged).

    Raises:
        NestingError: The envelope or body is nested too deeply.
        PayloadTypeError: The envelope is not a content manifest.
        SignatureError: Malformed envelope, or a role's threshold not met.
        ManifestFormatError: The signed body does not match the schema.
        AppTooOldError: The content needs a newer app.
        RollbackError: The version is below ``floor``.
        FreezeError: The manifest or the trusted root has expired (and not ``allow_expired``).
    """
    parsed = Envelope.parse(envelope, "the manifest")
    if parsed.payload_type != PAYLOAD_TYPE:
        raise PayloadTypeError(
            f"the envelope carries {parsed.payload_type!r}, not a knowledge-base manifest"
        )
    signers = root.check_manifest(parsed, "the manifest")
    check_depth(parsed.body, "the signed manifest")
    try:
        manifest = SignedManifest.model_validate_json(parsed.body)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ManifestFormatError(
            f"signed manifest does not match the schema ({where}: {first['msg']})"
        ) from None
    if app_version is not None and (
        app_version_tuple(manifest.min_app_version) > app_version_tuple(app_version)
    ):
        raise AppTooOldError(
            f"pack version {manifest.version} needs app version {manifest.min_app_version} "
            f"or later; this is {app_version}"
        )
    if floor is not None and manifest.version < floor.version:
        raise RollbackError(f"pack version {manifest.version} is older than {floor.reason}")
    expired = manifest.is_expired(now) or root.is_expired(now)
    if expired and not allow_expired:
        if manifest.is_expired(now):
            raise FreezeError(
                f"pack version {manifest.version} expired on "
                f"{manifest.expires.isoformat(timespec='minutes')} (device time "
                f"{now.isoformat(timespec='minutes')})"
            )
        raise FreezeError(
            f"the trusted root version {root.version} expired on "
            f"{root.expires.isoformat(timespec='minutes')} (device time "
            f"{now.isoformat(timespec='minutes')}); a newer root is needed"
        )
    return VerifiedManifest(envelope=bytes(envelope), manifest=manifest, signers=signers,
                            root=root, expired=expired)


def check_document(path: str, entry: ManifestEntry, data: bytes) -> None:
    """One document against its signed entry: exact length, sha256, UTF-8, nesting.

    Raises:
        LengthMismatchError, HashMismatchError, ContentInvalidError, NestingError.
    """
    if len(data) != entry.length:
        raise LengthMismatchError(
            f"{path} has {len(data)} bytes; the signed length is {entry.length}"
        )
    if sha256_hex(data) != entry.sha256:
        raise HashMismatchError(f"{path} does not match its signed sha256")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise ContentInvalidError(f"{path} is not UTF-8 text", [f"{path}: not UTF-8"]) from None
    check_depth(data, path)


def verify_pack(
    root: TrustedRoot,
    envelope: bytes,
    read_document: DocumentReader,
    *,
    floor: RollbackFloor | None,
    now: datetime,
    app_version: str | None = __version__,
    allow_expired: bool = False,
) -> VerifiedPack:
    """Verify a complete version: the manifest (:func:`verify_manifest`), every document it
    lists (read through ``read_document``) and the knowledge base they make.

    Raises:
        Everything :func:`verify_manifest` raises, and:
        ContentInvalidError: A document is missing, not UTF-8, or the knowledge base fails
            schema or cross-reference validation.
        LengthMismatchError, HashMismatchError: A document differs from its signed entry.
    """
    vm = verify_manifest(root, envelope, floor=floor, now=now, app_version=app_version,
                         allow_expired=allow_expired)
    manifest = vm.manifest
    documents: dict[str, bytes] = {}
    for path, entry in sorted(manifest.files.items()):
        data = read_document(path, entry)
        if data is None:
            raise ContentInvalidError(f"{path} is missing", [f"{path}: missing"])
        check_document(path, entry, data)
        documents[path] = data
    try:
        kb = load_documents(documents, manifest)
    except KBValidationError as exc:
        raise ContentInvalidError(
            f"pack version {manifest.version} fails validation: " + "; ".join(exc.problems[:3]),
            exc.problems,
        ) from None
    return VerifiedPack(envelope=vm.envelope, manifest=manifest, signers=vm.signers,
                        root=root, expired=vm.expired, documents=documents, kb=kb)
