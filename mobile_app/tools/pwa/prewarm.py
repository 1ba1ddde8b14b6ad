"""The worker's start-up work while Flutter boots (staged as ``_bonemets_prewarm.py``).

``js/worker-prewarm.js`` unpacks the app archive as soon as the page starts the Python worker
and then calls :func:`run`, which imports the app's start-up modules and calls its start-up
functions, as listed in ``_bonemets_prewarm.json`` next to this file (written by the build from
the app's :class:`~mobile_app.tools.pwa.app_spec.AppSpec`). When Flutter then asks for the app,
``main`` finds everything imported.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
from pathlib import Path

__all__ = ["CONFIG_NAME", "MODULE_NAME", "defer_pydantic_schemas", "run",
           "skip_pydantic_plugins"]

MODULE_NAME = "_bonemets_prewarm"
CONFIG_NAME = MODULE_NAME + ".json"


def defer_pydantic_schemas() -> bool:
    """Build each pydantic model's validator on its first use instead of at class creation.

    Pydantic's ``defer_build`` setting, made the default for every model of this process (a
    model's own ``model_config`` still wins). Importing the app defines well over a hundred
    models (calculator inputs and results, knowledge-base documents); in WebAssembly building
    all their schemas is most of the import time, and Home needs few of them. Validation is
    unchanged: a deferred schema is built, complete, before its first validation.

    Returns:
        Whether the default was set (``False`` without pydantic or if its internals moved).
    """
    try:
        from pydantic._internal import _config
    except ImportError:
        return False
    defaults = getattr(_config, "config_defaults", None)
    if not isinstance(defaults, dict) or "defer_build" not in defaults:
        return False
    defaults["defer_build"] = True
    return True


def skip_pydantic_plugins() -> None:
    """Tell pydantic not to look for plugins (``PYDANTIC_DISABLE_PLUGINS``, unless set).

    On its first schema pydantic scans every installed distribution's metadata for plugin
    entry points; in the browser build that reads the archive's ``dist-info`` files and the
    standard-library zip, at start-up. The site ships only the packages the build lists, and
    none of them is a pydantic plugin, so the scan can only find nothing.
    """
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def run() -> None:
    """Import the start-up modules and call the start-up functions."""
    config = json.loads((Path(__file__).parent / CONFIG_NAME).read_text("utf-8"))
    if config.get("defer_pydantic_schemas"):
        skip_pydantic_plugins()
        defer_pydantic_schemas()
    for name in config["imports"]:
        importlib.import_module(name)
    for call in config["calls"]:
        module, func = call.split(":")
        getattr(importlib.import_module(module), func)()
    # What was just imported and loaded lives as long as the page: keep it out of later
    # garbage collections, which would otherwise rescan it (in WebAssembly) during the
    # first render and on every user action.
    gc.freeze()
