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
"""

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
