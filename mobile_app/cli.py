"""Command-line interface: calculators, cards, search and knowledge-base tools.

Exit codes: 0 success; 1 the knowledge base (or another checked object) is invalid; 2 bad
usage or bad input (one line on stderr naming the field, the value and the allowed range).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from mobile_app import __version__
from mobile_app.config import DATA_DIR_ENV, FLET_DATA_ENV
from mobile_app.domain.errors import InputError, each_error
from mobile_app.knowledge.loader import (
    MANIFEST,
    KBValidationError,
    KnowledgeBase,
    build_manifest,
    load_bundled,
    load_files,
    read_directory,
)
from mobile_app.knowledge.text import card_text, result_text

__all__ = ["UsageError", "main"]

_DATA_HELP = ("show the verified content installed in this app data directory (default: "
              "$BONEMETS_DATA_DIR if set, else the content bundled with the app)")


class UsageError(Exception):
    """Bad usage: printed as one line, exit 2."""


def _kb(args: argparse.Namespace | None = None) -> KnowledgeBase:
    """The bundled knowledge base, or with ``--data-dir`` (or ``BONEMETS_DATA_DIR``) the
    verified installed content the app shows from that directory.
    """
    data_dir = getattr(args, "data_dir", None)
    if data_dir is None and not (os.environ.get(DATA_DIR_ENV)
                                 or os.environ.get(FLET_DATA_ENV)):
        return load_bundled()
    from mobile_app.sync.cli import load_content

    loaded = load_content(data_dir)
    for problem in loaded.problems:
        print(f"warning: {problem}", file=sys.stderr)
    return loaded.kb


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


def _cmd_calc(args: argparse.Namespace) -> int:
    kb = _kb()
    if args.list:
        _print_json([
            {"id": c.id, "title": c.title, "summary": c.summary, "group": c.group,
             "evidence": c.evidence, "input_schema": c.input_schema()}
            for c in kb.calculators.values()
        ])
        return 0
    if not args.id:
        raise UsageError("give a calculator id (see: mobile-app calc --list)")
    calc = kb.calculators.get(args.id)
    if calc is None:
        raise UsageError(f"unknown calculator {args.id!r}; known: {', '.join(kb.calculators)}")
    if args.input is None:
        raise UsageError("give the input as JSON: --input '{...}'")
    try:
        raw = json.loads(args.input)
    except json.JSONDecodeError as exc:
        raise UsageError(f"--input is not valid JSON: {exc.msg} at position {exc.pos}") from None
    try:
        result = calc.run(raw)
    except InputError as exc:
        for err in each_error(exc):
            print(f"error: {err.field}: {err.message}", file=sys.stderr)
        return 2
    if args.format == "text":
        print(result_text(result, kb))
    else:
        _print_json(result.model_dump(mode="json"))
    return 0


def _cmd_cards(args: argparse.Namespace) -> int:
    kb = _kb(args)
    if args.json:
        _print_json([
            {"id": c.id, "title": c.title, "group": c.group, "evidence": c.evidence,
             "version": c.version, "last_reviewed": c.last_reviewed.isoformat()}
            for c in kb.cards.values()
        ])
        return 0
    for c in kb.cards.values():
        flag = "" if c.evidence == "confirmed" else f"  [{c.evidence}]"
        print(f"{c.id:28} {c.group:10} {c.title}{flag}")
    return 0


def _cmd_card(args: argparse.Namespace) -> int:
    kb = _kb(args)
    card = kb.cards.get(args.id)
    if card is None:
        raise UsageError(f"unknown card {args.id!r}; known: {', '.join(kb.cards)}")
    if args.json:
        _print_json(card.model_dump(mode="json"))
    else:
        print(card_text(card, kb))
    return 0


def _cmd_search(args: argparse.Namespace) -> int:
    kb = _kb(args)
    hits = kb.search(args.query, limit=args.limit)
    if args.json:
        _print_json([{"id": h.id, "kind": h.kind, "title": h.title, "score": h.score}
                     for h in hits])
        return 0
    if not hits:
        print("no results")
    for h in hits:
        print(f"{h.kind:10} {h.id:28} {h.title}")
    return 0


def _read_kb_dir(directory: str | None) -> dict[str, bytes]:
    if directory is None:
        from mobile_app.knowledge.loader import read_bundled_files

        return read_bundled_files()
    path = Path(directory)
    if not path.is_dir():
        raise UsageError(f"{directory} is not a directory")
    return read_directory(path)


def _cmd_kb_validate(args: argparse.Namespace) -> int:
    files = _read_kb_dir(args.dir)
    try:
        kb = load_files(files)
    except KBValidationError as exc:
        for problem in exc.problems:
            print(f"invalid: {problem}", file=sys.stderr)
        print(f"{len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
    print(
        f"ok: content v{kb.version} ({kb.issued.isoformat()}): {len(kb.cards)} cards, "
        f"{len(kb.calculators)} calculators, {len(kb.references)} references; schema valid, "
        "ids unique, every figure cited, manifest hashes match"
    )
    return 0


def _cmd_kb_manifest(args: argparse.Namespace) -> int:
    root = Path(args.dir) if args.dir else Path(__file__).parent / "knowledge" / "data"
    files = read_directory(root)
    old = None
    if MANIFEST in files:
        old = json.loads(files[MANIFEST])
    version = args.version or (old or {}).get("version", 1)
    issued = date.fromisoformat(args.issued) if args.issued else date.today()
    manifest = build_manifest(files, version=version, issued=issued)
    text = json.dumps(manifest.model_dump(mode="json"), indent=1, sort_keys=True) + "\n"
    (root / MANIFEST).write_text(text, encoding="utf-8")
    print(f"wrote {root / MANIFEST}: version {version}, {len(manifest.files)} files")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from mobile_app.app import run

    run(host=args.host, port=args.port)
    return 0


def _cmd_build_pwa(args: argparse.Namespace) -> int:
    from mobile_app.tools.pwa import DEFAULT_OUT, BuildError, build_pwa

    try:
        report = build_pwa(args.out or DEFAULT_OUT, base_url=args.base_url,
                           update_url=args.update_url, trusted_keys_file=args.trusted_keys)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(report.format())
    return 0


def _cmd_serve_pwa(args: argparse.Namespace) -> int:
    from mobile_app.tools.pwa import DEFAULT_OUT
    from mobile_app.tools.pwa.serve import serve

    site = Path(args.dir) if args.dir else DEFAULT_OUT
    if not (site / "index.html").is_file():
        raise UsageError(f"{site} is not a built PWA (run: mobile-app build-pwa)")
    serve(site, host=args.host, port=args.port, base_url=args.base_url)
    return 0


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mobile-app", description="BoneMets Pocket")
    p.add_argument("--version", action="version", version=f"mobile-app {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the app (Flet web server on 127.0.0.1)")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8550)
    run.set_defaults(func=_cmd_run)

    calc = sub.add_parser("calc", help="run a calculator; prints the result as JSON or text")
    calc.add_argument("id", nargs="?", help="calculator id")
    calc.add_argument("--input", help="input as a JSON object")
    calc.add_argument("--format", choices=("json", "text"), default="json",
                      help="json (default): the whole result; text: what the screen and "
                      "'Copy result' show")
    calc.add_argument("--list", action="store_true", help="list calculators with input schemas")
    calc.set_defaults(func=_cmd_calc)

    cards = sub.add_parser("cards", help="list the quick cards")
    cards.add_argument("--json", action="store_true")
    cards.add_argument("--data-dir", help=_DATA_HELP)
    cards.set_defaults(func=_cmd_cards)

    card = sub.add_parser("card", help="show one card")
    card.add_argument("id")
    card.add_argument("--json", action="store_true")
    card.add_argument("--data-dir", help=_DATA_HELP)
    card.set_defaults(func=_cmd_card)

    search = sub.add_parser("search", help="search cards and calculators")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=10)
    search.add_argument("--json", action="store_true")
    search.add_argument("--data-dir", help=_DATA_HELP)
    search.set_defaults(func=_cmd_search)

    kb = sub.add_parser("kb", help="knowledge-base tools")
    kbsub = kb.add_subparsers(dest="kb_command", required=True)
    val = kbsub.add_parser("validate", help="validate a KB directory (default: the bundled KB)")
    val.add_argument("dir", nargs="?")
    val.set_defaults(func=_cmd_kb_validate)
    man = kbsub.add_parser("manifest", help="rewrite manifest.json of a KB directory")
    man.add_argument("dir", nargs="?")
    man.add_argument("--version", type=int)
    man.add_argument("--issued", help="YYYY-MM-DD (default today)")
    man.set_defaults(func=_cmd_kb_manifest)

    pwa = sub.add_parser(
        "build-pwa", help="build the installable offline PWA (a static site) into build/pwa")
    pwa.add_argument("--out", type=Path, default=None,
                     help="output directory (default: build/pwa)")
    pwa.add_argument("--base-url", default="/",
                     help="URL path the site will be served from (default: /)")
    pwa.add_argument("--update-url", metavar="URL", default=None,
                     help="publisher URL the app syncs signed content updates from "
                          "(manifest.json and docs/ below it; the host must send CORS "
                          "headers); default: no updates")
    pwa.add_argument("--trusted-keys", metavar="FILE", type=Path, default=None,
                     help="trusted_keys.json replacing the shipped publisher keys in this "
                          "build (a deployment with its own publisher)")
    pwa.set_defaults(func=_cmd_build_pwa)

    srv = sub.add_parser(
        "serve-pwa", help="serve a built PWA: precompressed files, deep links (127.0.0.1)")
    srv.add_argument("dir", nargs="?", help="the built site (default: build/pwa)")
    srv.add_argument("--host", default="127.0.0.1")
    srv.add_argument("--port", type=int, default=8080)
    srv.add_argument("--base-url", default="/",
                     help="URL path the site was built for (build-pwa --base-url)")
    srv.set_defaults(func=_cmd_serve_pwa)

    from mobile_app.sync.cli import register as register_sync

    register_sync(sub, kbsub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mobile-app``."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code
