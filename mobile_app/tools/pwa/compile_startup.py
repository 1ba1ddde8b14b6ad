"""Write bytecode for what the app imports at start, with the browser's own Python.

Runs inside Pyodide under Node.js (``js/compile.mjs`` mounts the staged app at ``/app`` and a
work directory at ``/work``, where this file is copied); nothing here runs on CPython.

- Modules of the app's own package get ``__pycache__/*.pyc`` next to their sources (readable
  tracebacks; the sources are small).
- Modules under ``__pypackages__`` and in ``python_stdlib.zip`` are replaced by sourceless
  ``.pyc`` files (the source is not shipped twice). Modules that were not imported keep their
  source and are compiled by the browser if it ever imports them.

Every ``.pyc`` is an unchecked-hash one: the browser never stats or re-reads the source.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import py_compile
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]

__all__ = ["main"]

APP = "/app/"
PACKAGES = "/app/__pypackages__/"


def _import_everything(cfg: dict[str, list[str]]) -> None:
    for name in cfg["imports"]:
        try:
            importlib.import_module(name)
        except Exception as exc:
            print(f"warning: import {name}: {exc!r}")
    for call in cfg["calls"]:
        module, func = call.split(":")
        getattr(importlib.import_module(module), func)()
    if cfg["ft_names"]:
        import flet as ft

        for name in cfg["ft_names"]:
            try:
                getattr(ft, name)
            except Exception:
                pass


def _sourceless(path: str) -> None:
    with open(path, "rb") as fh:
        source = fh.read()
    code = compile(source, path, "exec", dont_inherit=True)
    pyc = _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
    with open(path[:-3] + ".pyc", "wb") as fh:
        fh.write(bytes(pyc))
    os.remove(path)


def _rewrite_stdlib(zip_prefix: str, members: set[str], src: str, dst: str) -> int:
    written = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(
            dst, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename not in members:
                zout.writestr(info, data, compresslevel=9)
                continue
            code = compile(data, zip_prefix + info.filename, "exec", dont_inherit=True)
            pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
            entry = zipfile.ZipInfo(info.filename[:-3] + ".pyc", date_time=info.date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            zout.writestr(entry, bytes(pyc), compresslevel=9)
            written += 1
    return written


def main(config_json: str) -> None:
    """Import, compile, and write ``/work/result.json`` (module counts)."""
    cfg = json.loads(config_json)
    sys.dont_write_bytecode = True
    os.chdir(APP)
    sys.path[:0] = [PACKAGES.rstrip("/"), APP.rstrip("/")]
    _import_everything(cfg)

    zip_prefix = next(p for p in sys.path if p.endswith(".zip")) + "/"
    app_files: set[str] = set()
    std_members: set[str] = set()
    for module in list(sys.modules.values()):
        f = getattr(module, "__file__", None) or ""
        if f.startswith(APP) and f.endswith(".py"):
            app_files.add(f)
        elif f.startswith(zip_prefix) and f.endswith(".py"):
            std_members.add(f[len(zip_prefix):])
    packages = 0
    for f in sorted(app_files):
        if f.startswith(PACKAGES):
            _sourceless(f)
            packages += 1
        else:
            py_compile.compile(f, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    stdlib = _rewrite_stdlib(zip_prefix, std_members, "/work/stdlib-src.zip", "/work/stdlib.zip")
    with open("/work/result.json", "w") as fh:
        json.dump({"app": len(app_files) - packages, "packages": packages, "stdlib": stdlib}, fh)
