"""The one way this app writes a file that matters: all of it, or none of it.

:func:`write_atomic` follows sync-design §3.4: the bytes go to a temporary file in the target's
own directory (same filesystem, so the final rename is atomic), which is flushed and fsynced
(``F_FULLFSYNC`` on Darwin), then renamed over the target with ``os.replace``; the directory is
fsynced so that the rename survives a power loss. A crash at any point leaves either the old
file or the new one, never a mixture; a failed write removes its temporary file.

Used by the TinyDB storage (:class:`~mobile_app.store.db.AtomicJSONStorage`), the installed
content and its root chain (:mod:`mobile_app.sync.content`), the publisher's output and key
files (:mod:`mobile_app.sync.publish`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["TEMP_SUFFIX", "fsync_directory", "fsync_file", "temp_prefix", "write_atomic"]

TEMP_SUFFIX = ".part"
"""Suffix of temporary files (``.<name>.tmp-XXXX.part``); stale ones may be deleted."""


def temp_prefix(target: Path) -> str:
    """The prefix of the temporary files written for ``target``."""
    return f".{target.name}.tmp-"


def fsync_file(fd: int) -> None:
    """Flush a file descriptor to stable storage (``F_FULLFSYNC`` on Darwin when available)."""
    if sys.platform == "darwin":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - fcntl exists on every Darwin build
            pass
        else:
            full_fsync: int | None = getattr(fcntl, "F_FULLFSYNC", None)
            if full_fsync is not None:
                try:
                    fcntl.fcntl(fd, full_fsync)
                    return
                except OSError:
                    # Some filesystems (e.g. network mounts) refuse F_FULLFSYNC.
                    pass
    os.fsync(fd)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable, where the platform allows it (POSIX only)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # The rename has already happened; some filesystems cannot fsync a directory.
        pass
    finally:
        os.close(fd)


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int | None = None,
    exclusive: bool = False,
    make_parents: bool = False,
) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one.

    Args:
        path: The target file.
        data: The complete new contents.
        mode: Permission bits of the new file (default: ``mkstemp``'s 0600).
        exclusive: Never replace an existing file (for private keys): the finished temporary
            file is hard-linked to ``path``, which fails if ``path`` exists.
        make_parents: Create missing parent directories first.

    Raises:
        FileExistsError: ``exclusive`` and ``path`` already exists (nothing was changed).
        OSError: Writing failed (e.g. ``ENOSPC``); the old file is intact and the temporary
            file has been removed.
    """
    target = Path(path)
    directory = target.parent
    if make_parents:
        directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=temp_prefix(target),
                                    suffix=TEMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        # Closed before the rename: Windows cannot replace onto or from an open file.
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            fsync_file(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        if exclusive:
            os.link(tmp, target)
            tmp.unlink()
        else:
            os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_directory(directory)
