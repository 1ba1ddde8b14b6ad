"""Deployment settings that are not user preferences (pure; no Flet).

The update source is chosen by whoever deploys the app, never by a user of a shared server:

1. ``BONEMETS_UPDATE_URL`` in the environment (server mode, CLI);
2. else ``update_config.json`` inside this package (written by ``mobile-app build-pwa
   --update-url URL`` into the browser build, where there is no environment);
3. else no update source: the app shows its installed or bundled content and says that no
   update source is configured.
"""

from __future__ import annotations

import json
import os
from importlib import resources

__all__ = ["TRUSTED_KEYS_ENV", "UPDATE_CONFIG_FILE", "UPDATE_URL_ENV", "trusted_keys_file",
           "update_url"]

UPDATE_URL_ENV = "BONEMETS_UPDATE_URL"
TRUSTED_KEYS_ENV = "BONEMETS_TRUSTED_KEYS"
UPDATE_CONFIG_FILE = "update_config.json"


def update_url() -> str | None:
    """The publisher URL to sync from (``manifest.json`` and ``docs/`` below it), or ``None``."""
    env = os.environ.get(UPDATE_URL_ENV, "").strip()
    if env:
        return env
    try:
        raw = resources.files("mobile_app").joinpath(UPDATE_CONFIG_FILE).read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    try:
        value = json.loads(raw).get("update_url")
    except (ValueError, AttributeError):
        return None
    if not isinstance(value, str):
        return None
    return value.strip() or None


def trusted_keys_file() -> str | None:
    """A publisher key file (``trusted_keys.json`` format) that replaces the keys shipped with
    the app: ``BONEMETS_TRUSTED_KEYS``, for a deployment with its own publisher (and tests).
    Whoever sets the server's environment controls the server anyway; the browser build has
    no environment and always uses the shipped keys.
    """
    return os.environ.get(TRUSTED_KEYS_ENV, "").strip() or None
