"""Starting the app and building Home imports no calculator code and no signature checking
(issue 12: the start path of the offline PWA). Checked in a fresh interpreter by the modules
it has loaded, not by timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]

_SCRIPT = """
import json, sys, tempfile
import mobile_app.app
from mobile_app.store.db import Store
from mobile_app.store.inputs import CalculatorInputsRepo
from mobile_app.store.repositories import FavouritesRepo, RecentsRepo, SettingsRepo
from mobile_app.sync.content import ContentStore
from mobile_app.sync.service import ContentService
from mobile_app.ui.state import AppState
from mobile_app.ui.views.changes import update_banners
from mobile_app.ui.views.home import _tile, home_sections

# As main() does in the browser build: content from a (fresh) data directory, a store with a
# favourite calculator and a recent card, then everything Home lists.
service = ContentService(ContentStore(tempfile.mkdtemp()), None)
store = Store.memory()
FavouritesRepo(store).add("calc:bed_eqd2")
RecentsRepo(store).push("card:hypercalcemia")
state = AppState.create(service.kb, FavouritesRepo(store), RecentsRepo(store),
                        SettingsRepo(store), CalculatorInputsRepo(store))
state.update = service.info()
update_banners(state, lambda route: None)
shown = [_tile(state, key, lambda route: None, heading, False)
         for heading, keys in home_sections(state) for key in keys]
start = sorted(sys.modules)
state.calculator("bed_eqd2")  # opening a calculator imports its code
print(json.dumps({"start": start, "opened": sorted(sys.modules), "tiles": len(shown)}))
"""

_NOT_AT_START = ("ecdsa", "cryptography", "mobile_app.sync.client", "mobile_app.sync.http",
                 "mobile_app.sync.publish", "mobile_app.cli")


def _run() -> dict[str, Any]:
    proc = subprocess.run([sys.executable, "-c", _SCRIPT], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def test_home_imports_no_calculator_and_no_signature_code() -> None:
    seen = _run()
    start = seen["start"]
    calculators = [m for m in start if m.startswith("mobile_app.domain.calculators.")]
    assert calculators == ["mobile_app.domain.calculators.base"]
    assert not [m for m in start if m.startswith(_NOT_AT_START)]
    assert seen["tiles"] > 10
    # The check can see an import: opening a calculator brings in its module.
    assert "mobile_app.domain.calculators.bed_eqd2" in seen["opened"]
