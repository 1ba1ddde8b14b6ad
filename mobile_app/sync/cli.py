"""Command-line entry points for signed content updates; wired into ``mobile-app`` by
:func:`register`.

Commands::

    mobile-app kb keygen --out DIR
    mobile-app kb publish SRC --key KEY --out DIR [--expires DAYS] [--version N]
                                  [--changelog FILE] [--note ID=TEXT ...] [--min-app-version V]
    mobile-app kb status [--data-dir DIR] [--keys FILE] [--json]
    mobile-app sync URL [--data-dir DIR] [--keys FILE] [--timeout S] [--json]

Exit codes: 0 success (installed, up to date, content verified); 1 rejected, failed, offline,
or content fell back from the installed version; 2 bad usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from mobile_app.sync.errors import PublishError

__all__ = ["DATA_DIR_ENV", "default_data_dir", "register"]

DATA_DIR_ENV = "BONEMETS_DATA_DIR"


class _Usage(Exception):
    """Bad usage: one line on stderr, exit 2."""


def default_data_dir() -> Path:
    """``$BONEMETS_DATA_DIR``, else ``./storage``."""
    return Path(os.environ.get(DATA_DIR_ENV) or "storage")


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _guard(func: Any) -> Any:
    """Turn :class:`_Usage` into exit code 2."""

    def run(args: argparse.Namespace) -> int:
        try:
            code: int = func(args)
        except _Usage as exc:
            _err(str(exc))
            return 2
        return code

    run.__doc__ = func.__doc__
    return run


def _keys(args: argparse.Namespace) -> Any:
    from mobile_app.sync.envelope import TrustedKeys

    if getattr(args, "keys", None) is None:
        return TrustedKeys.bundled()
    try:
        return TrustedKeys.from_file(args.keys)
    except (OSError, ValueError) as exc:
        raise _Usage(f"--keys {args.keys}: {exc}") from None


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else default_data_dir()


def _cmd_keygen(args: argparse.Namespace) -> int:
    """Create an Ed25519 key pair."""
    from mobile_app.sync.publish import generate_keypair

    try:
        files = generate_keypair(args.out)
    except PublishError as exc:
        _err(str(exc))
        return 1
    entry = json.loads(files.public_key.read_text(encoding="utf-8"))
    print(f"private key: {files.private_key} (mode 0600; keep it offline, never commit it)")
    print(f"public key:  {files.public_key}")
    print(f"keyid:       {files.keyid}")
    print("add this entry to mobile_app/sync/trusted_keys.json \"keys\":")
    print(json.dumps(entry))
    return 0


def _parse_notes(args: argparse.Namespace) -> dict[str, str]:
    notes: dict[str, str] = {}
    if args.changelog:
        try:
            doc = json.loads(Path(args.changelog).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise _Usage(f"--changelog {args.changelog}: {exc}") from None
        if not isinstance(doc, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
        ):
            raise _Usage(f"--changelog {args.changelog} must be a JSON object {{id: text}}")
        notes.update(doc)
    for item in args.note or []:
        ident, sep, text = item.partition("=")
        if not sep or not ident.strip():
            raise _Usage(f"--note must be ID=TEXT; got {item!r}")
        notes[ident.strip()] = text
    return notes


def _cmd_publish(args: argparse.Namespace) -> int:
    """Validate a KB directory and publish it signed."""
    from mobile_app.sync.publish import load_private_key, publish

    notes = _parse_notes(args)
    if not Path(args.src).is_dir():
        raise _Usage(f"{args.src} is not a directory")
    try:
        key = load_private_key(args.key)
        report = publish(
            args.src,
            key,
            args.out,
            expires_days=args.expires,
            version=args.version,
            changelog=notes,
            min_app_version=args.min_app_version,
        )
    except PublishError as exc:
        for problem in exc.problems:
            print(f"refused: {problem}", file=sys.stderr)
        return 1
    print(
        f"published version {report.version}: {report.documents} documents "
        f"({len(report.written)} new), expires {report.expires.isoformat()}"
    )
    for ident, text in report.changes.items():
        print(f"  {ident}: {text}")
    print(f"wrote {report.manifest_path} last; serve {args.out} as static files "
          "(see README.txt and _headers there)")
    return 0


def _status_json(loaded: Any, state: Any, problems_state: str | None) -> dict[str, Any]:
    return {
        "version": loaded.version,
        "source": loaded.source,
        "verification": loaded.verification,
        "problems": loaded.problems,
        "expired": loaded.expired,
        "issued": loaded.manifest.issued.isoformat() if loaded.manifest else None,
        "expires": loaded.manifest.expires.isoformat() if loaded.manifest else None,
        "changes": loaded.changes,
        "cards": len(loaded.kb.cards),
        "pointer": state.model_dump(mode="json") if state is not None else None,
        "pointer_error": problems_state,
    }


def _cmd_status(args: argparse.Namespace) -> int:
    """Show the installed content version, source and verification state."""
    from mobile_app.store.db import CorruptStoreError
    from mobile_app.sync.content import ContentStore

    store = ContentStore(_data_dir(args), _keys(args))
    loaded = store.load()
    try:
        state, state_error = store.read_state(), None
    except CorruptStoreError as exc:
        state, state_error = None, str(exc)
    if args.json:
        print(json.dumps(_status_json(loaded, state, state_error), indent=2, ensure_ascii=False))
    else:
        print(f"version:      {loaded.version}")
        print(f"source:       {loaded.source}")
        print(f"verification: {loaded.verification}")
        if loaded.manifest is not None:
            print(f"issued:       {loaded.manifest.issued.isoformat()}")
            print(f"expires:      {loaded.manifest.expires.isoformat()}"
                  + ("  (EXPIRED: content may be out of date)" if loaded.expired else ""))
        if state is not None:
            print(f"installed:    current={state.current} previous={state.previous} "
                  f"highest_seen={state.highest_seen} from={state.source}")
        for problem in loaded.problems:
            print(f"problem:      {problem}")
    return 1 if loaded.problems else 0


async def _run_sync(args: argparse.Namespace) -> Any:
    from mobile_app.sync.client import HttpxFetcher, SyncClient, SyncStatus
    from mobile_app.sync.content import ContentStore

    keys = _keys(args)
    content = ContentStore(_data_dir(args), keys)

    def progress(status: SyncStatus) -> None:
        if not args.json and status.state in ("checking", "downloading"):
            print(status.message, file=sys.stderr)

    async with HttpxFetcher() as fetcher:
        client = SyncClient(args.url, content, fetcher, keys=keys, timeout=args.timeout)
        return await client.sync(progress)


def _cmd_sync(args: argparse.Namespace) -> int:
    """Fetch, verify and install an update from URL."""
    if not args.url.startswith(("http://", "https://")):
        raise _Usage(f"URL must start with http:// or https://; got {args.url!r}")
    if not args.timeout > 0:
        raise _Usage(f"--timeout must be positive; got {args.timeout}")
    result = asyncio.run(_run_sync(args))
    if args.json:
        print(json.dumps({
            "state": result.state,
            "message": result.message,
            "version": result.version,
            "previous_version": result.previous_version,
            "changes": [
                {"id": c.id, "path": c.path, "kind": c.kind, "note": c.note}
                for c in result.changes
            ],
            "requests": result.requests,
            "bytes_downloaded": result.bytes_downloaded,
        }, indent=2, ensure_ascii=False))
    else:
        print(result.message)
        for change in result.changes:
            print(f"  {change.kind:8} {change.id}: {change.note or '(no changelog entry)'}")
    return 0 if result.ok else 1


def register(
    top_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    kb_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``sync`` to the top-level commands and ``keygen``/``publish``/``status`` to ``kb``.

    Each parser sets ``func(args) -> int`` (the exit code), like the existing commands.

    Args:
        top_subparsers: The ``add_subparsers()`` result of the ``mobile-app`` parser.
        kb_subparsers: The ``add_subparsers()`` result of the ``kb`` parser.
    """
    keygen = kb_subparsers.add_parser("keygen", help="create an Ed25519 publisher key pair")
    keygen.add_argument("--out", required=True, help="directory for the key files")
    keygen.set_defaults(func=_guard(_cmd_keygen))

    pub = kb_subparsers.add_parser(
        "publish", help="validate a KB directory and publish it as a signed release"
    )
    pub.add_argument("src", help="KB source directory (same layout as the bundled KB)")
    pub.add_argument("--key", required=True, help="private key PEM (from kb keygen)")
    pub.add_argument("--out", required=True, help="publisher output directory")
    pub.add_argument("--expires", type=float, default=30, metavar="DAYS",
                     help="manifest lifetime in days (default 30)")
    pub.add_argument("--version", type=int, help="version (default: previous + 1)")
    pub.add_argument("--changelog", metavar="FILE", help="JSON object {id: changelog text}")
    pub.add_argument("--note", action="append", metavar="ID=TEXT",
                     help="changelog entry for one changed card or calculator (repeatable); "
                          "'*=TEXT' covers every id in the first publication")
    pub.add_argument("--min-app-version", help="oldest app version that may install it")
    pub.set_defaults(func=_guard(_cmd_publish))

    status = kb_subparsers.add_parser(
        "status", help="installed content version, source and verification state"
    )
    status.add_argument("--data-dir", help=f"app data directory (default ${DATA_DIR_ENV} "
                                           "or ./storage)")
    status.add_argument("--keys", help="trusted keys JSON (default: the keys built in)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_guard(_cmd_status))

    sync = top_subparsers.add_parser("sync", help="fetch, verify and install a content update")
    sync.add_argument("url", help="base URL of the published release (where manifest.json is)")
    sync.add_argument("--data-dir", help=f"app data directory (default ${DATA_DIR_ENV} "
                                         "or ./storage)")
    sync.add_argument("--keys", help="trusted keys JSON (default: the keys built in)")
    sync.add_argument("--timeout", type=float, default=15.0, help="seconds per request")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(func=_guard(_cmd_sync))
