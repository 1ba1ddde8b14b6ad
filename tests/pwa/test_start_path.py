"""The offline PWA's start path, run with the site's own Pyodide under Node.js
(``bench/pyodide_start.mjs``): Flutter asks for the app only once it has booted, and from then
on it waits for Python, so the prewarm (which runs while Flutter boots) must leave ``main`` and
the first Home render nothing to import (issue 12). Checked by the modules loaded, not by time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from mobile_app.tools.pwa import BuildReport
from mobile_app.tools.pwa.app_spec import ROOT

HARNESS = ROOT / "bench" / "pyodide_start.mjs"
HOME_MARKER = "Hypercalcaemia"
"""A card title of Home's first screen (bundled content)."""
# What only the session can bring: ft.run() in main.py creates the browser connection, and
# the runner itself.
AFTER_PREWARM_OK = {"flet.messaging.pyodide_connection", "flet_js", "js", "runpy"}


def _start(site: Path) -> dict[str, object]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is missing: run scripts/install-chromium.sh (scripts/test.sh does)")
    proc = subprocess.run([node, str(HARNESS), str(site), HOME_MARKER, "--modules"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_main_and_the_first_home_import_nothing_the_prewarm_could_have(
        pwa_site: tuple[Path, BuildReport]) -> None:
    site, _ = pwa_site
    out = _start(site)
    # The harness returned only once a message carried Home's first card title.
    assert out["messages"] >= 1
    late = out["imported_after_prewarm"]
    assert isinstance(late, list)
    assert set(late) - AFTER_PREWARM_OK == set(), late
    # The themes' module (the largest) and Home's controls were imported before Flutter asked.
    assert "flet.controls.theme" not in late
