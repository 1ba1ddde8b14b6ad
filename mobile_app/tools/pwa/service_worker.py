"""The precaching service worker (``sw.js``, from ``js/sw.js``) and its file lists.

The cache version is a hash of the template, the update URL and every precached file, so any
change to the site is a new version: the browser installs it in the background and the page
offers "Update available — Reload".
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from mobile_app.tools.pwa.errors import BuildError
from mobile_app.tools.pwa.patches import JS_DIR

__all__ = ["CANVASKIT_VARIANTS", "precache_lists", "refresh_service_worker", "site_files",
           "write_service_worker"]

#: Served but not precached: the licence texts (only read by a licence page), the service
#: worker itself, and precompressed copies (the server sends them in place of the originals).
_NOT_PRECACHED = {"NOTICES", "assets/NOTICES", "sw.js"}
_NOT_PRECACHED_SUFFIXES = (".gz", ".br")
#: CanvasKit builds; Flutter picks "chromium" on Blink with ImageDecoder and the V8 break
#: iterator, else the full build. The service worker precaches the one the browser uses.
CANVASKIT_VARIANTS = {
    "chromium": ("canvaskit/chromium/canvaskit.js", "canvaskit/chromium/canvaskit.wasm"),
    "full": ("canvaskit/canvaskit.js", "canvaskit/canvaskit.wasm"),
}
_SW_UPDATE_BASE = re.compile(r"^const UPDATE_BASE = (.*);$", re.MULTILINE)


def site_files(site: Path) -> list[str]:
    """Every file of the site, relative, sorted."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())


def precache_lists(files: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """(files every browser precaches, CanvasKit variant → its two files).

    Raises:
        BuildError: A CanvasKit variant is missing.
    """
    variant_files = {f for v in CANVASKIT_VARIANTS.values() for f in v}
    names = set(files)
    common = [f for f in files if f not in _NOT_PRECACHED and f not in variant_files
              and not (f.endswith(_NOT_PRECACHED_SUFFIXES) and f[:-3] in names)]
    variants = {k: [f for f in v if f in files] for k, v in CANVASKIT_VARIANTS.items()}
    for k, v in variants.items():
        if len(v) != 2:
            raise BuildError(f"CanvasKit variant {k!r} is missing from the build")
    return common, variants


def write_service_worker(site: Path, common: list[str], variants: dict[str, list[str]],
                         update_base: str | None) -> str:
    """Write ``sw.js`` precaching ``common`` and one variant.

    Args:
        site: The site directory.
        common: Files every browser precaches.
        variants: CanvasKit variant → its files (the page picks one with ``?ck=``).
        update_base: The content-update URL the service worker must leave to the network.

    Returns:
        The cache version.
    """
    template = (JS_DIR / "sw.js").read_text("utf-8")
    digest = hashlib.sha256(template.encode())
    digest.update(json.dumps(update_base).encode() + b"\0")
    for rel in sorted(common + [f for v in variants.values() for f in v]):
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256((site / rel).read_bytes()).digest())
    version = digest.hexdigest()[:16]
    sw = (template.replace("__VERSION__", version)
          .replace("__UPDATE_BASE__", json.dumps(update_base))
          .replace("__COMMON__", json.dumps(common, indent=1))
          .replace("__VARIANTS__", json.dumps(variants, indent=1)))
    (site / "sw.js").write_text(sw, encoding="utf-8")
    return version


def _sw_update_base(site: Path) -> str | None:
    """The update URL written into an existing ``sw.js`` (``None`` if none or no file)."""
    try:
        match = _SW_UPDATE_BASE.search((site / "sw.js").read_text("utf-8"))
    except OSError:
        return None
    value = json.loads(match.group(1)) if match else None
    return value if isinstance(value, str) else None


def refresh_service_worker(site: Path) -> str:
    """Rewrite ``sw.js`` for the files now in ``site`` (e.g. after editing a built site).

    The update URL the site was built with (``--update-url``) is kept, and the precompressed
    copies are rewritten (none is left stale).

    Returns:
        The new cache version; browsers offer the update on their next check.
    """
    from mobile_app.tools.pwa.app_spec import ROOT
    from mobile_app.tools.pwa.compress import precompress

    update_base = _sw_update_base(site)
    common, variants = precache_lists(site_files(site))
    version = write_service_worker(site, common, variants, update_base)
    precompress(site, site_files(site), ROOT / "build" / ".pwa-cache" / "compressed")
    return version
