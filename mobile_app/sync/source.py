"""Where an update comes from: the interface the updater reads a version through.

Two implementations: :class:`~mobile_app.sync.http.HttpSource` (the update host, through a
fetcher) and :class:`~mobile_app.sync.pack.PackSource` (an update file). The updater
(:class:`~mobile_app.sync.client.Updater`) runs the same steps and the same verifier on either.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from mobile_app.knowledge.models import ManifestEntry
from mobile_app.sync.state import Validators

__all__ = ["Fetched", "Source"]


@dataclass(frozen=True)
class Fetched:
    """One answer for the manifest.

    Attributes:
        body: The bytes, or ``None`` for ``304 Not Modified`` (only after a conditional
            request).
        url: Where it came from.
        etag: The ``ETag`` header, if any.
        last_modified: The ``Last-Modified`` header, if any.
    """

    body: bytes | None
    url: str
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        """Whether the answer was ``304 Not Modified``."""
        return self.body is None


class Source(Protocol):
    """A place to read one published version from.

    Attributes:
        description: Where it is, in words (a URL, ``update file <name>``); kept as the
            installed content's source.
        persist_roots_early: Keep each new root as soon as it verifies (TUF §5.3.7, the
            network) rather than only together with content that verifies under it (packs).
    """

    description: str
    persist_roots_early: bool

    async def manifest(self, validators: Validators | None, timeout: float) -> Fetched:
        """The manifest envelope (conditionally, when ``validators`` are given)."""
        ...

    async def root(self, version: int, timeout: float) -> bytes | None:
        """Root ``version`` (``root/<version>.json``), or ``None`` when there is none."""
        ...

    async def document(self, path: str, entry: ManifestEntry, timeout: float) -> bytes:
        """One document, at most ``entry.length`` bytes."""
        ...
