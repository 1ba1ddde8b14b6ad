"""The PWA build's own code: its browser scripts parse, and only ``build-pwa`` imports it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mobile_app.tools.pwa.patches import JS_DIR

SCRIPTS = sorted(p.name for p in JS_DIR.iterdir() if p.suffix in (".js", ".mjs"))


def test_the_scripts_are_files_of_their_own() -> None:
    assert {"sw.js", "register.js", "worker-prewarm.js", "page-prewarm.js",
            "compile.mjs"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_parses(name: str) -> None:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.fail("Node.js is missing: run scripts/install-chromium.sh (scripts/test.sh does)")
    proc = subprocess.run([node, "--check", str(JS_DIR / name)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize("argv", [["--help"], ["cards"], ["search", "zometa"]])
def test_other_commands_do_not_import_the_pwa_build(argv: list[str]) -> None:
    code = ("import sys\nfrom mobile_app.cli import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
            "print('LOADED' if 'mobile_app.tools.pwa' in sys.modules else 'NOT LOADED')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parents[2], check=True).stdout
    assert out.strip().splitlines()[-1] == "NOT LOADED"


def test_icons_and_web_manifest_are_committed_static_files() -> None:
    root = Path(__file__).resolve().parents[2] / "assets"
    for name in ("manifest.json", "favicon.png", "icons/icon-192.png", "icons/icon-512.png",
                 "icons/icon-maskable-192.png", "icons/icon-maskable-512.png"):
        assert (root / name).is_file(), name
    source = "".join(p.read_text("utf-8") for p in (JS_DIR.parent).glob("*.py"))
    assert "PIL" not in source


_SAME_RESULTS = """
import json, sys
if sys.argv[1] == "defer":
    from mobile_app.tools.pwa.prewarm import defer_pydantic_schemas
    assert defer_pydantic_schemas()
from mobile_app.domain.errors import InputError
from mobile_app.knowledge.loader import load_bundled
import mobile_app.domain.models as models
kb = load_bundled()
out = {"built_at_import": models.Result.__pydantic_complete__,
       "bed": kb.calculators["bed_eqd2"].run(
           {"total_dose_gy": 30, "fractions": 10, "alpha_beta_gy": 3}).model_dump(mode="json")}
try:
    kb.calculators["bed_eqd2"].run({"total_dose_gy": -1, "fractions": 0, "alpha_beta_gy": 3})
except InputError as exc:
    out["error"] = [exc.field, exc.message]
out["cards"] = [c.model_dump(mode="json") for c in kb.cards.values()]
print(json.dumps(out))
"""


def test_deferred_pydantic_schemas_validate_exactly_as_before() -> None:
    """The prewarm's defer_build default changes when schemas are built, nothing else."""
    def results(mode: str) -> dict[str, object]:
        out = subprocess.run([sys.executable, "-c", _SAME_RESULTS, mode], capture_output=True,
                             text=True, cwd=Path(__file__).resolve().parents[2], check=True)
        data: dict[str, object] = json.loads(out.stdout)
        return data

    deferred, eager = results("defer"), results("eager")
    assert eager.pop("built_at_import") is True
    assert deferred.pop("built_at_import") is False  # the lever works here too
    assert deferred == eager and "error" in eager


def test_prewarm_skips_pydantic_plugin_lookup_unless_configured(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The browser's prewarm turns pydantic's plugin scan off, but never overrides a setting."""
    from mobile_app.tools.pwa.prewarm import skip_pydantic_plugins

    monkeypatch.delenv("PYDANTIC_DISABLE_PLUGINS", raising=False)
    skip_pydantic_plugins()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "__all__"
    monkeypatch.setenv("PYDANTIC_DISABLE_PLUGINS", "logfire")
    skip_pydantic_plugins()
    assert os.environ["PYDANTIC_DISABLE_PLUGINS"] == "logfire"
