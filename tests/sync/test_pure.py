"""The verifier and client core import nothing that Pyodide lacks (no httpx, no cryptography,
no UI) and start no threads."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHECK = """
import sys, threading
import mobile_app.sync
from mobile_app.sync import ContentStore, SyncClient, TrustedRoot, Updater, verify_pack
from mobile_app.sync.pack import PackSource
heavy = ("httpx", "httpcore", "cryptography", "nacl", "flet")
loaded = sorted(m for m in heavy if m in sys.modules)
assert not loaded, loaded
store = ContentStore(sys.argv[1], TrustedRoot.bundled())
assert store.load().source == "bundled"
assert threading.active_count() == 1, threading.enumerate()
print("ok")
"""


def test_core_imports_are_pyodide_friendly(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", CHECK, str(tmp_path)],
        env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
