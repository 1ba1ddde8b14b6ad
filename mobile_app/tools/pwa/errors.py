"""The one error of the PWA build."""

from __future__ import annotations

__all__ = ["BuildError"]


class BuildError(RuntimeError):
    """The PWA could not be built; the message says which step failed and why."""
