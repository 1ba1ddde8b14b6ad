"""Update files (``.bmpack``): a signed content version that travels without a network.

A pack is a ZIP archive with the same layout as the update host::

    bmpack.json          {"format": "bonemets-pack", "pack_format": 1, "content_version": N}
                         (a label for people; nothing in it is trusted)
    root/<N>.json        the root chain after root version 1, as published
    manifest.json        the signed manifest envelope
    docs/<sha256>.json   every document the manifest lists

Importing one (:class:`PackSource`) runs the network update's code path with the pack in place
of the host, so it gets exactly the same checks (root chain, signatures and thresholds of both
roles, rollback floor, expiry, every hash and length, the schema) and the same atomic install.
Unlike the network path, nothing from a pack is kept unless all of it verifies.

Reading is bounded before anything is decompressed: the file size, the number of entries (from
the ZIP's end record, before :mod:`zipfile` builds its index), entry names (exactly the layout
above, no duplicates), compression methods (stored or deflate), and every entry is read only up
to its cap (the manifest cap, the root cap, the signed length of a document), so a pack that
inflates without end is cut off.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence

from mobile_app.knowledge.loader import MANIFEST
from mobile_app.knowledge.models import ManifestEntry
from mobile_app.sync.errors import LengthMismatchError, PackError, TooLargeError
from mobile_app.sync.manifest import MANIFEST_MAX_BYTES
from mobile_app.sync.root import ROOT_MAX_BYTES
from mobile_app.sync.source import Fetched
from mobile_app.sync.state import Validators
from mobile_app.sync.verify import sha256_hex

__all__ = [
    "PACK_FORMAT",
    "PACK_MAX_BYTES",
    "PACK_SUFFIX",
    "PackSource",
    "build_pack",
    "pack_name",
]

PACK_FORMAT = "bonemets-pack"
PACK_SUFFIX = ".bmpack"
PACK_MAX_BYTES = 64 * 1024 * 1024
"""Largest update file accepted (1,000 cards pack into about 2 MB)."""

_MAX_ENTRIES = 65_000
_MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
_LABEL = "bmpack.json"
_NAME = re.compile(r"(bmpack\.json|manifest\.json|root/[1-9][0-9]{0,8}\.json|"
                   r"docs/[0-9a-f]{64}\.json)")
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
# Fixed timestamp: the same content gives the same pack, byte for byte.
_EPOCH = (2020, 1, 1, 0, 0, 0)


def pack_name(version: int) -> str:
    """The usual file name of a pack of content ``version``."""
    return f"bonemets-content-v{version}{PACK_SUFFIX}"


def build_pack(roots: Sequence[bytes], envelope: bytes, documents: Mapping[str, bytes],
               version: int) -> bytes:
    """A pack of one content version (see the module docstring).

    Args:
        roots: Root documents after root version 1, oldest first, as published.
        envelope: The signed manifest envelope.
        documents: Document path (or anything) → exact bytes; stored by sha256.
        version: The content version (for the label).

    Returns:
        The ZIP archive.
    """
    out = io.BytesIO()

    def add(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        zf.writestr(info, data)

    label = {"format": PACK_FORMAT, "pack_format": 1, "content_version": version,
             "note": "BoneMets Pocket content update: Settings > Import update file, or "
                     "mobile-app sync FILE"}
    with zipfile.ZipFile(out, "w") as zf:
        add(zf, _LABEL, (json.dumps(label, indent=1) + "\n").encode("utf-8"))
        for raw in roots:
            try:
                number = json.loads(_root_body(raw))["version"]
            except (ValueError, KeyError, TypeError):
                continue
            add(zf, f"root/{int(number)}.json", raw)
        add(zf, MANIFEST, envelope)
        seen: set[str] = set()
        for data in sorted(documents.values(), key=sha256_hex):
            digest = sha256_hex(data)
            if digest not in seen:
                seen.add(digest)
                add(zf, f"docs/{digest}.json", data)
    return out.getvalue()


def _root_body(raw: bytes) -> bytes:
    import base64

    return base64.b64decode(json.loads(raw)["payload"])


def _entry_count(data: bytes) -> int:
    """Entries announced by the ZIP end record (refusing ZIP64), read before :mod:`zipfile`."""
    at = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if at < 0 or len(data) - at < 22:
        raise PackError("the update file is not a complete pack (truncated, or not a pack)")
    if data.rfind(_ZIP64_LOCATOR, max(0, at - 20), at) >= 0:
        raise PackError("the update file uses ZIP64, which packs never need; refused")
    _disk, _start, _here, total, size, _offset, _comment = struct.unpack(
        "<HHHHIIH", data[at + 4 : at + 22])
    if size > _MAX_DIRECTORY_BYTES:
        raise PackError(f"the update file's directory has {size} bytes; refused")
    return int(total)


class PackSource:
    """An update source reading one pack (the same interface as the network source).

    Attributes:
        description: ``update file <name>`` (shown in messages, kept as the content's source).
        persist_roots_early: ``False``: roots from a pack are kept only with its content.
    """

    persist_roots_early = False

    def __init__(self, data: bytes, name: str = "update file") -> None:
        """Open a pack held in memory; its index is read and checked at once.

        Raises:
            PackError: Too large, truncated, not a ZIP, or entries other than the pack layout.
        """
        self.description = f"update file {name}" if name != "update file" else name
        if len(data) > PACK_MAX_BYTES:
            raise PackError(f"the update file has {len(data)} bytes; at most "
                            f"{PACK_MAX_BYTES} are accepted")
        if _entry_count(data) > _MAX_ENTRIES:
            raise PackError(f"the update file has more than {_MAX_ENTRIES} entries; refused")
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except (zipfile.BadZipFile, zlib.error, ValueError, EOFError, struct.error) as exc:
            raise PackError(f"the update file is not a readable pack ({exc})") from None
        self._entries: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if not _NAME.fullmatch(info.filename):
                raise PackError(f"the update file holds an unexpected entry {info.filename!r}")
            if info.filename in self._entries:
                raise PackError(f"the update file holds {info.filename!r} twice")
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or (
                info.flag_bits & 0x1
            ):
                raise PackError(f"{info.filename} in the update file is encrypted or uses an "
                                "unsupported compression")
            self._entries[info.filename] = info
        if MANIFEST not in self._entries:
            raise PackError("the update file has no manifest.json")

    def _read(self, name: str, cap: int) -> bytes | None:
        info = self._entries.get(name)
        if info is None:
            return None
        try:
            with self._zip.open(info) as handle:
                data = handle.read(cap + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise PackError(f"{name} in the update file is damaged ({exc})") from None
        if len(data) > cap:
            raise TooLargeError(f"{name} in the update file is larger than {cap} bytes",
                                self.description, cap)
        return data

    async def manifest(self, validators: Validators | None, timeout: float) -> Fetched:
        """The manifest envelope (a pack is never "not modified")."""
        return Fetched(body=self._read(MANIFEST, MANIFEST_MAX_BYTES) or b"",
                       url=self.description)

    async def root(self, version: int, timeout: float) -> bytes | None:
        """Root ``version``, or ``None`` when the pack has no such root."""
        return self._read(f"root/{version}.json", ROOT_MAX_BYTES)

    async def document(self, path: str, entry: ManifestEntry, timeout: float) -> bytes:
        """The document with this signed entry, read up to its signed length.

        Raises:
            PackError: The pack lacks it.
            LengthMismatchError: It is longer than its signed length.
        """
        name = f"docs/{entry.sha256}.json"
        try:
            data = self._read(name, entry.length)
        except TooLargeError:
            raise LengthMismatchError(f"{path} in the update file is longer than its signed "
                                      f"length {entry.length}") from None
        if data is None:
            raise PackError(f"the update file lacks {path} ({name})")
        return data
