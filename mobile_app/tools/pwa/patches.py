"""Changes to what ``flet publish`` (Flet 1.0.5) writes, one named function each.

Each text patch must find its anchor exactly once, or the build stops with a
:class:`BuildError` naming the patch: a Flet upgrade that moves the anchor fails loudly
instead of shipping a half-patched site. The JavaScript that the patches add lives in real
files under ``js/`` (syntax-checked with ``node --check`` by the tests and the build).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mobile_app.tools.pwa.app_spec import AppSpec
from mobile_app.tools.pwa.errors import BuildError
from mobile_app.tools.pwa.staging import remove

__all__ = [
    "JS_DIR",
    "add_prewarm",
    "drop_flutter_service_worker",
    "fix_pyodide_url",
    "register_fonts",
    "register_service_worker",
    "stub_rive_cdn",
    "trim_site",
]

JS_DIR = Path(__file__).resolve().parent / "js"

#: Deleted from the published site: never requested by the chosen renderer (CanvasKit with
#: dart2js, as ``flet publish`` chooses), debug files, the Pyodide CLI and typings, the micropip
#: wheels (micropip is never used), Flutter's self-unregistering service worker, and the
#: assets of controls this app does not use (their fonts are also taken out of FontManifest,
#: which Flutter otherwise loads in full at start: KaTeX, Cupertino icons).
SITE_TRIM = (
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
    "assets/packages/cupertino_icons",
)
_UNUSED_FONT_FAMILIES = re.compile(r"^packages/(flutter_math_fork|cupertino_icons)/")

_RIVE_CDN = re.compile(r'"https://cdn\.jsdelivr\.net/npm/@rive-app/[^"]*"')
# The client appends "wasm/rive_native.js" and waits for the script's load event; a failed
# load never fires it, so the Rive future just stays pending. This script loads, defines the
# expected global, and returns a promise that stays pending: the same outcome, no request.
_RIVE_STUB = ('"data:text/javascript,'
              'self.RiveNative=function(){return new Promise(function(){})};//"')
_SW_SETTINGS = re.compile(r"\s*serviceWorkerSettings:\s*\{[^{}]*\},")
_PYODIDE_URL_BAD = 'flet.pyodideUrl="pyodide/pyodide.mjs";'
_PYODIDE_URL_OK = 'flet.pyodideUrl="./pyodide/pyodide.mjs";'

# Anchors in python-worker.js / python.js of flet_web 1.0.5 and what replaces them.
_WORKER_LOAD_OLD = """        const pyodideModule = await import(self.pyodideUrl);
        const loadPyodide = pyodideModule.loadPyodide || self.loadPyodide;
        self.pyodide = await loadPyodide({
            stdout: (text) => self.sendPythonOutput(text, false),
            stderr: (text) => self.sendPythonOutput(text, true),
        });
        self.pyodide.registerJsModule("flet_js", flet_js);"""
_WORKER_LOAD_NEW = """        // BoneMets: reuse the runtime the prewarm started.
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
_PAGE_WORKER_OLD = "    app.worker = new Worker("
_PAGE_WORKER_NEW = "    app.worker = _takePrewarmedWorker() || new Worker("


def _replace_once(text: str, old: str, new: str, what: str) -> str:
    if text.count(old) != 1:
        raise BuildError(f"cannot patch {what}: expected one {old!r}, found {text.count(old)}")
    return text.replace(old, new)


def _js(name: str) -> str:
    return (JS_DIR / name).read_text("utf-8")


def trim_site(site: Path) -> int:
    """Delete what the browser never loads (:data:`SITE_TRIM`) and drop unused font families.

    Returns:
        Bytes removed.
    """
    removed = 0
    for pattern in SITE_TRIM:
        for path in list(site.glob(pattern)):
            removed += remove(path)
    font_manifest = site / "assets" / "FontManifest.json"
    fonts = json.loads(font_manifest.read_text("utf-8"))
    fonts = [f for f in fonts if not _UNUSED_FONT_FAMILIES.match(f.get("family", ""))]
    font_manifest.write_text(json.dumps(fonts), encoding="utf-8")
    return removed


def register_fonts(site: Path, spec: AppSpec) -> None:
    """Move the app's fonts into Flutter's ``assets/`` and list them in ``FontManifest.json``.

    Flutter loads every font of its manifest before the first frame; a font the app only
    names in ``page.fonts`` arrives later, and text drawn before that makes Flutter request a
    Noto fallback font that no build has (a failed request, offline too).
    """
    if not spec.fonts:
        return
    font_manifest = site / "assets" / "FontManifest.json"
    fonts = json.loads(font_manifest.read_text("utf-8"))
    for family, rel in spec.fonts.items():
        target = site / "assets" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        (site / rel).replace(target)
        fonts.append({"family": family, "fonts": [{"asset": rel}]})
    font_manifest.write_text(json.dumps(fonts), encoding="utf-8")


def fix_pyodide_url(site: Path) -> None:
    """Fix 3: ``"./pyodide/pyodide.mjs"``, not the bare specifier ``import()`` rejects."""
    path = site / "index.html"
    path.write_text(_replace_once(path.read_text("utf-8"), _PYODIDE_URL_BAD, _PYODIDE_URL_OK,
                                  "index.html pyodideUrl (fix 3)"), encoding="utf-8")


def drop_flutter_service_worker(site: Path) -> None:
    """Keep Flutter's loader from registering its own (self-unregistering) service worker."""
    path = site / "flutter_bootstrap.js"
    text, n = _SW_SETTINGS.subn("", path.read_text("utf-8"))
    if n != 1:
        raise BuildError(f"cannot patch flutter_bootstrap.js: {n} serviceWorkerSettings blocks")
    path.write_text(text, encoding="utf-8")


def stub_rive_cdn(site: Path) -> bool:
    """Replace the Rive runtime's CDN URL (requested on every load) with an inert script.

    Returns:
        Whether the URL was found and replaced.
    """
    path = site / "main.dart.js"
    text, n = _RIVE_CDN.subn(_RIVE_STUB, path.read_text("utf-8"))
    if n != 1:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def add_prewarm(site: Path) -> None:
    """Start Pyodide and import the app while Flutter boots (``js/*-prewarm.js``)."""
    worker = site / "python-worker.js"
    js = worker.read_text("utf-8")
    js = _replace_once(js, _WORKER_LOAD_OLD, _WORKER_LOAD_NEW, "python-worker.js loadPyodide")
    js = _replace_once(js, _WORKER_SKIP_OLD, _WORKER_SKIP_NEW, "python-worker.js archive step")
    js = _replace_once(js, _WORKER_ONMESSAGE_OLD, _js("worker-prewarm.js") + _WORKER_ONMESSAGE_NEW,
                       "python-worker.js onmessage")
    worker.write_text(js, encoding="utf-8")
    page = site / "python.js"
    js = _replace_once(page.read_text("utf-8"), _PAGE_WORKER_OLD, _PAGE_WORKER_NEW,
                       "python.js new Worker")
    page.write_text(js + "\n" + _js("page-prewarm.js"), encoding="utf-8")


def register_service_worker(site: Path, spec: AppSpec) -> None:
    """Add the theme colour and the service-worker registration (``js/register.js``)."""
    path = site / "index.html"
    html = _replace_once(path.read_text("utf-8"), "</head>",
                         f'  <meta name="theme-color" content="{spec.theme_color}">\n</head>',
                         "index.html <head>")
    html = _replace_once(html, "</body>", f"<script>\n{_js('register.js')}</script>\n</body>",
                         "index.html <body>")
    path.write_text(html, encoding="utf-8")
