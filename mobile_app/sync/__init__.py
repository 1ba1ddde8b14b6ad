"""Signed knowledge-base updates: verify, download deltas, install atomically (issue #4).

Pure Python (Ed25519 verification with ``ecdsa``), usable under CPython and Pyodide:

- :class:`ContentStore` loads the content to show (installed → previous → bundled, re-verified
  on every load) and installs verified versions atomically;
- :class:`SyncClient` fetches ``manifest.json`` and changed documents through a
  :class:`Fetcher` (:class:`HttpxFetcher` in server mode, :class:`FetchFetcher` on the
  browser's ``fetch`` in the PWA) and reports :class:`SyncStatus`;
- :class:`TrustedKeys` is the trust anchor (default: ``trusted_keys.json`` in this package).

Publishing (``mobile_app.sync.publish``) needs ``cryptography`` and is imported separately.
"""

from mobile_app.sync.browser_fetch import FetchFetcher
from mobile_app.sync.client import (
    MANIFEST_MAX_BYTES,
    ChangeEntry,
    Fetcher,
    HttpxFetcher,
    SyncClient,
    SyncResult,
    SyncState,
    SyncStatus,
)
from mobile_app.sync.content import ContentSource, ContentStore, LoadedContent, bundled_content
from mobile_app.sync.envelope import PAYLOAD_TYPE, TrustedKey, TrustedKeys, verify_envelope
from mobile_app.sync.errors import (
    AppTooOldError,
    ContentInvalidError,
    DownloadError,
    DownloadTimeoutError,
    EqualVersionConflictError,
    FreezeError,
    HashMismatchError,
    HTTPStatusError,
    LengthMismatchError,
    ManifestFormatError,
    NetworkError,
    PayloadTypeError,
    PublishError,
    RedirectError,
    RollbackError,
    SignatureError,
    SyncError,
    TooLargeError,
    TruncatedError,
    VerificationError,
)
from mobile_app.sync.manifest import FileEntry, SignedManifest

__all__ = [
    "MANIFEST_MAX_BYTES",
    "PAYLOAD_TYPE",
    "AppTooOldError",
    "ChangeEntry",
    "ContentInvalidError",
    "ContentSource",
    "ContentStore",
    "DownloadError",
    "DownloadTimeoutError",
    "EqualVersionConflictError",
    "FetchFetcher",
    "Fetcher",
    "FileEntry",
    "FreezeError",
    "HTTPStatusError",
    "HashMismatchError",
    "HttpxFetcher",
    "LengthMismatchError",
    "LoadedContent",
    "ManifestFormatError",
    "NetworkError",
    "PayloadTypeError",
    "PublishError",
    "RedirectError",
    "RollbackError",
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
    "TruncatedError",
    "VerificationError",
    "bundled_content",
    "verify_envelope",
]
