"""JSON from outside, parsed without letting its nesting reach the interpreter's stack.

``json.loads`` recurses once per ``[`` or ``{``: 200 kB of brackets raise ``RecursionError``,
which is not a ``ValueError`` and so escapes every "invalid JSON" handler (a traceback in the
CLI, "maximum recursion depth exceeded" in the app). :func:`check_depth` scans the bytes once,
without recursion, and refuses anything nested deeper than :data:`MAX_DEPTH` with a named
:class:`~mobile_app.sync.errors.NestingError`; :func:`loads` parses only what passed.

The deepest document of this app (a card: sections → doses → fields) is under 10 levels deep.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mobile_app.sync.errors import NestingError

__all__ = ["MAX_DEPTH", "check_depth", "loads"]

MAX_DEPTH = 64
"""Deepest nesting accepted in any JSON that comes from the network, a pack or the disk."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def check_depth(raw: bytes, what: str, limit: int = MAX_DEPTH) -> None:
    """Refuse ``raw`` if its brackets nest deeper than ``limit`` (strings are skipped).

    Strings and everything that is not a bracket are removed by the regular-expression engine
    and ``bytes.translate`` (C speed); only the brackets left are walked.

    Args:
        raw: JSON text as bytes (not necessarily valid JSON; only the nesting is checked).
        what: What the bytes are, for the message ("the manifest from https://…").
        limit: The deepest nesting allowed.

    Raises:
        NestingError: The nesting exceeds ``limit``.
    """
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    if brackets.count(b"[") + brackets.count(b"{") <= limit:
        return
    depth = 0
    for byte in brackets:
        if byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                raise NestingError(
                    f"{what} is nested more than {limit} levels deep; refused before parsing"
                )
        else:
            depth -= 1


def loads(raw: bytes, what: str, limit: int = MAX_DEPTH) -> Any:
    """Parse UTF-8 JSON after :func:`check_depth`.

    Raises:
        NestingError: Nested deeper than ``limit``.
        ValueError: Not UTF-8 or not JSON (``UnicodeDecodeError``/``JSONDecodeError``).
    """
    check_depth(raw, what, limit)
    return json.loads(raw.decode("utf-8"))
