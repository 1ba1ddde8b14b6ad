"""Precompressed copies of the site's files (``x.js.br`` and ``x.js.gz`` next to ``x.js``).

A server that honours them (``mobile-app serve-pwa``, nginx ``gzip_static``/``brotli_static``,
Caddy ``precompressed``; see the README) sends the smallest encoding the browser accepts with
``Content-Encoding``, so a first visit downloads the compressed bytes without the server
compressing anything. Brotli needs the ``brotli`` package (the ``web`` extra); without it only
gzip copies are written. Brotli at its best quality takes about a minute for Flutter's and
Pyodide's large files, so compressed copies are kept in the build cache by content hash (the
files of Flet's web client are the same in every build).
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path
from typing import Any

__all__ = ["ENCODINGS", "brotli_available", "originals", "precompress"]

#: Content-Encoding → file suffix, best first.
ENCODINGS = {"br": ".br", "gzip": ".gz"}
#: Already compressed: a second compression saves nothing.
_SKIP_SUFFIXES = (".gz", ".br", ".png", ".jpg", ".jpeg", ".webp", ".woff2", ".zip")
#: A copy is kept only if it is at least this much smaller than the original.
_MIN_SAVING = 0.05
_MIN_SIZE = 1024


def _brotli_module() -> Any:
    try:
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return None
    return brotli


def brotli_available() -> bool:
    """Whether brotli copies can be written."""
    return _brotli_module() is not None


def _brotli(data: bytes) -> bytes | None:
    module = _brotli_module()
    if module is None:
        return None
    packed: bytes = module.compress(data, quality=11)
    return packed


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9, mtime=0)


def _cached(cache: Path | None, data: bytes, encoding: str) -> bytes | None:
    if cache is None:
        return _brotli(data) if encoding == "br" else _gzip(data)
    path = cache / f"{hashlib.sha256(data).hexdigest()}{ENCODINGS[encoding]}"
    if path.is_file():
        return path.read_bytes()
    packed = _brotli(data) if encoding == "br" else _gzip(data)
    if packed is not None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(packed)
        tmp.replace(path)
    return packed


def originals(files: list[str]) -> list[str]:
    """``files`` without the precompressed copies of other files among them."""
    names = set(files)
    return [f for f in files
            if not any(f.endswith(s) and f[: -len(s)] in names for s in ENCODINGS.values())]


def precompress(site: Path, files: list[str], cache: Path | None = None
                ) -> dict[str, dict[str, int]]:
    """Write ``.br`` and ``.gz`` copies of ``files`` (relative to ``site``) where they pay.

    Copies of a file that changed are rewritten, or deleted when they no longer pay: a
    server must never send a stale copy.

    Args:
        site: The site directory.
        files: Files to compress (relative); already compressed formats are skipped.
        cache: Directory of compressed copies by content hash (``None``: no cache).

    Returns:
        Relative path → {Content-Encoding: size of its copy} for each file with copies.
    """
    written: dict[str, dict[str, int]] = {}
    for rel in originals(files):
        path = site / rel
        for suffix in ENCODINGS.values():
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        if rel.endswith(_SKIP_SUFFIXES):
            continue
        data = path.read_bytes()
        if len(data) < _MIN_SIZE:
            continue
        for encoding in ENCODINGS:
            packed = _cached(cache, data, encoding)
            if packed is None or len(packed) > len(data) * (1 - _MIN_SAVING):
                continue
            path.with_name(path.name + ENCODINGS[encoding]).write_bytes(packed)
            written.setdefault(rel, {})[encoding] = len(packed)
    return written
