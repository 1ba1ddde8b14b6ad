"""Signed knowledge-base updates: verify, download deltas, install atomically (issues #4, #11).

Pure Python (Ed25519 verification with ``ecdsa``), usable under CPython and Pyodide:

- :class:`TrustedRoot` is the trust anchor: a versioned root of keys, roles (``root``,
  ``publisher``, ``clinical-reviewer``) and thresholds, rotated through ``root/<N>.json``;
- :func:`verify_pack` is the one verifier (network updates, update files, installed content,
  the publisher's release check);
- :class:`ContentStore` loads the content to show (installed → previous → bundled, re-verified
  on every load) and installs verified versions atomically;
- :class:`Updater` runs an update from a source: the update host (:class:`HttpSource` through
  :class:`HttpxFetcher` in server mode, :class:`FetchFetcher` on the browser's ``fetch``) or an
  update file (:class:`PackSource`); :class:`SyncClient` is the network shortcut;
- :class:`ContentService` is what the app holds: content in use, status, import and share.

Publishing (``mobile_app.sync.publish``) needs ``cryptography`` and is imported separately.
The names below are imported from their modules on first access.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobile_app.sync.browser_fetch import FetchFetcher
    from mobile_app.sync.client import (
        MANIFEST_MAX_BYTES,
        ChangeEntry,
        SyncClient,
        SyncResult,
        SyncState,
        SyncStatus,
        Updater,
    )
    from mobile_app.sync.content import ContentSource, ContentStore, LoadedContent, bundled_content
    from mobile_app.sync.envelope import PAYLOAD_TYPE, Envelope, TrustedKey
    from mobile_app.sync.errors import (
        AppTooOldError,
        ConnectionLostError,
        ContentInvalidError,
        DeadlineError,
        DownloadError,
        DownloadTimeoutError,
        EncodingError,
        EqualVersionConflictError,
        FreezeError,
        HashMismatchError,
        HTTPStatusError,
        LengthMismatchError,
        ManifestFormatError,
        NestingError,
        NetworkError,
        PackError,
        PayloadTypeError,
        PublishError,
        RedirectError,
        RollbackError,
        RootError,
        SignatureError,
        SyncError,
        TooLargeError,
        TruncatedError,
        VerificationError,
    )
    from mobile_app.sync.http import Fetcher, HttpSource, HttpxFetcher
    from mobile_app.sync.manifest import FileEntry, SignedManifest
    from mobile_app.sync.pack import PackSource, build_pack
    from mobile_app.sync.root import TrustedKeys, TrustedRoot, verify_next_root
    from mobile_app.sync.service import ContentService, UpdateInfo
    from mobile_app.sync.state import ContentState, ContentStateRepo
    from mobile_app.sync.verify import RollbackFloor, VerifiedPack, verify_manifest, verify_pack

__all__ = [
    "MANIFEST_MAX_BYTES",
    "PAYLOAD_TYPE",
    "AppTooOldError",
    "ChangeEntry",
    "ConnectionLostError",
    "ContentInvalidError",
    "ContentService",
    "ContentSource",
    "ContentState",
    "ContentStateRepo",
    "ContentStore",
    "DeadlineError",
    "DownloadError",
    "DownloadTimeoutError",
    "EncodingError",
    "Envelope",
    "EqualVersionConflictError",
    "FetchFetcher",
    "Fetcher",
    "FileEntry",
    "FreezeError",
    "HTTPStatusError",
    "HashMismatchError",
    "HttpSource",
    "HttpxFetcher",
    "LengthMismatchError",
    "LoadedContent",
    "ManifestFormatError",
    "NestingError",
    "NetworkError",
    "PackError",
    "PackSource",
    "PayloadTypeError",
    "PublishError",
    "RedirectError",
    "RollbackError",
    "RollbackFloor",
    "RootError",
    "SignatureError",
    "SignedManifest",
    "SyncClient",
    "SyncError",
    "SyncResult",
    "SyncState",
    "SyncStatus",
    "TooLargeError",
    "TrustedKey",
    "TrustedKeys",
    "TrustedRoot",
    "TruncatedError",
    "UpdateInfo",
    "Updater",
    "VerificationError",
    "VerifiedPack",
    "build_pack",
    "bundled_content",
    "verify_manifest",
    "verify_next_root",
    "verify_pack",
]

_EXPORTS = {
    "AppTooOldError": "mobile_app.sync.errors",
    "ChangeEntry": "mobile_app.sync.client",
    "ConnectionLostError": "mobile_app.sync.errors",
    "ContentInvalidError": "mobile_app.sync.errors",
    "ContentService": "mobile_app.sync.service",
    "ContentSource": "mobile_app.sync.content",
    "ContentState": "mobile_app.sync.state",
    "ContentStateRepo": "mobile_app.sync.state",
    "ContentStore": "mobile_app.sync.content",
    "DeadlineError": "mobile_app.sync.errors",
    "DownloadError": "mobile_app.sync.errors",
    "DownloadTimeoutError": "mobile_app.sync.errors",
    "EncodingError": "mobile_app.sync.errors",
    "Envelope": "mobile_app.sync.envelope",
    "EqualVersionConflictError": "mobile_app.sync.errors",
    "FetchFetcher": "mobile_app.sync.browser_fetch",
    "Fetcher": "mobile_app.sync.http",
    "FileEntry": "mobile_app.sync.manifest",
    "FreezeError": "mobile_app.sync.errors",
    "HTTPStatusError": "mobile_app.sync.errors",
    "HashMismatchError": "mobile_app.sync.errors",
    "HttpSource": "mobile_app.sync.http",
    "HttpxFetcher": "mobile_app.sync.http",
    "LengthMismatchError": "mobile_app.sync.errors",
    "LoadedContent": "mobile_app.sync.content",
    "MANIFEST_MAX_BYTES": "mobile_app.sync.client",
    "ManifestFormatError": "mobile_app.sync.errors",
    "NestingError": "mobile_app.sync.errors",
    "NetworkError": "mobile_app.sync.errors",
    "PAYLOAD_TYPE": "mobile_app.sync.envelope",
    "PackError": "mobile_app.sync.errors",
    "PackSource": "mobile_app.sync.pack",
    "PayloadTypeError": "mobile_app.sync.errors",
    "PublishError": "mobile_app.sync.errors",
    "RedirectError": "mobile_app.sync.errors",
    "RollbackError": "mobile_app.sync.errors",
    "RollbackFloor": "mobile_app.sync.verify",
    "RootError": "mobile_app.sync.errors",
    "SignatureError": "mobile_app.sync.errors",
    "SignedManifest": "mobile_app.sync.manifest",
    "SyncClient": "mobile_app.sync.client",
    "SyncError": "mobile_app.sync.errors",
    "SyncResult": "mobile_app.sync.client",
    "SyncState": "mobile_app.sync.client",
    "SyncStatus": "mobile_app.sync.client",
    "TooLargeError": "mobile_app.sync.errors",
    "TruncatedError": "mobile_app.sync.errors",
    "TrustedKey": "mobile_app.sync.envelope",
    "TrustedKeys": "mobile_app.sync.root",
    "TrustedRoot": "mobile_app.sync.root",
    "UpdateInfo": "mobile_app.sync.service",
    "Updater": "mobile_app.sync.client",
    "VerificationError": "mobile_app.sync.errors",
    "VerifiedPack": "mobile_app.sync.verify",
    "build_pack": "mobile_app.sync.pack",
    "bundled_content": "mobile_app.sync.content",
    "verify_manifest": "mobile_app.sync.verify",
    "verify_next_root": "mobile_app.sync.root",
    "verify_pack": "mobile_app.sync.verify",
}
"""Exported name → the module that defines it (imported on first access, so importing one
module of this package, e.g. the content service at start-up, does not import them all)."""


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
