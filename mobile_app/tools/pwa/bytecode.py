"""Precompile what the app imports at start, with the browser's own Python (under Node.js).

Pyodide's ``python_stdlib.zip`` holds only sources, so without this every start compiles each
standard-library module it imports (most of ``loadPyodide``'s time), and the app and its
packages are compiled from source too. When Node.js is available the build runs the same
Pyodide under Node, imports what the app imports, and writes unchecked-hash ``.pyc`` files for
exactly those modules (:mod:`mobile_app.tools.pwa.compile_startup`). Without Node the site
still works, only slower to start.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from mobile_app.tools.pwa.app_spec import AppSpec
from mobile_app.tools.pwa.errors import BuildError

__all__ = ["BOOT_IMPORTS", "compile_bytecode", "ft_names", "node"]

_HERE = Path(__file__).resolve().parent

#: What Flet's worker script imports to start any app (``python-worker.js``).
BOOT_IMPORTS = (
    "tarfile", "shutil", "runpy", "tomllib", "traceback", "urllib.parse", "asyncio",
    "pyodide.http", "pyodide.ffi", "msgpack", "flet", "flet.app",
    "flet.messaging.pyodide_connection",
)


def node() -> str | None:
    """The Node.js executable, if installed."""
    return shutil.which("node") or shutil.which("nodejs")


def ft_names(spec: AppSpec) -> list[str]:
    """``ft.<Name>`` attributes the app uses (Flet imports each one lazily on first use)."""
    names: set[str] = set()
    paths = [spec.root / s for s in spec.sources]
    skip = [spec.root / s for s in spec.skip]
    for base in paths:
        for path in ([base] if base.is_file() else sorted(base.rglob("*.py"))):
            if not any(path.is_relative_to(s) for s in skip):
                names.update(re.findall(r"\bft\.([A-Za-z_]\w*)", path.read_text("utf-8")))
    return sorted(names)


def _app_modules(spec: AppSpec, staging: Path) -> list[str]:
    if spec.package is None:
        return []
    mods = []
    for path in sorted((staging / spec.package).rglob("*.py")):
        parts = list(path.relative_to(staging).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        name = ".".join(parts)
        if name not in spec.not_imported:
            mods.append(name)
    return mods


def compile_bytecode(spec: AppSpec, pyodide_dir: Path, staging: Path, stdlib_out: Path,
                     work: Path) -> str:
    """Write bytecode into ``staging`` and a copy of ``python_stdlib.zip`` to ``stdlib_out``.

    Returns:
        A one-line summary for the report (also when skipped).
    """
    exe = node()
    if exe is None:
        return "not precompiled (Node.js not found; the app compiles at each start)"
    shutil.copyfile(pyodide_dir / "python_stdlib.zip", work / "stdlib-src.zip")
    shutil.copyfile(_HERE / "compile_startup.py", work / "compile_startup.py")
    config = {
        "pyodide": str(pyodide_dir), "app": str(staging), "work": str(work),
        "imports": [*BOOT_IMPORTS, *spec.startup_imports, *_app_modules(spec, staging)],
        "calls": list(spec.startup_calls), "ft_names": ft_names(spec),
    }
    (work / "compile.json").write_text(json.dumps(config), encoding="utf-8")
    try:
        proc = subprocess.run([exe, str(_HERE / "js" / "compile.mjs"), str(work / "compile.json")],
                              capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "not precompiled (Node.js step timed out)"
    result = work / "result.json"
    if proc.returncode != 0 or not result.exists():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        # A partial run may have replaced sources by bytecode already: the staging copy is
        # no longer trustworthy, so the build stops rather than ship it.
        raise BuildError("bytecode compilation under Node.js failed: "
                         + " / ".join(line[:300] for line in tail))
    shutil.move(work / "stdlib.zip", stdlib_out)
    done = json.loads(result.read_text("utf-8"))
    warnings = [line for line in proc.stdout.splitlines() if line.startswith("warning")]
    return (f"{done['app']} app modules (with sources), {done['packages']} package modules and "
            f"{done['stdlib']} standard-library modules precompiled (unchecked-hash .pyc; "
            "sources of the precompiled package and standard-library modules not shipped)"
            + (f"; {len(warnings)} import warnings: " + "; ".join(warnings) if warnings
               else ""))
