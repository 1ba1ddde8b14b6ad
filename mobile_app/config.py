"""Deployment settings (not user preferences), read once, the same way by the app and by every
command of the CLI (pure; no Flet).

=========================  =================================================================
``BONEMETS_UPDATE_URL``    where signed updates are published (``manifest.json``, ``root/``
                           and ``docs/`` below it). Without it: ``update_config.json`` in this
                           package (written by ``mobile-app build-pwa --update-url``, since the
                           browser has no environment); without that: no update source.
``BONEMETS_DATA_DIR``      the store and the installed content; else ``FLET_APP_STORAGE_DATA``
                           (set by Flet on phones and desktops); else ``./storage``.
``BONEMETS_TRUSTED_KEYS``  a trust anchor replacing the root shipped in
                           ``mobile_app/sync/trusted_keys.json`` (a root document, or the
                           older key-list format), for a deployment with its own publisher.
``BONEMETS_TIMEOUT``       seconds one request may take, body included (default 15).
``BONEMETS_SYNC_DEADLINE`` seconds a whole update may take, all requests together (default
                           120).
=========================  =================================================================

The update source and the trust anchor are chosen by whoever deploys the app, never by a user
of a shared server.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = [
    "DATA_DIR_ENV",
    "DEFAULT_DEADLINE_S",
    "DEFAULT_TIMEOUT_S",
    "DEADLINE_ENV",
    "FLET_DATA_ENV",
    "TIMEOUT_ENV",
    "TRUSTED_KEYS_ENV",
    "UPDATE_CONFIG_FILE",
    "UPDATE_URL_ENV",
    "Config",
    "ConfigError",
]

UPDATE_URL_ENV = "BONEMETS_UPDATE_URL"
DATA_DIR_ENV = "BONEMETS_DATA_DIR"
FLET_DATA_ENV = "FLET_APP_STORAGE_DATA"
TRUSTED_KEYS_ENV = "BONEMETS_TRUSTED_KEYS"
TIMEOUT_ENV = "BONEMETS_TIMEOUT"
DEADLINE_ENV = "BONEMETS_SYNC_DEADLINE"
UPDATE_CONFIG_FILE = "update_config.json"

DEFAULT_TIMEOUT_S = 15.0
"""Deadline of one request, body included."""

DEFAULT_DEADLINE_S = 120.0
"""Deadline of a whole update (every request together)."""


class ConfigError(ValueError):
    """A setting has a value that cannot be used (the message names it)."""


def _bundled_update_url() -> str | None:
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


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds; got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{name} must be a positive number of seconds; got {text!r}")
    return value


@dataclass(frozen=True)
class Config:
    """Every deployment setting (see the module docstring).

    Attributes:
        update_url: The update source, or ``None``.
        data_dir: The app's data directory.
        trusted_keys: A trust anchor file replacing the shipped root, or ``None``.
        timeout_s: Deadline of one request.
        deadline_s: Deadline of a whole update.
    """

    update_url: str | None = None
    data_dir: Path = Path("storage")
    trusted_keys: Path | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    deadline_s: float = DEFAULT_DEADLINE_S

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Read the settings from the environment (default: ``os.environ``).

        Raises:
            ConfigError: ``BONEMETS_TIMEOUT`` or ``BONEMETS_SYNC_DEADLINE`` is not a positive
                number.
        """
        env = os.environ if env is None else env
        url = env.get(UPDATE_URL_ENV, "").strip() or _bundled_update_url()
        data = env.get(DATA_DIR_ENV, "").strip() or env.get(FLET_DATA_ENV, "").strip()
        keys = env.get(TRUSTED_KEYS_ENV, "").strip()
        return cls(
            update_url=url,
            data_dir=Path(data) if data else Path("storage"),
            trusted_keys=Path(keys) if keys else None,
            timeout_s=_seconds(env, TIMEOUT_ENV, DEFAULT_TIMEOUT_S),
            deadline_s=_seconds(env, DEADLINE_ENV, DEFAULT_DEADLINE_S),
        )

