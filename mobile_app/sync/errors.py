"""Errors of the sync client and the publisher.

Every failure of an update (from the network or from an update file) is a :class:`SyncError`.
Its :attr:`SyncError.state` says how the app shows it: ``offline`` (the server could not be
reached at all), ``rejected`` (what arrived failed verification: signature, threshold, root
chain, rollback, freeze, hash, length, schema, nesting, encoding) or ``error`` (anything else:
an HTTP 500, a connection reset by a host that was reached, the overall deadline). None of them
ever changes the installed content. Each failure has one message, used wherever it is shown
(status line, CLI, problems of stored content).
"""

from __future__ import annotations

from typing import ClassVar, Literal

__all__ = [
    "AppTooOldError",
    "ConnectionLostError",
    "ContentInvalidError",
    "DeadlineError",
    "DownloadError",
    "DownloadTimeoutError",
    "EncodingError",
    "EqualVersionConflictError",
    "FailureState",
    "FreezeError",
    "HTTPStatusError",
    "HashMismatchError",
    "LengthMismatchError",
    "ManifestFormatError",
    "NestingError",
    "NetworkError",
    "PackError",
    "PayloadTypeError",
    "PublishError",
    "RedirectError",
    "RollbackError",
    "RootError",
    "SignatureError",
    "SyncError",
    "TooLargeError",
    "TruncatedError",
    "VerificationError",
]

FailureState = Literal["offline", "rejected", "error"]


class SyncError(Exception):
    """A sync failed; the installed content is unchanged.

    Attributes:
        state: How the UI reports this failure (``offline``, ``rejected`` or ``error``).
    """

    state: ClassVar[FailureState] = "error"


# --- downloads ------------------------------------------------------------------------------


class DownloadError(SyncError):
    """A download failed.

    Attributes:
        url: The URL that was being fetched.
    """

    def __init__(self, message: str, url: str) -> None:
        super().__init__(message)
        self.url = url


class NetworkError(DownloadError):
    """The server could not be reached (DNS, refused connection, TLS failure)."""

    state: ClassVar[FailureState] = "offline"


class ConnectionLostError(DownloadError):
    """The host was reached, but the connection was reset or closed before the answer was
    complete (not "offline": the network works, the host or something in between broke off).
    """


class DownloadTimeoutError(DownloadError):
    """The server did not deliver the whole response within the deadline."""

    state: ClassVar[FailureState] = "offline"


class HTTPStatusError(DownloadError):
    """The server answered with a status other than 200.

    Attributes:
        status: The HTTP status code.
    """

    def __init__(self, message: str, url: str, status: int) -> None:
        super().__init__(message, url)
        self.status = status


class TruncatedError(DownloadError):
    """The connection ended before the announced body was complete."""


class TooLargeError(DownloadError):
    """The server sent, or announced, more bytes than allowed (endless-data attack).

    Attributes:
        limit: The cap in bytes.
    """

    state: ClassVar[FailureState] = "rejected"

    def __init__(self, message: str, url: str, limit: int) -> None:
        super().__init__(message, url)
        self.limit = limit


class RedirectError(DownloadError):
    """The server redirected to another origin, or redirected too often."""

    state: ClassVar[FailureState] = "rejected"


class EncodingError(DownloadError):
    """The answer used a content encoding the client does not accept (anything but identity
    or a single gzip layer), or its gzip stream is corrupt.
    """

    state: ClassVar[FailureState] = "rejected"


class DeadlineError(SyncError):
    """The whole update took longer than its overall deadline (a slow or stalling mirror)."""


# --- verification ---------------------------------------------------------------------------


class VerificationError(SyncError):
    """What the server sent failed verification; it is rejected."""

    state: ClassVar[FailureState] = "rejected"


class NestingError(VerificationError):
    """JSON from outside is nested deeper than any document of this app (parsing it could
    exhaust the stack); refused before parsing.
    """


class SignatureError(VerificationError):
    """The manifest is not a well-formed envelope signed by the threshold of keys of each
    role the trusted root requires (publisher and clinical reviewer).
    """


class RootError(SignatureError):
    """A new root (``root/<N+1>.json``) is malformed, not signed by a threshold of the
    trusted root's keys and of its own keys, or does not have the next version number.
    """


class PayloadTypeError(SignatureError):
    """The envelope declares a payload type other than the KB manifest (type confusion)."""


class ManifestFormatError(VerificationError):
    """The signed manifest body does not match the manifest schema."""


class AppTooOldError(VerificationError):
    """The update needs a newer app version than this one."""


class RollbackError(VerificationError):
    """The manifest version is lower than the highest version already seen."""


class EqualVersionConflictError(VerificationError):
    """The manifest has the installed version number but lists different documents."""


class FreezeError(VerificationError):
    """The manifest has expired (an out-of-date manifest replayed, or a stale server)."""


class HashMismatchError(VerificationError):
    """A document's sha256 differs from the signed manifest."""


class LengthMismatchError(VerificationError):
    """A document arrived complete but with a length other than the signed one."""


class PackError(VerificationError):
    """An update file (``.bmpack``) is not a complete, well-formed pack (truncated, not a
    pack, duplicate or unexpected entries, too large).
    """


class ContentInvalidError(VerificationError):
    """The new knowledge base fails schema or cross-reference validation.

    Attributes:
        problems: Every problem found, one line each.
    """

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message)
        self.problems = problems


# --- publisher ------------------------------------------------------------------------------


class PublishError(Exception):
    """Publishing refused (invalid content, version not increasing, missing changelog).

    Attributes:
        problems: Every problem found, one line each.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]
