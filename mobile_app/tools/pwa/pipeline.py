"""The build, step by step: stage the app, publish with Flet, fix and trim the site, add the
service worker, measure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mobile_app.tools.pwa import patches
from mobile_app.tools.pwa.app_spec import BONEMETS, ROOT, AppSpec
from mobile_app.tools.pwa.bytecode import compile_bytecode, node
from mobile_app.tools.pwa.compress import originals, precompress
from mobile_app.tools.pwa.errors import BuildError
from mobile_app.tools.pwa.prewarm import CONFIG_NAME, MODULE_NAME
from mobile_app.tools.pwa.report import BuildReport, measure
from mobile_app.tools.pwa.runtime import (
    prepare_pyodide_cache,
    pyodide_runtime,
    write_python_manifest,
)
from mobile_app.tools.pwa.service_worker import precache_lists, site_files, write_service_worker
from mobile_app.tools.pwa.staging import (
    install_packages,
    pins,
    stage_app,
    stage_deployment,
    update_base_url,
)

__all__ = ["DEFAULT_CACHE", "DEFAULT_OUT", "build_pwa"]

DEFAULT_OUT = ROOT / "build" / "pwa"
DEFAULT_CACHE = ROOT / "build" / ".pwa-cache"
_PREWARM_SOURCE = Path(__file__).resolve().parent / "prewarm.py"
#: What every Flet app imports at start; the prewarm imports it before the app's own modules.
_PREWARM_BASE = ("msgpack", "flet", "flet.app")


def _check_out(out: Path) -> None:
    if out == ROOT or out in ROOT.parents or out == Path.home() or out.parent == out:
        raise BuildError(f"refusing to build into {out}")
    if out.exists() and any(out.iterdir()) and not (out / "index.html").exists():
        raise BuildError(f"{out} is not empty and is not a previous PWA build; "
                         "choose another --out")


def _stage_prewarm(spec: AppSpec, staging: Path) -> None:
    shutil.copyfile(_PREWARM_SOURCE, staging / f"{MODULE_NAME}.py")
    config = {"imports": [*_PREWARM_BASE, *spec.startup_imports],
              "calls": list(spec.startup_calls),
              "defer_pydantic_schemas": spec.defer_pydantic_schemas}
    (staging / CONFIG_NAME).write_text(json.dumps(config), encoding="utf-8")


def _publish(spec: AppSpec, staging: Path, out: Path, env: dict[str, str], base_url: str,
             route_url_strategy: str) -> str:
    cmd = [
        sys.executable, "-m", "flet_cli.cli", "publish", str(staging / "main.py"),
        "--no-cdn", "--distpath", str(out),
        "--app-name", spec.name, "--app-short-name", spec.short_name,
        "--app-description", spec.description,
        "--web-renderer", "canvaskit", "--route-url-strategy", route_url_strategy,
        "--pwa-background-color", spec.background_color,
        "--pwa-theme-color", spec.theme_color,
        "--base-url", base_url,
    ]
    proc = subprocess.run(cmd, cwd=staging, env=env, capture_output=True, text=True)
    if proc.returncode != 0 or not (out / "index.html").exists():
        raise BuildError(f"flet publish failed (exit {proc.returncode}):\n"
                         f"{(proc.stdout + proc.stderr)[-4000:]}")
    return proc.stdout


def _restore_web_manifest(spec: AppSpec, site: Path) -> None:
    """The app's own ``manifest.json`` (publish rewrites a few fields of whatever is there)."""
    if spec.assets is not None and (spec.assets / "manifest.json").is_file():
        shutil.copyfile(spec.assets / "manifest.json", site / "manifest.json")


def _check_scripts(site: Path) -> None:
    """Syntax-check the scripts this build patched or wrote (when Node.js is available)."""
    exe = node()
    if exe is None:
        return
    for rel in ("python.js", "python-worker.js", "sw.js"):
        proc = subprocess.run([exe, "--check", str(site / rel)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"{rel} does not parse after patching:\n{proc.stderr[-2000:]}")


def build_pwa(out: Path = DEFAULT_OUT, *, base_url: str = "/", route_url_strategy: str = "path",
              cache_dir: Path = DEFAULT_CACHE, update_url: str | None = None,
              trusted_keys_file: Path | None = None, app: AppSpec = BONEMETS) -> BuildReport:
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
        app: What to build (default: this app; the benchmark builds a hello-world app).

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
    versions = pins(app)
    manifest = write_python_manifest(runtime, cache_dir)
    flet_cache = cache_dir / "flet"
    pyodide_dir = prepare_pyodide_cache(runtime, flet_cache)
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
            stage_app(app, staging)
            if app.package == "mobile_app":
                stage_deployment(staging, update_base, trusted_keys_file)
            elif update_base is not None or trusted_keys_file is not None:
                raise BuildError("--update-url and --trusted-keys apply to this app only")
            _stage_prewarm(app, staging)
            install_packages(runtime, versions, staging / "__pypackages__")
            stdlib_zip = Path(tmp) / "python_stdlib.zip"
            bytecode = compile_bytecode(app, pyodide_dir, staging, stdlib_zip, Path(tmp))
            _publish(app, staging, site, env, base_url, route_url_strategy)
            if stdlib_zip.exists():
                shutil.copyfile(stdlib_zip, site / "pyodide" / "python_stdlib.zip")
        trimmed = patches.trim_site(site)
        patches.register_fonts(site, app)
        patches.drop_flutter_service_worker(site)
        patches.add_prewarm(site)
        rive_removed = patches.stub_rive_cdn(site)
        _restore_web_manifest(app, site)
        patches.fix_pyodide_url(site)
        patches.register_service_worker(site, app)
        common, variants = precache_lists(site_files(site))
        version = write_service_worker(site, common, variants, update_base)
        _check_scripts(site)
        precompress(site, site_files(site), cache_dir / "compressed")
        files = measure(site, originals(site_files(site)))
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
        rive_removed=rive_removed, packages=versions, trimmed_bytes=trimmed, bytecode=bytecode,
        update_url=update_base,
        trusted_keys=(f"from {trusted_keys_file} (replacing the shipped keys)"
                      if trusted_keys_file is not None
                      else "shipped (mobile_app/sync/trusted_keys.json)"),
    )
