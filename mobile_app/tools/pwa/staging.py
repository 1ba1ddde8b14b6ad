"""The app archive's contents (fix 4): the app, its deployment settings and its packages.

Every dependency is installed into ``__pypackages__`` (Pyodide-ABI wheels from the package
index for ``pydantic-core`` and ``msgpack``). The staging copy has no ``pyproject.toml`` and
its ``requirements.txt`` is one blank line, so the worker never calls micropip and the site
never contacts a package index.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from mobile_app.tools.pwa.app_spec import AppSpec
from mobile_app.tools.pwa.errors import BuildError
from mobile_app.tools.pwa.runtime import PyodideRuntime

__all__ = [
    "MANIFEST_NAME",
    "install_packages",
    "pins",
    "remove",
    "stage_app",
    "stage_deployment",
    "update_base_url",
]

_APP_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*")

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

#: The publisher's signed manifest (below the update URL).
MANIFEST_NAME = "manifest.json"


def pins(spec: AppSpec) -> dict[str, str]:
    """The app's browser packages at the versions installed here.

    Raises:
        BuildError: A package is not installed in this environment.
    """
    found: dict[str, str] = {}
    for name in spec.packages:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError as exc:
            raise BuildError(f"{name} is not installed in this environment") from exc
    return found


def stage_app(spec: AppSpec, staging: Path) -> None:
    """Copy the app's sources into ``staging`` (no bytecode, no build tooling)."""
    for name in spec.sources:
        src = spec.root / name
        if src.is_dir():
            shutil.copytree(src, staging / name, ignore=_APP_IGNORE)
        else:
            shutil.copy2(src, staging / name)
    if spec.assets is not None:
        # publish copies <script dir>/assets into the site root and keeps it out of the app
        # archive (it ignores an absolute --assets path, so the folder is staged instead).
        shutil.copytree(spec.assets, staging / "assets", ignore=_APP_IGNORE)
    for skip in spec.skip:
        target = staging / skip
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
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


def stage_deployment(staging: Path, update_url: str | None, trusted_keys: Path | None
                     ) -> None:
    """Write the deployment settings into the staged package (never into the source tree).

    - ``mobile_app/update_config.json`` (read by :func:`mobile_app.config.update_url`): the
      update source, or removed when the build has none;
    - ``mobile_app/sync/trusted_keys.json``: replaced by ``trusted_keys`` when given (a
      deployment with its own publisher; the browser has no environment for
      ``BONEMETS_TRUSTED_KEYS``).

    Raises:
        BuildError: ``trusted_keys`` is unreadable or not a key file.
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


def install_packages(runtime: PyodideRuntime, versions: dict[str, str], target: Path) -> None:
    """Install the browser wheels into ``target`` (``__pypackages__``) and trim them.

    Raises:
        BuildError: pip could not fetch a wheel for the browser's platform.
    """
    cmd = [
        sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-deps", "--no-compile", "--only-binary=:all:",
        "--python-version", runtime.short, "--implementation", "cp",
        "--abi", "cp" + runtime.short.replace(".", ""),
        "--platform", runtime.platform_tag, "--platform", "any",
        "--target", str(target),
        *(f"{name}=={version}" for name, version in versions.items()),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise BuildError("pip could not fetch the browser wheels "
                         f"({runtime.platform_tag}):\n{proc.stderr[-3000:]}")
    for pattern in _PYPACKAGES_TRIM:
        for path in list(target.glob(pattern)):
            remove(path)
    for meta in target.glob("*.dist-info/METADATA"):
        # Keep the headers (name, version, licence); drop the long description.
        text = meta.read_text(encoding="utf-8")
        meta.write_text(text.split("\n\n", 1)[0] + "\n", encoding="utf-8")


def remove(path: Path) -> int:
    """Delete a file or directory tree.

    Returns:
        The bytes removed (0 when it did not exist).
    """
    if not path.exists():
        return 0
    if path.is_dir():
        size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        shutil.rmtree(path)
        return size
    size = path.stat().st_size
    path.unlink()
    return size
