"""Command-line entry points for signed content; wired into ``mobile-app`` by :func:`register`.

Publisher and reviewer (need the ``publish`` extra)::

    mobile-app kb keygen --out DIR [--name NAME]
    mobile-app kb publish SRC --out SITE [--key PEM] [--expires DAYS] [--version N]
                                  [--changelog FILE] [--note ID=TEXT ...] [--min-app-version V]
    mobile-app kb sign SITE --role {publisher,clinical-reviewer} --key PEM [--version N] [--yes]
    mobile-app kb release SITE [--version N]
    mobile-app kb root draft SITE --root-key PUB ... --publisher-key PUB ... --reviewer-key PUB ...
                                  [--root-threshold N] [--publisher-threshold N]
                                  [--reviewer-threshold N] [--expires DAYS]
    mobile-app kb root sign SITE --key PEM
    mobile-app kb root release SITE
    mobile-app kb pack SITE --out FILE.bmpack

Devices (the app's own checks)::

    mobile-app sync URL|FILE.bmpack [--data-dir DIR] [--trusted-keys FILE] [--timeout S]
                                    [--deadline S] [--json]
    mobile-app kb status [--data-dir DIR] [--trusted-keys FILE] [--json]

Every command reads the deployment settings of :class:`mobile_app.config.Config`
(``BONEMETS_DATA_DIR``, ``BONEMETS_TRUSTED_KEYS``, ``BONEMETS_TIMEOUT``,
``BONEMETS_SYNC_DEADLINE``); the options override them. Exit codes: 0 success (installed, up to
date, content verified, signed, released); 1 refused, rejected, failed, offline, or content fell
back from the installed version; 2 bad usage (one line on stderr).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mobile_app.cli import UsageError
from mobile_app.config import Config, ConfigError
from mobile_app.sync.errors import NestingError, PublishError
from mobile_app.sync.jsonsafe import loads

if TYPE_CHECKING:
    from mobile_app.sync.content import LoadedContent

__all__ = ["load_content", "register"]


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _config() -> Config:
    try:
        return Config.from_env()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _anchor(args: argparse.Namespace) -> Any:
    """The trust anchor: ``--trusted-keys``, else ``BONEMETS_TRUSTED_KEYS``, else shipped."""
    from mobile_app.sync.root import TrustedRoot

    path = getattr(args, "trusted_keys", None) or _config().trusted_keys
    if path is None:
        return TrustedRoot.bundled()
    try:
        return TrustedRoot.from_file(path)
    except (OSError, ValueError) as exc:
        raise UsageError(f"trusted keys {path}: {exc}") from None


def _data_dir(args: argparse.Namespace) -> Path:
    return Path(args.data_dir) if args.data_dir else _config().data_dir


def load_content(data_dir: str | Path | None) -> LoadedContent:
    """The content the app shows from ``data_dir`` (default: the configured one), verified
    with the configured trust anchor (:class:`~mobile_app.sync.content.LoadedContent`).

    Raises:
        UsageError: A setting or the trust anchor file is unusable.
    """
    from mobile_app.sync.content import ContentStore

    directory = Path(data_dir) if data_dir else _config().data_dir
    return ContentStore(directory, _anchor(argparse.Namespace())).load()


def _refused(exc: PublishError) -> int:
    for problem in exc.problems:
        print(f"refused: {problem}", file=sys.stderr)
    return 1


def _publisher(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn :class:`PublishError` (including a missing publish extra) into exit code 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except PublishError as exc:
            return _refused(exc)

    run.__doc__ = func.__doc__
    return run


def _site_root(args: argparse.Namespace) -> Any:
    from mobile_app.sync.publish import site_root

    return site_root(args.site, _anchor(args))


# --- publisher --------------------------------------------------------------------------------


def _cmd_keygen(args: argparse.Namespace) -> int:
    """Create an Ed25519 key pair."""
    from mobile_app.sync.publish import generate_keypair

    files = generate_keypair(args.out, args.name)
    entry = json.loads(files.public_key.read_text(encoding="utf-8"))
    print(f"private key: {files.private_key} (mode 0600; keep it offline, never commit it)")
    print(f"public key:  {files.public_key}")
    print(f"keyid:       {files.keyid}")
    print("give the public key file to whoever drafts the next root (kb root draft):")
    print(json.dumps(entry))
    return 0


def _parse_notes(args: argparse.Namespace) -> dict[str, str]:
    notes: dict[str, str] = {}
    if args.changelog:
        try:
            doc = loads(Path(args.changelog).read_bytes(), f"--changelog {args.changelog}")
        except (OSError, ValueError, NestingError) as exc:
            raise UsageError(f"--changelog {args.changelog}: {exc}") from None
        if not isinstance(doc, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
        ):
            raise UsageError(f"--changelog {args.changelog} must be a JSON object {{id: text}}")
        notes.update(doc)
    for item in args.note or []:
        ident, sep, text = item.partition("=")
        if not sep or not ident.strip():
            raise UsageError(f"--note must be ID=TEXT; got {item!r}")
        notes[ident.strip()] = text
    return notes


def _status_lines(root: Any, envelope: bytes) -> list[str]:
    from mobile_app.sync.envelope import Envelope
    from mobile_app.sync.publish import signature_status

    env = Envelope.parse(envelope, "the release", allow_unsigned=True)
    return [f"  {role}: {n} of {t} signature(s)" + (" ✓" if n >= t else f" (needs {t - n} more)")
            for role, (n, t) in signature_status(root, env).items()]


def _cmd_publish(args: argparse.Namespace) -> int:
    """Validate a KB directory and write it as a pending release (not live yet)."""
    from mobile_app.sync.publish import load_private_key, prepare_release

    notes = _parse_notes(args)
    if not Path(args.src).is_dir():
        raise UsageError(f"{args.src} is not a directory")
    keys = [load_private_key(k) for k in args.key or []]
    pending = prepare_release(args.src, args.out, keys=keys, expires_days=args.expires,
                              version=args.version, changelog=notes,
                              min_app_version=args.min_app_version)
    print(f"pending release {pending.version}: {pending.documents} documents "
          f"({len(pending.written)} new), expires {pending.expires.isoformat()}")
    for ident, text in pending.changes.items():
        print(f"  {ident}: {text}")
    args.site = args.out
    lines = _status_lines(_site_root(args), pending.path.read_bytes())
    for line in lines:
        print(line)
    roles = [line.split(":")[0].strip() for line in lines if "needs" in line]
    steps = [f"kb sign {args.out} --role {role} --key …" for role in roles]
    print(f"wrote {pending.path}; next: " + ", ".join([*steps, f"kb release {args.out}"]))
    return 0


def _confirm(prompt: str) -> bool:
    print(prompt, end="", flush=True)
    try:
        answer = sys.stdin.readline()
    except (OSError, ValueError):
        return False
    return answer.strip().lower() in ("y", "yes")


def _cmd_sign(args: argparse.Namespace) -> int:
    """Review a pending release and add a signature to it."""
    from mobile_app.knowledge.loader import MANIFEST
    from mobile_app.sync.content import bundled_content
    from mobile_app.sync.publish import (
        load_private_key,
        pending_release,
        read_published_manifest,
        sign_release,
        site_documents,
    )
    from mobile_app.sync.review import format_diff, release_diff

    key = load_private_key(args.key)
    root = _site_root(args)
    _path, _env, manifest = pending_release(args.site, args.version)
    new_docs = site_documents(args.site, manifest)
    previous = read_published_manifest(args.site)
    if previous is not None:
        old_docs = site_documents(args.site, previous)
        against = f"the published version {previous.version}"
    else:
        old_docs = dict(bundled_content().documents)
        against = "the content bundled with the app (nothing published yet)"
    lines = release_diff(old_docs, new_docs, manifest.changes)
    print(f"Release {manifest.version} compared with {against}: "
          f"{sum(1 for x in lines if x.kind == 'heading')} document(s) changed, "
          f"{sum(1 for x in lines if x.highlight)} dose or parameter change(s) marked >>")
    print(format_diff(lines, color=sys.stdout.isatty()))
    print(f"expires {manifest.expires.isoformat()}; {len(manifest.files)} documents; "
          f"live {MANIFEST} is untouched until kb release")
    if not args.yes and not _confirm(f"Sign release {manifest.version} as {args.role}? "
                                     "Type 'yes' to sign: "):
        print("not signed")
        return 1
    env = sign_release(args.site, key, args.role, root, version=manifest.version)
    print(f"signed release {manifest.version} as {args.role}")
    for line in _status_lines(root, env.to_bytes()):
        print(line)
    return 0


def _cmd_release(args: argparse.Namespace) -> int:
    """Make a pending release live once both roles' thresholds are met."""
    from mobile_app.sync.publish import release

    report = release(args.site, _site_root(args), version=args.version)
    print(f"released version {report.version}: {report.documents} documents, expires "
          f"{report.expires.isoformat()}")
    for role, ids in (report.signers or {}).items():
        print(f"  {role}: {', '.join(ids)}")
    print(f"wrote {report.manifest_path} last; serve {args.site} as static files "
          "(see README.txt and _headers there)")
    return 0


def _public_keys(paths: list[str] | None) -> list[bytes]:
    from mobile_app.sync.publish import load_public_key

    return [load_public_key(p) for p in paths or []]


def _cmd_root_draft(args: argparse.Namespace) -> int:
    """Write the next root (unsigned) for signing."""
    from mobile_app.sync.publish import draft_root

    current = _site_root(args)
    path = draft_root(
        args.site, current, root_keys=_public_keys(args.root_key),
        publisher_keys=_public_keys(args.publisher_key),
        reviewer_keys=_public_keys(args.reviewer_key), root_threshold=args.root_threshold,
        publisher_threshold=args.publisher_threshold,
        reviewer_threshold=args.reviewer_threshold, expires_days=args.expires)
    print(f"wrote {path} (root version {current.version + 1}, unsigned)")
    print(f"it needs {current.threshold('root')} signature(s) by root keys of version "
          f"{current.version} ({', '.join(current.body.roles['root'].keyids)}) and "
          f"{args.root_threshold} by its own root keys: kb root sign {args.site} --key …")
    return 0


def _cmd_root_sign(args: argparse.Namespace) -> int:
    """Add a root key's signature to the pending root."""
    from mobile_app.sync.publish import load_private_key, root_signature_status, sign_root

    current = _site_root(args)
    path = sign_root(args.site, load_private_key(args.key), current)
    status = root_signature_status(current, path.read_bytes())
    old, new = status["old"], status["new"]
    print(f"signed {path}: {old[0]} of {old[1]} old root key(s), {new[0]} of {new[1]} new")
    return 0


def _cmd_root_release(args: argparse.Namespace) -> int:
    """Publish the pending root once it verifies."""
    from mobile_app.sync.publish import release_root

    new = release_root(args.site, _site_root(args))
    print(f"published root version {new.version} ({args.site}/root/{new.version}.json), "
          f"expires {new.expires.isoformat()}")
    print("devices pick it up with the next manifest they download: publish and release a "
          "new content version signed by the new publisher and reviewer keys")
    return 0


def _cmd_pack(args: argparse.Namespace) -> int:
    """Write the live release of a site as one update file."""
    from mobile_app.store.atomic import write_atomic
    from mobile_app.sync.publish import site_pack

    version, data = site_pack(args.site)
    write_atomic(args.out, data, mode=0o644)
    print(f"wrote {args.out}: content version {version}, {len(data)} bytes; import it with "
          "Settings → Import update file, or mobile-app sync FILE")
    return 0


# --- devices ----------------------------------------------------------------------------------


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
        "root_version": loaded.root.version if loaded.root is not None else None,
        "pointer": state.model_dump(mode="json") if state is not None else None,
        "pointer_error": problems_state,
    }


def _cmd_status(args: argparse.Namespace) -> int:
    """Show the installed content version, source and verification state."""
    from mobile_app.store.db import CorruptStoreError
    from mobile_app.sync.content import ContentStore

    store = ContentStore(_data_dir(args), _anchor(args))
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
        if loaded.root is not None:
            print(f"trusted root: version {loaded.root.version}, expires "
                  f"{loaded.root.expires.date().isoformat()}")
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


async def _run_sync(args: argparse.Namespace, config: Config) -> Any:
    from mobile_app.sync.client import SyncClient, SyncStatus, Updater
    from mobile_app.sync.content import ContentStore
    from mobile_app.sync.errors import SyncError
    from mobile_app.sync.http import HttpxFetcher
    from mobile_app.sync.pack import PackSource

    content = ContentStore(_data_dir(args), _anchor(args))
    timeout = args.timeout or config.timeout_s
    deadline = args.deadline or config.deadline_s

    def progress(status: SyncStatus) -> None:
        if not args.json and status.state in ("checking", "downloading"):
            print(status.message, file=sys.stderr)

    if args.pack is not None:
        try:
            source = PackSource(args.pack.read_bytes(), args.pack.name)
        except OSError as exc:
            raise UsageError(f"cannot read {args.pack}: {exc}") from None
        except SyncError as exc:
            from mobile_app.sync.client import SyncResult

            return SyncResult(state="rejected", message=f"Update rejected: {exc}.", version=0,
                              previous_version=0, error=exc)
        return await Updater(content, source, timeout=timeout, deadline=deadline).run(
            on_progress=progress)
    async with HttpxFetcher() as fetcher:
        client = SyncClient(args.url, content, fetcher, timeout=timeout, deadline=deadline)
        return await client.sync(progress)


def _cmd_sync(args: argparse.Namespace) -> int:
    """Fetch (or read from an update file), verify and install an update."""
    config = _config()
    target = args.url
    args.pack = None
    if target.endswith(".bmpack") or (Path(target).is_file() and "://" not in target):
        args.pack = Path(target)
        if not args.pack.is_file():
            raise UsageError(f"{target} is not a file")
    elif not target.startswith(("http://", "https://")):
        raise UsageError(f"give an http(s):// URL or a .bmpack file; got {target!r}")
    for name in ("timeout", "deadline"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            raise UsageError(f"--{name} must be positive; got {value}")
    result = asyncio.run(_run_sync(args, config))
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
            "not_modified": result.not_modified,
            "root_version": result.root_version,
        }, indent=2, ensure_ascii=False))
    else:
        print(result.message)
        for change in result.changes:
            print(f"  {change.kind:8} {change.id}: {change.note or '(no changelog entry)'}")
    return 0 if result.ok else 1


# --- wiring -----------------------------------------------------------------------------------


def _trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--trusted-keys", metavar="FILE",
                        help="trust anchor (a root, or the older key list) instead of "
                             "$BONEMETS_TRUSTED_KEYS or the root shipped with the app")


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="app data directory (default $BONEMETS_DATA_DIR, "
                                           "$FLET_APP_STORAGE_DATA or ./storage)")


def register(
    top_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    kb_subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """Add ``sync`` to the top-level commands and the publisher and device commands to ``kb``.

    Each parser sets ``func(args) -> int`` (the exit code), like the existing commands; bad
    usage raises :class:`mobile_app.cli.UsageError`.

    Args:
        top_subparsers: The ``add_subparsers()`` result of the ``mobile-app`` parser.
        kb_subparsers: The ``add_subparsers()`` result of the ``kb`` parser.
    """
    keygen = kb_subparsers.add_parser("keygen", help="create an Ed25519 key pair")
    keygen.add_argument("--out", required=True, help="directory for the key files")
    keygen.add_argument("--name", default="publisher",
                        help="file name stem: publisher (default), reviewer, root…")
    keygen.set_defaults(func=_publisher(_cmd_keygen))

    pub = kb_subparsers.add_parser(
        "publish", help="validate a KB directory and write a pending release (kb release "
                        "makes it live)")
    pub.add_argument("src", help="KB source directory (same layout as the bundled KB)")
    pub.add_argument("--out", required=True, help="publisher output directory (the site)")
    pub.add_argument("--key", action="append", metavar="PEM",
                     help="sign right away with this private key (usually the publisher's)")
    pub.add_argument("--expires", type=float, default=30, metavar="DAYS",
                     help="manifest lifetime in days (default 30)")
    pub.add_argument("--version", type=int, help="version (default: published + 1)")
    pub.add_argument("--changelog", metavar="FILE", help="JSON object {id: changelog text}")
    pub.add_argument("--note", action="append", metavar="ID=TEXT",
                     help="changelog entry for one changed card or calculator (repeatable); "
                          "'*=TEXT' covers every id in the first publication")
    pub.add_argument("--min-app-version", help="oldest app version that may install it")
    _trust_option(pub)
    pub.set_defaults(func=_publisher(_cmd_publish))

    sign = kb_subparsers.add_parser(
        "sign", help="show the per-card diff of a pending release and sign it")
    sign.add_argument("site", help="publisher output directory")
    sign.add_argument("--role", required=True, choices=["publisher", "clinical-reviewer"])
    sign.add_argument("--key", required=True, metavar="PEM", help="your private key")
    sign.add_argument("--version", type=int, help="pending release (default: the newest)")
    sign.add_argument("--yes", action="store_true", help="sign without asking (scripts)")
    _trust_option(sign)
    sign.set_defaults(func=_publisher(_cmd_sign))

    rel = kb_subparsers.add_parser(
        "release", help="make a pending release live (refused until both roles signed)")
    rel.add_argument("site", help="publisher output directory")
    rel.add_argument("--version", type=int, help="pending release (default: the newest)")
    _trust_option(rel)
    rel.set_defaults(func=_publisher(_cmd_release))

    root = kb_subparsers.add_parser("root", help="rotate or revoke keys (the signed root)")
    rsub = root.add_subparsers(dest="root_command", required=True)
    draft = rsub.add_parser("draft", help="write the next root, unsigned")
    draft.add_argument("site", help="publisher output directory")
    for role in ("root", "publisher", "reviewer"):
        draft.add_argument(f"--{role}-key", action="append", required=True, metavar="PUB",
                           help=f"{role} public key file (*.pub.json; repeatable)")
        draft.add_argument(f"--{role}-threshold", type=int, default=1,
                           help=f"signatures of {role} keys needed (default 1)")
    draft.add_argument("--expires", type=float, default=365, metavar="DAYS",
                       help="root lifetime in days (default 365)")
    _trust_option(draft)
    draft.set_defaults(func=_publisher(_cmd_root_draft))
    rsign = rsub.add_parser("sign", help="sign the pending root (old or new root key)")
    rsign.add_argument("site", help="publisher output directory")
    rsign.add_argument("--key", required=True, metavar="PEM", help="a root private key")
    _trust_option(rsign)
    rsign.set_defaults(func=_publisher(_cmd_root_sign))
    rrel = rsub.add_parser("release", help="publish the pending root once it verifies")
    rrel.add_argument("site", help="publisher output directory")
    _trust_option(rrel)
    rrel.set_defaults(func=_publisher(_cmd_root_release))

    pack = kb_subparsers.add_parser("pack", help="write the live release as one update file")
    pack.add_argument("site", help="publisher output directory")
    pack.add_argument("--out", required=True, help="the .bmpack file to write")
    pack.set_defaults(func=_publisher(_cmd_pack))

    status = kb_subparsers.add_parser(
        "status", help="installed content version, source and verification state"
    )
    _data_option(status)
    _trust_option(status)
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=_cmd_status)

    sync = top_subparsers.add_parser(
        "sync", help="fetch (or read from an update file), verify and install an update")
    sync.add_argument("url", help="base URL of the published release (where manifest.json "
                                  "is), or a .bmpack update file")
    _data_option(sync)
    _trust_option(sync)
    sync.add_argument("--timeout", type=float, default=None,
                      help="seconds per request (default $BONEMETS_TIMEOUT or 15)")
    sync.add_argument("--deadline", type=float, default=None,
                      help="seconds for the whole update (default $BONEMETS_SYNC_DEADLINE or "
                           "120)")
    sync.add_argument("--json", action="store_true")
    sync.set_defaults(func=_cmd_sync)
