"""Build the installable, offline PWA: the whole app (Python included) as a static site.

``build_pwa()`` runs ``flet publish main.py --no-cdn`` on a staging copy of the app and fixes
what Flet 1.0.5 gets wrong offline (``../shared/docs/flet-1.0.5-notes.md`` §4):

1. python-build manifest: a local one via ``FLET_PYTHON_BUILD_MANIFEST`` (publish otherwise
   downloads it from GitHub);
2. Pyodide runtime: a local cache via ``FLET_CACHE_DIR``, filled from the Pyodide that ships in
   ``flet_web/web/pyodide`` with ``info.version`` added to ``pyodide-lock.json`` (publish's cache
   check looks for that key and would otherwise download ``pyodide-core`` from GitHub);
3. ``flet.pyodideUrl``: ``"./pyodide/pyodide.mjs"`` instead of the bare module specifier
   ``"pyodide/pyodide.mjs"``, which ``import()`` in the module worker rejects;
4. Python packages: every dependency is installed into the app archive's ``__pypackages__``
   (Pyodide-ABI wheels from the package index for ``pydantic-core`` and ``msgpack``), the
   staging copy has no ``pyproject.toml`` and its ``requirements.txt`` is one blank line, so
   the worker never calls micropip and the site never contacts a package index.

Then it trims what the browser never loads (other renderers, ``.symbols``, ``.map``, the
Pyodide CLI and typings, server-only Flet modules), replaces the CDN URL of the Rive runtime
with an inert ``data:`` script, writes the icons, the web app manifest and a precaching
service worker (``sw.js``) with an "update available" prompt, and reports the first-load
transfer.

Signed content updates (``--update-url URL``, optionally ``--trusted-keys FILE``): the URL is
written into the staged package as ``mobile_app/update_config.json`` (the browser has no
environment variables), a replacement ``trusted_keys.json`` likewise; the source tree is never
touched. The service worker leaves every request to another origin, every ``no-store`` request
(how the app downloads updates) and everything below the update URL to the network, so the
update host's ``manifest.json`` and ``docs/*`` are never answered from its cache.

Start-up time (Python in the browser is the slow part):

- **Bytecode.** Pyodide's ``python_stdlib.zip`` holds only sources, so every start compiled
  each standard-library module it imported (most of ``loadPyodide``'s time), and the app and
  its packages were compiled from source too. When Node.js is available the build runs the
  same Pyodide under Node, imports what the app imports at start, and adds unchecked-hash
  ``.pyc`` files for exactly those modules (next to the sources, so tracebacks keep their
  lines). Without Node the site still works, only slower to start.
- **Prewarm.** ``python.js`` starts the Python worker as soon as the page loads, and the
  worker loads Pyodide, unpacks the app and imports it while Flutter boots, instead of waiting
  for Flutter to ask for it.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "BROWSER_PACKAGES",
    "DEFAULT_OUT",
    "BuildError",
    "BuildReport",
    "PyodideRuntime",
    "build_pwa",
    "pyodide_runtime",
    "refresh_service_worker",
    "register",
    "update_base_url",
]

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "build" / "pwa"
DEFAULT_CACHE = ROOT / "build" / ".pwa-cache"

APP_NAME = "BoneMets Pocket"
SHORT_NAME = "BoneMets"
DESCRIPTION = "Offline clinical quick reference for bone-metastasis care"
THEME_COLOR = "#1565C0"
BACKGROUND_COLOR = "#FFFFFF"

#: Python distributions the app needs in the browser (pinned to the versions in this venv).
#: ``httpx`` is left out: nothing imports it at start-up, and it cannot open sockets in the
#: browser anyway.
BROWSER_PACKAGES = (
    "flet",
    "repath",
    "six",
    "msgpack",
    "tinydb",
    "pydantic",
    "pydantic-core",
    "typing-extensions",
    "typing-inspection",
    "annotated-types",
    "ecdsa",
)

#: What goes into the app archive: the entry point and the package, minus build tooling.
APP_SOURCES = ("main.py", "mobile_app")
_APP_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")
_APP_SKIP_DIRS = (Path("mobile_app") / "tools",)

#: Deleted from ``__pypackages__``: server-only modules, tests, typings, bytecode.
_PYPACKAGES_TRIM = (
    "**/__pycache__",
    "**/*.pyi",
    "**/py.typed",
    "flet/fastapi",
    "flet/testing",
    "flet/pytest_plugin.py",
    "flet/cli.py",
    "ecdsa/test_*.py",
    "pydantic/mypy.py",
    "*.dist-info/RECORD",
    "*.dist-info/INSTALLER",
    "*.dist-info/REQUESTED",
    "*.dist-info/sboms",
    "*.dist-info/direct_url.json",
    "bin",
)

#: Deleted from the published site: never requested by the chosen renderer (CanvasKit with
#: dart2js, as ``flet publish`` chooses), debug files, the Pyodide CLI and typings, the micropip
#: wheels (micropip is never used), Flutter's self-unregistering service worker, and the
#: assets of controls this app does not use (KaTeX fonts are also taken out of FontManifest).
_SITE_TRIM = (
    "**/*.symbols",
    "**/*.map",
    "main.dart.wasm",
    "main.dart.mjs",
    "flutter.js",
    "flutter_service_worker.js",
    "canvaskit/skwasm*",
    "canvaskit/wimp*",
    "canvaskit/experimental_webparagraph",
    "pyodide/*.d.ts",
    "pyodide/python",
    "pyodide/python.bat",
    "pyodide/python.exe",
    "pyodide/python_cli_entry.mjs",
    "pyodide/package.json",
    "pyodide/pyodide.js",
    "pyodide/micropip-*.whl",
    "pyodide/packaging-*.whl",
    "assets/packages/flutter_math_fork",
    "assets/packages/media_kit",
    "assets/packages/record_web",
    "assets/packages/wakelock_plus",
    "assets/packages/flutter_map",
)
_UNUSED_FONT_FAMILIES = re.compile(r"^packages/flutter_math_fork/")

#: Served but not precached: the licence texts (only read by a licence page).
_NOT_PRECACHED = {"NOTICES", "assets/NOTICES", "sw.js"}
#: CanvasKit builds; Flutter picks "chromium" on Blink with ImageDecoder and the V8 break
#: iterator, else the full build. The service worker precaches the one the browser uses.
_CANVASKIT_VARIANTS = {
    "chromium": ("canvaskit/chromium/canvaskit.js", "canvaskit/chromium/canvaskit.wasm"),
    "full": ("canvaskit/canvaskit.js", "canvaskit/canvaskit.wasm"),
}

_RIVE_CDN = re.compile(r'"https://cdn\.jsdelivr\.net/npm/@rive-app/[^"]*"')
# The client appends "wasm/rive_native.js" and waits for the script's load event; a failed
# load never fires it, so the Rive future just stays pending. This script loads, defines the
# expected global, and returns a promise that stays pending: the same outcome, no request.
_RIVE_STUB = ('"data:text/javascript,'
              'self.RiveNative=function(){return new Promise(function(){})};//"')
_SW_SETTINGS = re.compile(r"\s*serviceWorkerSettings:\s*\{[^{}]*\},")
_PYODIDE_URL_BAD = 'flet.pyodideUrl="pyodide/pyodide.mjs";'
_PYODIDE_URL_OK = 'flet.pyodideUrl="./pyodide/pyodide.mjs";'

#: Imported (and compiled to bytecode) at build time, and imported by the prewarm at start.
_STARTUP_IMPORTS = (
    "tarfile", "shutil", "runpy", "tomllib", "traceback", "urllib.parse", "asyncio",
    "pyodide.http", "pyodide.ffi", "msgpack", "flet", "flet.app",
    "flet.messaging.pyodide_connection", "mobile_app.app", "mobile_app.store.browser",
)
_STARTUP_CALLS = ("mobile_app.app:knowledge_base",)
#: What the prewarm imports: the app's import-time work, nothing it would only do to render.
_PREWARM_IMPORTS = ("msgpack", "flet", "flet.app", "mobile_app.app", "mobile_app.store.browser")
_NOT_IMPORTED_AT_BUILD = ("mobile_app.cli", "mobile_app.__main__")
#: The publisher's signed manifest (below the update URL).
MANIFEST_NAME = "manifest.json"


class BuildError(RuntimeError):
    """The PWA could not be built; the message says which step failed and why."""


@dataclass(frozen=True)
class PyodideRuntime:
    """The Pyodide that ships in ``flet_web`` (the browser's Python)."""

    version: str  # e.g. "314.0.7"
    python: str  # e.g. "3.14.2"
    abi: str  # e.g. "2026_0"
    source: Path  # flet_web/web/pyodide

    @property
    def short(self) -> str:
        """``3.14``."""
        return ".".join(self.python.split(".")[:2])

    @property
    def platform_tag(self) -> str:
        """The wheel platform tag, ``pyemscripten_2026_0_wasm32``."""
        return f"pyemscripten_{self.abi}_wasm32"


@dataclass(frozen=True)
class FileSize:
    """One file of the site: raw and gzip-compressed sizes."""

    path: str
    raw: int
    gzip: int


@dataclass
class BuildReport:
    """What was built, and what the first visit downloads."""

    out: Path
    version: str
    seconds: float
    runtime: PyodideRuntime
    files: list[FileSize]
    precache: dict[str, list[str]]  # variant -> URLs relative to the site root
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


# --------------------------------------------------------------------------------------------
# Runtime, manifest and caches (fixes 1 and 2)


def _flet_web_dir() -> Path:
    if os.environ.get("FLET_WEB_PATH"):
        return Path(os.environ["FLET_WEB_PATH"])
    spec = importlib.util.find_spec("flet_web")
    if spec is None or spec.origin is None:
        raise BuildError("flet-web is not installed: pip install -e '.[web]'")
    return Path(spec.origin).parent / "web"


def pyodide_runtime() -> PyodideRuntime:
    """Describe the Pyodide runtime bundled with ``flet_web``."""
    source = _flet_web_dir() / "pyodide"
    try:
        lock = json.loads((source / "pyodide-lock.json").read_text(encoding="utf-8"))
        package = json.loads((source / "package.json").read_text(encoding="utf-8"))
        info = lock["info"]
        return PyodideRuntime(version=str(package["version"]), python=str(info["python"]),
                              abi=str(info["abi_version"]), source=source)
    except (OSError, KeyError, ValueError) as exc:
        raise BuildError(f"cannot read the Pyodide runtime in {source}: {exc}") from exc


def _write_python_manifest(runtime: PyodideRuntime, cache: Path) -> Path:
    """Fix 1: the python-build manifest ``flet publish`` would fetch from GitHub."""
    manifest = {
        "default_python_version": runtime.short,
        "pythons": {runtime.short: {"full_version": runtime.python,
                                    "pyodide_version": runtime.version,
                                    "android_abis": []}},
    }
    path = cache / "python-build-manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return path


def _prepare_pyodide_cache(runtime: PyodideRuntime, flet_cache: Path) -> None:
    """Fix 2: ``$FLET_CACHE_DIR/pyodide/<version>/`` as publish expects it, from flet_web."""
    target = flet_cache / "pyodide" / runtime.version
    lock_path = target / "pyodide-lock.json"
    if lock_path.exists():
        try:
            if json.loads(lock_path.read_text("utf-8"))["info"].get("version") == runtime.version:
                return
        except (ValueError, KeyError):
            pass
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for src in runtime.source.iterdir():
        if src.is_file():
            shutil.copy2(src, target / src.name)
    lock = json.loads(lock_path.read_text("utf-8"))
    lock["info"]["version"] = runtime.version
    lock_path.write_text(json.dumps(lock), encoding="utf-8")


# --------------------------------------------------------------------------------------------
# The app archive's contents (fix 4)


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for name in BROWSER_PACKAGES:
        try:
            pins[name] = metadata.version(name)
        except metadata.PackageNotFoundError as exc:
            raise BuildError(f"{name} is not installed in this environment") from exc
    return pins


def _stage_app(staging: Path) -> None:
    for name in APP_SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, staging / name, ignore=_APP_IGNORE)
        else:
            shutil.copy2(src, staging / name)
    for skip in _APP_SKIP_DIRS:
        shutil.rmtree(staging / skip, ignore_errors=True)
    # One blank line: publish keeps it (so it does not default to "flet==<version>"), and the
    # worker skips blank lines, so micropip is never called. No pyproject.toml is staged: the
    # worker would micropip-install its [project].dependencies.
    (staging / "requirements.txt").write_text("\n", encoding="utf-8")


def update_base_url(url: str) -> str:
    """Check an update URL for the browser build and return its base (ending in ``/``).

    Raises:
        BuildError: Not an absolute ``http(s)`` URL, or it has a query or fragment.
    """
    text = url.strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BuildError(f"--update-url must be an absolute http(s) URL; got {url!r}")
    if parts.query or parts.fragment:
        raise BuildError(f"--update-url must not have a query or fragment; got {url!r}")
    if text.endswith("/" + MANIFEST_NAME):
        text = text[: -len(MANIFEST_NAME)]
    return text if text.endswith("/") else text + "/"


def _stage_deployment(staging: Path, update_url: str | None, trusted_keys: Path | None
                      ) -> None:
    """Write the deployment settings into the staged package (never into the source tree).

    - ``mobile_app/update_config.json`` (read by :func:`mobile_app.config.update_url`): the
      update source, or removed when the build has none;
    - ``mobile_app/sync/trusted_keys.json``: replaced by ``trusted_keys`` when given (a
      deployment with its own publisher; the browser has no environment for
      ``BONEMETS_TRUSTED_KEYS``).
    """
    from mobile_app.config import UPDATE_CONFIG_FILE

    config = staging / "mobile_app" / UPDATE_CONFIG_FILE
    if update_url is None:
        config.unlink(missing_ok=True)
    else:
        config.write_text(json.dumps({"update_url": update_url}, indent=1) + "\n",
                          encoding="utf-8")
    if trusted_keys is not None:
        from mobile_app.sync.envelope import TrustedKeys

        try:
            keys = TrustedKeys.from_file(trusted_keys)
        except (OSError, ValueError) as exc:
            raise BuildError(f"--trusted-keys {trusted_keys}: {exc}") from exc
        (staging / "mobile_app" / "sync" / "trusted_keys.json").write_text(
            json.dumps(keys.to_json(), indent=1) + "\n", encoding="utf-8")


def _install_packages(runtime: PyodideRuntime, pins: dict[str, str], target: Path) -> None:
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-compile", "--only-binary=:all:",
        "--python-version", runtime.short, "--implementation", "cp",
        "--abi", "cp" + runtime.short.replace(".", ""),
        "--platform", runtime.platform_tag, "--platform", "any",
        "--target", str(target),
        *(f"{name}=={version}" for name, version in pins.items()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("pip could not fetch the browser wheels "
                         f"({runtime.platform_tag}):\n{proc.stderr[-3000:]}")
    for pattern in _PYPACKAGES_TRIM:
        for path in list(target.glob(pattern)):
            _remove(path)
    for meta in target.glob("*.dist-info/METADATA"):
        # Keep the headers (name, version, licence); drop the long description.
        text = meta.read_text(encoding="utf-8")
        meta.write_text(text.split("\n\n", 1)[0] + "\n", encoding="utf-8")


def _remove(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path)
        return size
    size = path.stat().st_size
    path.unlink()
    return size


# --------------------------------------------------------------------------------------------
# Publishing and fixing the site


def _check_out(out: Path) -> None:
    if out == ROOT or out in ROOT.parents or out == Path.home() or out.parent == out:
        raise BuildError(f"refusing to build into {out}")
    if out.exists() and any(out.iterdir()) and not (out / "index.html").exists():
        raise BuildError(f"{out} is not empty and is not a previous PWA build; "
                         "choose another --out")


def _publish(staging: Path, out: Path, env: dict[str, str], base_url: str,
             route_url_strategy: str) -> str:
    cmd = [
        sys.executable, "-m", "flet_cli.cli", "publish", str(staging / "main.py"),
        "--no-cdn", "--distpath", str(out),
        "--app-name", APP_NAME, "--app-short-name", SHORT_NAME,
        "--app-description", DESCRIPTION,
        "--web-renderer", "canvaskit", "--route-url-strategy", route_url_strategy,
        "--pwa-background-color", BACKGROUND_COLOR, "--pwa-theme-color", THEME_COLOR,
        "--base-url", base_url,
    ]
    proc = subprocess.run(cmd, cwd=staging, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not (out / "index.html").exists():
        raise BuildError(f"flet publish failed (exit {proc.returncode}):\n"
                         f"{(proc.stdout + proc.stderr)[-4000:]}")
    return proc.stdout


def _replace_once(text: str, old: str, new: str, what: str) -> str:
    if text.count(old) != 1:
        raise BuildError(f"cannot patch {what}: expected one {old!r}, found {text.count(old)}")
    return text.replace(old, new)


def _trim_site(out: Path) -> int:
    removed = 0
    for pattern in _SITE_TRIM:
        for path in list(out.glob(pattern)):
            removed += _remove(path)
    font_manifest = out / "assets" / "FontManifest.json"
    fonts = json.loads(font_manifest.read_text("utf-8"))
    fonts = [f for f in fonts if not _UNUSED_FONT_FAMILIES.match(f.get("family", ""))]
    font_manifest.write_text(json.dumps(fonts), encoding="utf-8")
    return removed


def _patch_bootstrap(out: Path) -> None:
    """Keep Flutter's loader from registering its own (self-unregistering) service worker."""
    path = out / "flutter_bootstrap.js"
    text, n = _SW_SETTINGS.subn("", path.read_text("utf-8"))
    if n != 1:
        raise BuildError(f"cannot patch flutter_bootstrap.js: {n} serviceWorkerSettings blocks")
    path.write_text(text, encoding="utf-8")


def _patch_rive(out: Path) -> bool:
    path = out / "main.dart.js"
    text, n = _RIVE_CDN.subn(_RIVE_STUB, path.read_text("utf-8"))
    if n != 1:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def _draw_icon(size: int, maskable: bool) -> Any:
    """A white bone on the theme colour; maskable icons keep it inside the 80 % safe zone."""
    from PIL import Image, ImageDraw

    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    if maskable:
        draw.rectangle((0, 0, s, s), fill=THEME_COLOR)
    else:
        draw.rounded_rectangle((0, 0, s - 1, s - 1), radius=int(s * 0.22), fill=THEME_COLOR)
    bone = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    b = ImageDraw.Draw(bone)
    length = s * (0.66 if maskable else 0.78)
    c = s / 2
    r = length * 0.13
    knob_x, knob_dy, bar = length / 2 - r, r * 0.78, length * 0.17
    b.rectangle((c - knob_x, c - bar / 2, c + knob_x, c + bar / 2), fill="white")
    for sx in (-1, 1):
        for sy in (-1, 1):
            x, y = c + sx * knob_x, c + sy * knob_dy
            b.ellipse((x - r, y - r, x + r, y + r), fill="white")
    img.alpha_composite(bone.rotate(45, resample=Image.Resampling.BICUBIC, center=(c, c)))
    return img.resize((size, size), Image.Resampling.LANCZOS)


def _write_icons(out: Path) -> list[dict[str, str]]:
    icons_dir = out / "icons"
    icons_dir.mkdir(exist_ok=True)
    manifest_icons: list[dict[str, str]] = []
    for size in (192, 512):
        for maskable in (False, True):
            name = f"icons/icon-{'maskable-' if maskable else ''}{size}.png"
            _draw_icon(size, maskable).save(out / name, optimize=True)
            manifest_icons.append({"src": name, "sizes": f"{size}x{size}", "type": "image/png",
                                   "purpose": "maskable" if maskable else "any"})
    _draw_icon(192, True).save(icons_dir / "apple-touch-icon-192.png", optimize=True)
    _draw_icon(256, False).save(icons_dir / "loading-animation.png", optimize=True)
    _draw_icon(32, False).save(out / "favicon.png", optimize=True)
    return manifest_icons


def _write_manifest(out: Path, icons: list[dict[str, str]]) -> None:
    manifest = {
        "id": ".",
        "name": APP_NAME,
        "short_name": SHORT_NAME,
        "description": DESCRIPTION,
        "start_url": ".",
        "scope": ".",
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOR,
        "theme_color": THEME_COLOR,
        "categories": ["medical", "health"],
        "prefer_related_applications": False,
        "icons": icons,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _patch_index(out: Path) -> None:
    path = out / "index.html"
    html = _replace_once(path.read_text("utf-8"), _PYODIDE_URL_BAD, _PYODIDE_URL_OK,
                         "index.html pyodideUrl (fix 3)")
    html = _replace_once(html, "</head>",
                         f'  <meta name="theme-color" content="{THEME_COLOR}">\n</head>',
                         "index.html <head>")
    html = _replace_once(html, "</body>", f"<script>\n{_REGISTER_JS}</script>\n</body>",
                         "index.html <body>")
    path.write_text(html, encoding="utf-8")


def _site_files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _precache_lists(files: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    variant_files = {f for v in _CANVASKIT_VARIANTS.values() for f in v}
    common = [f for f in files if f not in _NOT_PRECACHED and f not in variant_files]
    variants = {k: [f for f in v if f in files] for k, v in _CANVASKIT_VARIANTS.items()}
    for k, v in variants.items():
        if len(v) != 2:
            raise BuildError(f"CanvasKit variant {k!r} is missing from the build")
    return common, variants


def _write_service_worker(out: Path, common: list[str], variants: dict[str, list[str]],
                          update_base: str | None) -> str:
    digest = hashlib.sha256(_SW_TEMPLATE.encode())
    digest.update(json.dumps(update_base).encode() + b"\0")
    for rel in sorted(common + [f for v in variants.values() for f in v]):
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256((out / rel).read_bytes()).digest())
    version = digest.hexdigest()[:16]
    sw = (_SW_TEMPLATE.replace("__VERSION__", version)
          .replace("__UPDATE_BASE__", json.dumps(update_base))
          .replace("__COMMON__", json.dumps(common, indent=1))
          .replace("__VARIANTS__", json.dumps(variants, indent=1)))
    (out / "sw.js").write_text(sw, encoding="utf-8")
    return version


_SW_UPDATE_BASE = re.compile(r"^const UPDATE_BASE = (.*);$", re.MULTILINE)


def _sw_update_base(out: Path) -> str | None:
    """The update URL written into an existing ``sw.js`` (``None`` if none or no file)."""
    try:
        match = _SW_UPDATE_BASE.search((out / "sw.js").read_text("utf-8"))
    except OSError:
        return None
    value = json.loads(match.group(1)) if match else None
    return value if isinstance(value, str) else None


def refresh_service_worker(out: Path) -> str:
    """Rewrite ``sw.js`` for the files now in ``out`` (e.g. after editing a built site).

    The update URL the site was built with (``--update-url``) is kept.

    Returns:
        The new cache version; browsers offer the update on their next check.
    """
    update_base = _sw_update_base(out)
    common, variants = _precache_lists(_site_files(out))
    return _write_service_worker(out, common, variants, update_base)


def _check_scripts(out: Path) -> None:
    """Syntax-check the scripts this build patched or wrote (when Node.js is available)."""
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return
    for rel in ("python.js", "python-worker.js", "sw.js"):
        proc = subprocess.run([node, "--check", str(out / rel)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"{rel} does not parse after patching:\n{proc.stderr[-2000:]}")


def _measure(out: Path, files: list[str]) -> list[FileSize]:
    sizes: list[FileSize] = []
    for rel in files:
        data = (out / rel).read_bytes()
        packed = len(gzip.compress(data, compresslevel=6, mtime=0))
        sizes.append(FileSize(rel, len(data), min(len(data), packed)))
    return sizes


def _ft_names() -> list[str]:
    """``ft.<Name>`` attributes the app uses (Flet imports each one lazily on first use)."""
    names: set[str] = set()
    for path in (ROOT / "mobile_app").rglob("*.py"):
        if "tools" not in path.relative_to(ROOT / "mobile_app").parts:
            names.update(re.findall(r"\bft\.([A-Za-z_]\w*)", path.read_text("utf-8")))
    return sorted(names)


def _app_modules(staging: Path) -> list[str]:
    mods = []
    for path in sorted((staging / "mobile_app").rglob("*.py")):
        parts = list(path.relative_to(staging).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name not in _NOT_IMPORTED_AT_BUILD:
            mods.append(name)
    return mods


def _compile_bytecode(pyodide_dir: Path, staging: Path, stdlib_out: Path, work: Path) -> str:
    """Precompile what the app imports at start, with the browser's own Python (under Node).

    Writes unchecked-hash ``__pycache__/*.pyc`` into ``staging`` and a copy of
    ``python_stdlib.zip`` with ``.pyc`` added for the standard-library modules used at start.

    Returns:
        A one-line summary for the report (also when skipped).
    """
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        return "not precompiled (Node.js not found; the app compiles at each start)"
    shutil.copyfile(pyodide_dir / "python_stdlib.zip", work / "stdlib-src.zip")
    config = {
        "pyodide": str(pyodide_dir), "app": str(staging), "work": str(work),
        "imports": [*_STARTUP_IMPORTS, *_app_modules(staging)],
        "calls": list(_STARTUP_CALLS), "ft_names": _ft_names(),
    }
    (work / "compile.json").write_text(json.dumps(config), encoding="utf-8")
    (work / "compile.mjs").write_text(_NODE_COMPILE_JS, encoding="utf-8")
    (work / "compile.py").write_text(_NODE_COMPILE_PY, encoding="utf-8")
    try:
        proc = subprocess.run([node, str(work / "compile.mjs"), str(work / "compile.json")],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "not precompiled (Node.js step timed out)"
    result = work / "result.json"
    if proc.returncode != 0 or not result.exists():
        for pyc in staging.rglob("__pycache__"):
            shutil.rmtree(pyc, ignore_errors=True)
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        return "not precompiled (Node.js step failed: " + " / ".join(tail) + ")"
    shutil.move(work / "stdlib.zip", stdlib_out)
    done = json.loads(result.read_text("utf-8"))
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("warning")]
    return (f"{done['app']} app/package modules and {done['stdlib']} standard-library modules "
            "precompiled (unchecked-hash .pyc)"
            + (f"; {len(warnings)} import warnings: " + "; ".join(warnings) if warnings
               else ""))


def _patch_prewarm(out: Path) -> None:
    """Start Pyodide and import the app while Flutter boots (see the module docstring)."""
    worker = out / "python-worker.js"
    js = worker.read_text("utf-8")
    js = _replace_once(js, _WORKER_LOAD_OLD, _WORKER_LOAD_NEW, "python-worker.js loadPyodide")
    js = _replace_once(js, _WORKER_SKIP_OLD, _WORKER_SKIP_NEW, "python-worker.js archive step")
    js = _replace_once(js, _WORKER_ONMESSAGE_OLD,
                       _WORKER_PREWARM_JS.replace("__PREWARM_PY__", json.dumps(_prewarm_py()))
                       + _WORKER_ONMESSAGE_NEW,
                       "python-worker.js onmessage")
    worker.write_text(js, encoding="utf-8")
    page = out / "python.js"
    js = _replace_once(page.read_text("utf-8"), _PAGE_WORKER_OLD, _PAGE_WORKER_NEW,
                       "python.js new Worker")
    page.write_text(js + _PAGE_PREWARM_JS, encoding="utf-8")


def _prewarm_py() -> str:
    imports = ", ".join(_PREWARM_IMPORTS)
    calls = "\n".join(f"    __import__({m!r}, fromlist=['_']).{f}()"
                       for m, f in (c.split(":") for c in _STARTUP_CALLS))
    return (
        "import os, sys\n"
        "if not _bonemets_unpacked:\n"
        "    from pyodide.http import pyfetch\n"
        "    _r = await pyfetch(_bonemets_app_package_url)\n"
        "    if _r.ok:\n"
        "        await _r.unpack_archive(format='gztar')\n"
        "        _bonemets_unpacked = True\n"
        "if _bonemets_unpacked:\n"
        "    if os.path.isdir('__pypackages__'):\n"
        "        sys.path.insert(0, '__pypackages__')\n"
        f"    import {imports}\n"
        f"{calls}\n"
        "    _bonemets_prewarmed = True\n"
    )


def build_pwa(out: Path = DEFAULT_OUT, *, base_url: str = "/", route_url_strategy: str = "path",
              cache_dir: Path = DEFAULT_CACHE, update_url: str | None = None,
              trusted_keys_file: Path | None = None) -> BuildReport:
    """Build the offline PWA into ``out`` (replacing a previous build there).

    The site is built next to ``out`` and swapped in only when complete, so a failed build
    leaves the previous one in place (and a deployed site never serves half a build).

    Args:
        out: Output directory (a static site: serve it with any static server).
        base_url: URL path the site is served from (``/`` or e.g. ``/bonemets/``).
        route_url_strategy: ``path`` (``/card/x``) or ``hash`` (``/#/card/x``).
        cache_dir: Where the python-build manifest and the Pyodide cache are kept.
        update_url: Where the app checks for signed content updates (``manifest.json`` and
            ``docs/`` below it; absolute ``http(s)``). Written into the built app's package
            as ``update_config.json``; the service worker never caches anything from it.
            The host must allow the site's origin (CORS). ``None``: no updates.
        trusted_keys_file: A ``trusted_keys.json`` that replaces the publisher keys shipped
            with the app, in the built app only (a deployment with its own publisher).

    Returns:
        What was built and what the first visit downloads.

    Raises:
        BuildError: A step failed (the message says which and why).
    """
    started = time.monotonic()
    out = Path(out).resolve()
    cache_dir = Path(cache_dir).resolve()
    _check_out(out)
    update_base = update_base_url(update_url) if update_url is not None else None
    runtime = pyodide_runtime()
    pins = _pins()
    manifest = _write_python_manifest(runtime, cache_dir)
    flet_cache = cache_dir / "flet"
    _prepare_pyodide_cache(runtime, flet_cache)
    env = {**os.environ, "FLET_PYTHON_BUILD_MANIFEST": str(manifest),
           "FLET_CACHE_DIR": str(flet_cache), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("FLET_WEB_NO_CDN", None)
    out.parent.mkdir(parents=True, exist_ok=True)
    site = out.with_name(f".{out.name}.building")
    shutil.rmtree(site, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix="bonemets-pwa-") as tmp:
            staging = Path(tmp) / "app"
            staging.mkdir()
            _stage_app(staging)
            _stage_deployment(staging, update_base, trusted_keys_file)
            _install_packages(runtime, pins, staging / "__pypackages__")
            stdlib_zip = Path(tmp) / "python_stdlib.zip"
            bytecode = _compile_bytecode(flet_cache / "pyodide" / runtime.version, staging,
                                         stdlib_zip, Path(tmp))
            _publish(staging, site, env, base_url, route_url_strategy)
            if stdlib_zip.exists():
                shutil.copyfile(stdlib_zip, site / "pyodide" / "python_stdlib.zip")
        trimmed = _trim_site(site)
        _patch_bootstrap(site)
        _patch_prewarm(site)
        rive_removed = _patch_rive(site)
        _write_manifest(site, _write_icons(site))
        _patch_index(site)
        common, variants = _precache_lists(_site_files(site))
        version = _write_service_worker(site, common, variants, update_base)
        _check_scripts(site)
        files = _measure(site, _site_files(site))
    except BaseException:
        shutil.rmtree(site, ignore_errors=True)
        raise
    old = out.with_name(f".{out.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if out.exists():
        out.rename(old)
    site.rename(out)
    shutil.rmtree(old, ignore_errors=True)
    return BuildReport(
        out=out, version=version, seconds=time.monotonic() - started, runtime=runtime,
        files=files, precache={k: common + v for k, v in variants.items()},
        rive_removed=rive_removed, packages=pins, trimmed_bytes=trimmed, bytecode=bytecode,
        update_url=update_base,
        trusted_keys=(f"from {trusted_keys_file} (replacing the shipped keys)"
                      if trusted_keys_file is not None
                      else "shipped (mobile_app/sync/trusted_keys.json)"),
    )


# --------------------------------------------------------------------------------------------
# CLI


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``build-pwa [--out DIR] [--base-url PATH] [--update-url URL] [--trusted-keys FILE]``
    to the ``mobile-app`` command.
    """
    p = subparsers.add_parser(
        "build-pwa", help="build the installable offline PWA (a static site) into build/pwa")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help="output directory (default: build/pwa)")
    p.add_argument("--base-url", default="/",
                   help="URL path the site will be served from (default: /)")
    p.add_argument("--update-url", metavar="URL", default=None,
                   help="publisher URL the app syncs signed content updates from "
                        "(manifest.json and docs/ below it; the host must send CORS headers); "
                        "default: no updates")
    p.add_argument("--trusted-keys", metavar="FILE", type=Path, default=None,
                   help="trusted_keys.json replacing the shipped publisher keys in this build "
                        "(a deployment with its own publisher)")
    p.set_defaults(func=_cmd_build_pwa)


def _cmd_build_pwa(args: argparse.Namespace) -> int:
    try:
        report = build_pwa(args.out, base_url=args.base_url, update_url=args.update_url,
                           trusted_keys_file=args.trusted_keys)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.format())
    return 0


# --------------------------------------------------------------------------------------------
# Browser code

_SW_TEMPLATE = r"""'use strict';
// BoneMets Pocket service worker (generated by `mobile-app build-pwa`; do not edit).
// Precaches the app shell, the Python archive, Pyodide, CanvasKit and fonts into one
// versioned cache. Install is all-or-nothing; the new version waits until the page asks it
// to take over (the "Update available" prompt); activation deletes older caches.
const VERSION = '__VERSION__';
const PREFIX = 'bonemets-pwa-';
const CACHE = PREFIX + VERSION;
const COMMON = __COMMON__;
const VARIANTS = __VARIANTS__;
const variant = new URL(self.location.href).searchParams.get('ck');
const PRECACHE = COMMON.concat(
  VARIANTS[variant] || Object.keys(VARIANTS).flatMap((k) => VARIANTS[k]));
const INDEX = new URL('index.html', self.registration.scope).href;
// Where signed content updates come from (`build-pwa --update-url`), or null. Its
// manifest.json and docs/* are always fetched from the network, never cached here.
const UPDATE_BASE = __UPDATE_BASE__;
const BYPASS = UPDATE_BASE && !self.registration.scope.startsWith(UPDATE_BASE) ? UPDATE_BASE
  : null;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    try {
      // 'no-cache' revalidates with the server, so an update never mixes in stale files.
      await cache.addAll(PRECACHE.map((u) => new Request(u, { cache: 'no-cache' })));
    } catch (err) {
      await caches.delete(CACHE);
      throw err;
    }
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith(PREFIX) && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  if (event.data && event.data.type === 'SKIP_WAITING') self.skipWaiting();
});

async function fromCache(request) {
  const cache = await caches.open(CACHE);
  return (await cache.match(request)) || (await cache.match(request, { ignoreSearch: true }));
}

async function navigation(request) {
  const cache = await caches.open(CACHE);
  const hit = (await cache.match(request, { ignoreSearch: true })) || (await cache.match(INDEX));
  return hit || fetch(request);
}

async function cacheFirst(request) {
  const hit = await fromCache(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok && response.type === 'basic' && !request.headers.has('range')) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy)).catch(() => {});
  }
  return response;
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  // Not answered here (the browser goes to the network as if there were no service worker):
  // other origins (e.g. the update host), explicit network fetches (the app downloads content
  // updates with cache: 'no-store'), and anything below the update URL on this origin.
  if (url.origin !== self.location.origin) return;
  if (request.cache === 'no-store' && request.mode !== 'navigate') return;
  if (BYPASS && request.url.startsWith(BYPASS)) return;
  event.respondWith(request.mode === 'navigate' ? navigation(request) : cacheFirst(request));
});
"""

_REGISTER_JS = r"""(function () {
  // Offline support: register the precaching service worker, and offer a reload when a new
  // build has been installed and is waiting (never switch versions under a running app).
  if (!('serviceWorker' in navigator)) return;
  var blink = navigator.vendor === 'Google Inc.' || navigator.userAgent.indexOf('Edg/') >= 0;
  var chromiumCanvasKit = blink && typeof ImageDecoder !== 'undefined' &&
    typeof Intl.v8BreakIterator !== 'undefined' && typeof Intl.Segmenter !== 'undefined';
  var swUrl = 'sw.js?ck=' + (chromiumCanvasKit ? 'chromium' : 'full');
  var userAskedReload = false;

  function showUpdate(reg) {
    if (document.getElementById('pwa-update')) return;
    var bar = document.createElement('div');
    bar.id = 'pwa-update';
    bar.setAttribute('role', 'alert');
    bar.style.cssText = 'position:fixed;left:50%;top:12px;transform:translateX(-50%);' +
      'z-index:2147483647;display:flex;gap:12px;align-items:center;padding:8px 8px 8px 16px;' +
      'border-radius:12px;background:#1565C0;color:#fff;box-shadow:0 4px 16px rgba(0,0,0,.3);' +
      'font:14px/1.4 Roboto,system-ui,sans-serif;max-width:calc(100vw - 24px)';
    var text = document.createElement('span');
    text.textContent = 'Update available';
    var reload = document.createElement('button');
    reload.type = 'button';
    reload.textContent = 'Reload';
    reload.style.cssText = 'font:inherit;font-weight:600;border:0;border-radius:8px;' +
      'padding:6px 14px;background:#fff;color:#1565C0;cursor:pointer';
    text.style.whiteSpace = 'nowrap';
    reload.addEventListener('click', function () {
      var waiting = reg.waiting;
      if (!waiting) { location.reload(); return; }
      userAskedReload = true;
      reload.disabled = true;
      waiting.postMessage({ type: 'SKIP_WAITING' });
    });
    var later = document.createElement('button');
    later.type = 'button';
    later.textContent = 'Later';
    later.setAttribute('aria-label', 'Dismiss update notice');
    later.style.cssText = 'font:inherit;border:0;background:transparent;color:#fff;' +
      'padding:6px 8px;cursor:pointer';
    later.addEventListener('click', function () { bar.remove(); });
    bar.append(text, reload, later);
    document.body.appendChild(bar);
  }

  navigator.serviceWorker.addEventListener('controllerchange', function () {
    if (userAskedReload) { userAskedReload = false; location.reload(); }
  });

  window.addEventListener('load', function () {
    navigator.serviceWorker.register(swUrl).then(function (reg) {
      if (reg.waiting && navigator.serviceWorker.controller) showUpdate(reg);
      reg.addEventListener('updatefound', function () {
        var worker = reg.installing;
        if (!worker) return;
        worker.addEventListener('statechange', function () {
          if (worker.state === 'installed' && navigator.serviceWorker.controller) showUpdate(reg);
        });
      });
      document.addEventListener('visibilitychange', function () {
        if (document.visibilityState === 'visible') reg.update().catch(function () {});
      });
    }).catch(function (err) { console.warn('Service worker registration failed:', err); });
    if (navigator.storage && navigator.storage.persist) {
      navigator.storage.persist().catch(function () {});
    }
  });
})();
"""

# Prewarm patches (python-worker.js / python.js of flet_web 1.0.5; each must match once).
_WORKER_LOAD_OLD = """        const pyodideModule = await import(self.pyodideUrl);
        const loadPyodide = pyodideModule.loadPyodide || self.loadPyodide;
        self.pyodide = await loadPyodide({
            stdout: (text) => self.sendPythonOutput(text, false),
            stderr: (text) => self.sendPythonOutput(text, true),
        });
        self.pyodide.registerJsModule("flet_js", flet_js);"""
_WORKER_LOAD_NEW = """        // BoneMets: reuse the runtime the prewarm started (tools/pwa.py).
        self.pyodide = (self.prewarmed && await self.prewarmed.catch(() => null)) ||
            await self.loadPyodideRuntime(self.pyodideUrl);
        self.pyodide.registerJsModule("flet_js", flet_js);"""
_WORKER_SKIP_OLD = """        if "script" not in py_args:"""
_WORKER_SKIP_NEW = """        if globals().get("_bonemets_prewarmed"):
            print("App archive already unpacked by the prewarm")
        elif "script" not in py_args:"""
_WORKER_ONMESSAGE_OLD = """self.onmessage = async (event) => {
    // run only once
    if (!self.initialized) {"""
_WORKER_ONMESSAGE_NEW = """self.onmessage = async (event) => {
    if (event.data && event.data.bonemetsPrewarm) {
        if (!self.prewarmed && !self.initialized) self.prewarm(event.data.bonemetsPrewarm);
        return;
    }
    // run only once
    if (!self.initialized) {"""
_WORKER_PREWARM_JS = r"""// BoneMets prewarm (added by mobile_app/tools/pwa.py): load Pyodide,
// unpack the app and import it as soon as the page starts the worker, before Flutter asks.
self.loadPyodideRuntime = async function (url) {
    const pyodideModule = await import(url);
    const loadPyodide = pyodideModule.loadPyodide || self.loadPyodide;
    return await loadPyodide({
        stdout: (text) => self.sendPythonOutput(text, false),
        stderr: (text) => self.sendPythonOutput(text, true),
    });
};
// Unpack the app archive (an uncompressed tar) into Pyodide's filesystem: much faster than
// Python's tarfile in WebAssembly. Regular files and directories only; no ".." paths.
self.untarInto = function (FS, bytes, dest) {
    const decoder = new TextDecoder();
    const text = (start, length) => {
        let end = start;
        while (end < start + length && bytes[end] !== 0) end++;
        return decoder.decode(bytes.subarray(start, end));
    };
    let offset = 0;
    let longName = null;
    while (offset + 512 <= bytes.length && bytes[offset] !== 0) {
        let name = text(offset, 100);
        const size = parseInt(text(offset + 124, 12).trim() || "0", 8);
        const type = String.fromCharCode(bytes[offset + 156] || 48);
        if (bytes[offset + 262] === 0 && text(offset + 257, 5) === "ustar") {
            const prefix = text(offset + 345, 155);  // POSIX ustar only (not GNU)
            if (prefix) name = prefix + "/" + name;
        }
        const data = offset + 512;
        if (type === "L") {
            longName = text(data, size);
        } else if (type === "x") {
            const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text(data, size));
            if (match) longName = match[1];
        } else if (type !== "g") {
            if (longName !== null) { name = longName; longName = null; }
            name = name.replace(/^(\.?\/)+/, "").replace(/\/+$/, "");
            if (name.split("/").includes("..")) throw new Error("unsafe path: " + name);
            if (name && type === "5") {
                FS.mkdirTree(dest + "/" + name);
            } else if (name && (type === "0" || type === "7")) {
                const slash = name.lastIndexOf("/");
                if (slash > 0) FS.mkdirTree(dest + "/" + name.slice(0, slash));
                FS.writeFile(dest + "/" + name, bytes.subarray(data, data + size));
            }
        }
        offset = data + Math.ceil(size / 512) * 512;
    }
};
self.prewarmed = null;
self.prewarm = function (config) {
    self.prewarmed = (async () => {
        // Fetch and gunzip the app archive while Pyodide loads.
        const archive = fetch(config.appPackageUrl).then((response) => response.ok &&
            /\.(tar\.gz|tgz)$/.test(new URL(response.url).pathname) ?
            new Response(response.body.pipeThrough(new DecompressionStream("gzip")))
                .arrayBuffer() : null).catch(() => null);
        const py = await self.loadPyodideRuntime(config.pyodideUrl);
        py.registerJsModule("flet_js", self.flet_js);
        try {
            let unpacked = false;
            const tar = await archive;
            if (tar) {
                try {
                    self.untarInto(py.FS, new Uint8Array(tar), py.FS.cwd());
                    unpacked = true;
                } catch (error) {
                    console.warn("Could not unpack the app archive in JS:", error);
                }
            }
            py.globals.set("_bonemets_unpacked", unpacked);
            py.globals.set("_bonemets_app_package_url", config.appPackageUrl);
            await py.runPythonAsync(__PREWARM_PY__);
        } catch (error) {
            console.warn("Python prewarm failed; starting normally:", error);
        }
        return py;
    })();
};

"""
_PAGE_WORKER_OLD = "    app.worker = new Worker("
_PAGE_WORKER_NEW = "    app.worker = _takePrewarmedWorker() || new Worker("
_PAGE_PREWARM_JS = """
// BoneMets prewarm (added by mobile_app/tools/pwa.py): start the Python worker now, so
// Pyodide loads while Flutter boots; jsConnect then takes this worker.
let _prewarmedWorker = null;
function _takePrewarmedWorker() {
    const worker = _prewarmedWorker;
    _prewarmedWorker = null;
    return worker;
}
if (flet.pyodide) {
    try {
        _prewarmedWorker = new Worker(
            (flet.entrypointBaseUrl.endsWith("/") ?
                flet.entrypointBaseUrl.slice(0, -1) : flet.entrypointBaseUrl) + "/python-worker.js",
            { type: "module" });
        _prewarmedWorker.postMessage({ bonemetsPrewarm: {
            pyodideUrl: flet.pyodideUrl || "pyodide/pyodide.mjs",
            appPackageUrl: flet.appPackageUrl,
        } });
    } catch (error) {
        console.warn("Could not prewarm the Python worker:", error);
        _prewarmedWorker = null;
    }
}
"""

# Bytecode compilation under Node.js with the browser's Pyodide.
_NODE_COMPILE_JS = """import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { loadPyodide } = await import(pathToFileURL(config.pyodide + '/pyodide.mjs').href);
const py = await loadPyodide({ indexURL: config.pyodide + '/' });
py.registerJsModule('flet_js', {});
for (const [mount, root] of [['/app', config.app], ['/work', config.work]]) {
  py.FS.mkdirTree(mount);
  py.FS.mount(py.FS.filesystems.NODEFS, { root }, mount);
}
py.globals.set('CONFIG_JSON', JSON.stringify(config));
await py.runPythonAsync(readFileSync(config.work + '/compile.py', 'utf8'));
"""
_NODE_COMPILE_PY = """
import importlib, importlib.util, json, os, py_compile, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

cfg = json.loads(CONFIG_JSON)
sys.dont_write_bytecode = True
os.chdir('/app')
sys.path[:0] = ['/app/__pypackages__', '/app']
for name in cfg['imports']:
    try:
        importlib.import_module(name)
    except Exception as exc:
        print(f'warning: import {name}: {exc!r}')
for call in cfg['calls']:
    module, func = call.split(':')
    getattr(importlib.import_module(module), func)()
import flet as ft
for name in cfg['ft_names']:
    try:
        getattr(ft, name)
    except Exception:
        pass

zip_prefix = next(p for p in sys.path if p.endswith('.zip')) + '/'
app_files, std_members = set(), set()
for module in list(sys.modules.values()):
    f = getattr(module, '__file__', None) or ''
    if f.startswith('/app/') and f.endswith('.py'):
        app_files.add(f)
    elif f.startswith(zip_prefix) and f.endswith('.py'):
        std_members.add(f[len(zip_prefix):])
for f in sorted(app_files):
    py_compile.compile(f, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)

with zipfile.ZipFile('/work/stdlib-src.zip') as src, zipfile.ZipFile(
        '/work/stdlib.zip', 'w', compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
    for info in src.infolist():
        data = src.read(info)
        out.writestr(info, data, compresslevel=9)
        if info.filename in std_members:
            code = compile(data, zip_prefix + info.filename, 'exec', dont_inherit=True)
            pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            entry = zipfile.ZipInfo(info.filename[:-3] + '.pyc', date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(entry, bytes(pyc), compresslevel=9)
with open('/work/result.json', 'w') as fh:
    json.dump({'app': len(app_files), 'stdlib': len(std_members)}, fh)
"""
