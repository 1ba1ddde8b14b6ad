"""What a build produced, and what a first visit downloads."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from mobile_app.tools.pwa.compress import ENCODINGS
from mobile_app.tools.pwa.runtime import PyodideRuntime

__all__ = ["BuildReport", "FileSize", "measure"]


@dataclass(frozen=True)
class FileSize:
    """One file of the site: raw and gzip-compressed sizes."""

    path: str
    raw: int
    gzip: int
    """gzip at level 6 (what a server compressing on the fly sends), or raw if not smaller."""
    served: int = -1
    """What ``mobile-app serve-pwa`` sends to a browser accepting brotli: the smallest of the
    file and its precompressed copies (``-1``: not measured)."""


@dataclass
class BuildReport:
    """What was built, and what the first visit downloads."""

    out: Path
    version: str
    seconds: float
    runtime: PyodideRuntime
    files: list[FileSize]
    precache: dict[str, list[str]]
    """CanvasKit variant → URLs (relative to the site root) the service worker precaches."""
    rive_removed: bool
    packages: dict[str, str] = field(default_factory=dict)
    trimmed_bytes: int = 0
    bytecode: str = ""
    update_url: str | None = None
    trusted_keys: str = "shipped (mobile_app/sync/trusted_keys.json)"

    def _sizes(self, paths: Iterable[str]) -> tuple[int, int, int]:
        by_path = {f.path: f for f in self.files}
        chosen = [by_path[p] for p in paths]
        return len(chosen), sum(f.raw for f in chosen), sum(f.gzip for f in chosen)

    def first_load(self, variant: str = "chromium") -> tuple[int, int, int]:
        """(files, bytes, gzip bytes) the service worker precaches for a CanvasKit variant."""
        return self._sizes(self.precache[variant])

    def first_load_served(self, variant: str = "chromium") -> int:
        """Bytes ``mobile-app serve-pwa`` sends for the precache (precompressed copies)."""
        by_path = {f.path: f for f in self.files}
        return sum(by_path[p].served for p in self.precache[variant])

    @property
    def total_bytes(self) -> int:
        """Size of everything in the build."""
        return sum(f.raw for f in self.files)

    @property
    def app_archive_bytes(self) -> int:
        """Size of ``app.tar.gz`` (the app and its Python packages)."""
        return next(f.raw for f in self.files if f.path == "app.tar.gz")

    def format(self) -> str:
        """A human-readable summary (Markdown)."""
        n, raw, gz = self.first_load("chromium")
        n2, raw2, gz2 = self.first_load("full")
        lines = [
            f"PWA built in {self.out} in {self.seconds:.1f} s (cache version {self.version}; "
            f"Pyodide {self.runtime.version}, Python {self.runtime.python})",
            "",
            "| | files | uncompressed | gzip |",
            "|---|---:|---:|---:|",
            f"| whole build | {len(self.files)} | {_mb(self.total_bytes)} | "
            f"{_mb(sum(f.gzip for f in self.files))} |",
            f"| first load, Chromium (precache, CanvasKit chromium) | {n} | {_mb(raw)} | "
            f"{_mb(gz)} |",
            f"| first load, other browsers (precache, CanvasKit full) | {n2} | {_mb(raw2)} | "
            f"{_mb(gz2)} |",
            f"| first load, Chromium, as `mobile-app serve-pwa` sends it (brotli/gzip "
            f"copies) | {n} | | {_mb(self.first_load_served('chromium'))} |",
            f"| app.tar.gz (app + __pypackages__) | 1 | {_mb(self.app_archive_bytes)} | "
            f"{_mb(self.app_archive_bytes)} |",
            "",
            f"Trimmed from the published site: {_mb(self.trimmed_bytes)}. "
            "gzip = each file gzipped at level 6, or kept as is when that is not smaller.",
            "Rive CDN request: " + ("removed (inert data: script)" if self.rive_removed
                                    else "NOT removed (the app works with it blocked)"),
            f"Bytecode: {self.bytecode}",
            "Content updates: " + (
                f"from {self.update_url} (that host must send CORS headers; see the README)"
                if self.update_url else "off (no --update-url; bundled content only)"),
            f"Trusted publisher keys: {self.trusted_keys}",
            "Bundled: " + ", ".join(f"{k} {v}" for k, v in self.packages.items()),
            "",
            "Largest precached files (Chromium):",
        ]
        by_path = {f.path: f for f in self.files}
        biggest = sorted((by_path[p] for p in self.precache["chromium"]), key=lambda f: -f.raw)
        for f in biggest[:8]:
            lines.append(f"- {f.path}: {_mb(f.raw)} ({_mb(f.gzip)} gzip)")
        return "\n".join(lines)


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def measure(out: Path, files: list[str]) -> list[FileSize]:
    """Raw, gzip and served sizes of ``files`` (relative to ``out``)."""
    sizes: list[FileSize] = []
    for rel in files:
        path = out / rel
        data = path.read_bytes()
        packed = len(gzip.compress(data, compresslevel=6, mtime=0))
        copies = [path.with_name(path.name + s) for s in ENCODINGS.values()]
        served = min([len(data), *(c.stat().st_size for c in copies if c.is_file())])
        sizes.append(FileSize(rel, len(data), min(len(data), packed), served))
    return sizes
