"""The page the Flet server sends (assets/index.html) is Flet's own plus one block that loads
assets/bonemets-client.js; the script and the Python side agree on their names.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import flet_web

from mobile_app.ui.keyboard import DECIMAL_KEYPAD

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ROOT / "assets"
BLOCK = re.compile(r"  <!-- bonemets:begin .*?<!-- bonemets:end -->\n\n", re.S)


def test_index_is_flets_page_plus_one_block() -> None:
    ours = (ASSETS / "index.html").read_text("utf-8")
    flets = (Path(flet_web.__file__).parent / "web" / "index.html").read_text("utf-8")
    blocks = BLOCK.findall(ours)
    assert len(blocks) == 1
    # When a Flet upgrade changes its page, this fails: copy the new page and re-add the block.
    assert ours.replace(blocks[0], "") == flets
    # After Flet's config (flet.pyodide is known) and before Flutter starts.
    order = [ours.index(s) for s in ("<!-- fletAppConfig -->", 'src="bonemets-client.js"',
                                     'src="python.js"', 'src="flutter_bootstrap.js"')]
    assert order == sorted(order)
    for call in ("enableSemantics()", "useDecimalKeypad()", "watchConnection()"):
        assert f"bonemetsClient.{call}" in blocks[0]
    # Semantics and the keypad also in the offline PWA; the connection watch only with a server.
    block = blocks[0]
    only_server = block.index("if (!flet.pyodide)")
    assert block.index("bonemetsClient.enableSemantics()") < only_server
    assert block.index("bonemetsClient.useDecimalKeypad()") < only_server
    assert block.index("bonemetsClient.watchConnection()") > only_server


def test_script_and_app_use_the_same_names() -> None:
    js = (ASSETS / "bonemets-client.js").read_text("utf-8")
    assert f'var DECIMAL_ID = "{DECIMAL_KEYPAD}";' in js
    assert ('var MESSAGE = "Connection lost \\u2014 reconnecting; results are not updating";'
            in js)
    assert 'var RESTORED = "Connection restored; results are updating again";' in js


def test_script_is_valid_javascript() -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    assert node, "Node.js is missing: run scripts/install-chromium.sh (scripts/test.sh does)"
    proc = subprocess.run([node, "--check", str(ASSETS / "bonemets-client.js")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
