"""The browser's Python: the Pyodide runtime shipped in ``flet_web``, and fixes 1 and 2.

Flet 1.0.5's ``flet publish --no-cdn`` downloads two things it already has locally
(``../shared/docs/flet-1.0.5-notes.md`` §4):

1. the python-build manifest (from GitHub): written locally and passed through
   ``FLET_PYTHON_BUILD_MANIFEST`` (:func:`write_python_manifest`);
2. ``pyodide-core`` (from GitHub), because publish's cache check looks for
   ``pyodide-lock.json["info"]["version"]``, which the 314.0.7 lock lacks: the cache under
   ``FLET_CACHE_DIR`` is filled from ``flet_web/web/pyodide`` with that key added
   (:func:`prepare_pyodide_cache`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mobile_app.tools.pwa.errors import BuildError

__all__ = [
    "PyodideRuntime",
    "flet_web_dir",
    "prepare_pyodide_cache",
    "pyodide_runtime",
    "write_python_manifest",
]


@dataclass(frozen=True)
class PyodideRuntime:
    """The Pyodide that ships in ``flet_web`` (the browser's Python)."""

    version: str
    """Pyodide version, e.g. ``314.0.7``."""
    python: str
    """Python version, e.g. ``3.14.2``."""
    abi: str
    """Emscripten ABI, e.g. ``2026_0``."""
    source: Path
    """``flet_web/web/pyodide``."""

    @property
    def short(self) -> str:
        """``3.14``."""
        return ".".join(self.python.split(".")[:2])

    @property
    def platform_tag(self) -> str:
        """The wheel platform tag, ``pyemscripten_2026_0_wasm32``."""
        return f"pyemscripten_{self.abi}_wasm32"


def flet_web_dir() -> Path:
    """``flet_web/web``: the prebuilt Flutter client (``FLET_WEB_PATH`` overrides it)."""
    if os.environ.get("FLET_WEB_PATH"):
        return Path(os.environ["FLET_WEB_PATH"])
    spec = importlib.util.find_spec("flet_web")
    if spec is None or spec.origin is None:
        raise BuildError("flet-web is not installed: pip install -e '.[web]'")
    return Path(spec.origin).parent / "web"


def pyodide_runtime() -> PyodideRuntime:
    """Describe the Pyodide runtime bundled with ``flet_web``.

    Raises:
        BuildError: The runtime's ``pyodide-lock.json`` or ``package.json`` is unreadable.
    """
    source = flet_web_dir() / "pyodide"
    try:
        lock = json.loads((source / "pyodide-lock.json").read_text(encoding="utf-8"))
        package = json.loads((source / "package.json").read_text(encoding="utf-8"))
        info = lock["info"]
        return PyodideRuntime(version=str(package["version"]), python=str(info["python"]),
                              abi=str(info["abi_version"]), source=source)
    except (OSError, KeyError, ValueError) as exc:
        raise BuildError(f"cannot read the Pyodide runtime in {source}: {exc}") from exc


def write_python_manifest(runtime: PyodideRuntime, cache: Path) -> Path:
    """Fix 1: the python-build manifest ``flet publish`` would fetch from GitHub.

    Returns:
        Its path, for ``FLET_PYTHON_BUILD_MANIFEST``.
    """
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


def prepare_pyodide_cache(runtime: PyodideRuntime, flet_cache: Path) -> Path:
    """Fix 2: ``$FLET_CACHE_DIR/pyodide/<version>/`` as publish expects it, from flet_web.

    Returns:
        The cached runtime directory.
    """
    target = flet_cache / "pyodide" / runtime.version
    lock_path = target / "pyodide-lock.json"
    if lock_path.exists():
        try:
            if json.loads(lock_path.read_text("utf-8"))["info"].get("version") == runtime.version:
                return target
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
    return target
