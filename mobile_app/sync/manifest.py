"""The signed manifest body: version, validity window, minimum app version, every document.

:class:`SignedManifest` is the knowledge base's own :class:`~mobile_app.knowledge.models.Manifest`
made stricter (one model, not two): it adds the validity window and the changelog, requires an
aware issue time and closed, strict validation. It is the payload of the DSSE envelope
(:mod:`mobile_app.sync.envelope`) and is parsed only after the signatures verified. A knowledge
base built from an update carries it as its manifest. Document paths are the same as in the
bundled knowledge base (``references.json``, ``synonyms.json``, ``cards/<id>.json``,
``calculators/<id>.json``).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import PurePosixPath
from typing import Annotated, Literal, Self

from pydantic import AwareDatetime, ConfigDict, Field, model_validator

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.knowledge.models import MAX_DOCUMENT_BYTES, Manifest, ManifestEntry

__all__ = [
    "MANIFEST_MAX_BYTES",
    "MAX_DOCUMENT_BYTES",
    "DocPath",
    "FileEntry",
    "SignedManifest",
    "app_version_tuple",
    "doc_id",
]

MANIFEST_MAX_BYTES = 256 * 1024
"""Cap on the manifest download (endless-data protection); the publisher refuses to exceed it."""

DocPath = Annotated[
    str,
    Field(pattern=r"^[a-z0-9_]+(/[a-z0-9_]+)?\.json$", max_length=160),
]
"""A document path: ``name.json`` or ``folder/name.json`` (lowercase, digits, ``_``)."""

_Id = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]

FileEntry = ManifestEntry
"""Integrity data of one document (the knowledge base's own model)."""


class SignedManifest(Manifest):
    """The signed body of ``manifest.json``.

    Attributes:
        schema_version: Body format; only ``1`` exists (JSON key ``schema``).
        version: Content version; strictly increasing across publications.
        issued: When this manifest was signed.
        expires: After this instant the manifest is not installed (freeze protection).
        min_app_version: Oldest app version that may install this content (dotted integers).
        files: Document path → sha256 and length, for every document of the KB.
        changes: Card or calculator id → changelog text, for every document that changed
            since the previously published version.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    kind: Literal["manifest"] = Field("manifest", exclude=True)
    schema_version: Literal[1] = Field(1, alias="schema")
    issued: AwareDatetime
    expires: AwareDatetime
    min_app_version: str = Field(pattern=r"^\d{1,6}(\.\d{1,6}){0,3}$")
    files: dict[DocPath, ManifestEntry] = Field(min_length=1, max_length=100_000)
    changes: dict[_Id, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.expires <= self.issued:
            raise ValueError("expires must be after issued")
        if MANIFEST in self.files:
            raise ValueError(f"{MANIFEST} cannot list itself")
        return self

    def to_json_bytes(self) -> bytes:
        """The body as signed: compact JSON with sorted keys, UTF-8.

        Compact because the manifest lists every document and its download is capped (256 KiB
        by default, about 1,800 documents once base64-encoded in the envelope).
        """
        data = self.model_dump(mode="json", by_alias=True)
        return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()

    def digests(self) -> dict[str, str]:
        """Document path → sha256."""
        return {path: entry.sha256 for path, entry in self.files.items()}

    def is_expired(self, now: datetime) -> bool:
        """Whether ``now`` (timezone-aware) is at or after :attr:`expires`."""
        return self.expires <= now


def doc_id(path: str) -> str:
    """The card or calculator id of a document path (its file stem)."""
    return PurePosixPath(path).stem


def app_version_tuple(version: str) -> tuple[int, ...]:
    """``"0.10.2"`` → ``(0, 10, 2)``; non-numeric suffixes (``"1rc1"``) keep their leading digits.

    Trailing zeros are dropped so that ``"1.0"`` equals ``"1"``.
    """
    parts: list[int] = []
    for piece in version.split("."):
        match = re.match(r"\d+", piece)
        parts.append(int(match.group()) if match else 0)
    while parts and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
