"""The worker's start-up work while Flutter boots (staged as ``_bonemets_prewarm.py``).

``js/worker-prewarm.js`` unpacks the app archive as soon as the page starts the Python worker
and then calls :func:`run`, which imports the app's start-up modules and calls its start-up
functions, as listed in ``_bonemets_prewarm.json`` next to this file (written by the build from
the app's :class:`~mobile_app.tools.pwa.app_spec.AppSpec`). When Flutter then asks for the app,
``main`` finds everything imported.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

__all__ = ["CONFIG_NAME", "MODULE_NAME", "run"]

MODULE_NAME = "_bonemets_prewarm"
CONFIG_NAME = MODULE_NAME + ".json"


def run() -> None:
    """Import the start-up modules and call the start-up functions."""
    config = json.loads((Path(__file__).parent / CONFIG_NAME).read_text("utf-8"))
    for name in config["imports"]:
        importlib.import_module(name)
    for call in config["calls"]:
        module, func = call.split(":")
        getattr(importlib.import_module(module), func)()
