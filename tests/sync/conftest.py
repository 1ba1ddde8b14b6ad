"""Harness for the sync tests (sync-design §5.2).

A real ``ThreadingHTTPServer`` on 127.0.0.1 (port 0) in a daemon thread serves a publisher
output directory, with an ``ETag`` on every file and ``304`` for a matching ``If-None-Match``
(like any static host). ``server.faults[path]`` replaces the normal answer for one URL path with a
fault (status, truncated, body, endless, stall, drip, redirect, encoded, reset_after);
``server.hits`` records every path requested, in order, and ``server.request_headers`` the
headers of each request.
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mobile_app.knowledge.loader import MANIFEST, read_bundled_files
from mobile_app.sync.client import SyncClient, SyncResult
from mobile_app.sync.content import ContentStore, LoadedContent, sha256_hex
from mobile_app.sync.envelope import PAYLOAD_TYPE, keyid_for, make_envelope, pae
from mobile_app.sync.http import HttpxFetcher
from mobile_app.sync.manifest import FileEntry, SignedManifest
from mobile_app.sync.publish import PublishReport, public_key_bytes, publish
from mobile_app.sync.root import TrustedRoot

Fault = Callable[[BaseHTTPRequestHandler], None]

HYPO = "cards/hypocalcemia.json"
DEXA = "cards/dexamethasone.json"
BOLUS = "Calcium gluconate 10% (bolus)"


# --- faults -----------------------------------------------------------------------------------


def status(code: int) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(code)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return fault


def truncated(data: bytes, keep: int) -> Fault:
    """Announce the real Content-Length, send only ``keep`` bytes, close."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data[:keep])
        h.wfile.flush()
        h.close_connection = True

    return fault


def body(other: bytes) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(other)))
        h.end_headers()
        h.wfile.write(other)

    return fault


def endless(limit: int = 64 * 1024 * 1024) -> Fault:
    """No Content-Length; stream until the client hangs up (or ``limit`` bytes, a safety net)."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.end_headers()
        chunk = b"{" * 65536
        sent = 0
        try:
            while sent < limit:
                h.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        h.close_connection = True

    return fault


def stall(seconds: float) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        try:
            h.send_response(200)
            h.send_header("Content-Length", "2")
            h.end_headers()
            h.wfile.write(b"{}")
        except OSError:
            pass

    return fault


def drip(data: bytes, every: float) -> Fault:
    """Headers at once, then one byte every ``every`` seconds (each read is 'fast enough')."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        try:
            for i in range(len(data)):
                h.wfile.write(data[i : i + 1])
                h.wfile.flush()
                time.sleep(every)
        except OSError:
            pass
        h.close_connection = True

    return fault


def encoded(data: bytes, encoding: str, *, layers: int = 1) -> Fault:
    """``data`` gzip-compressed ``layers`` times, sent with ``Content-Encoding: encoding``."""
    for _ in range(layers):
        data = gzip.compress(data)

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", encoding)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return fault


def gzip_bomb(decoded_bytes: int, layers: int) -> bytes:
    """Zeros of ``decoded_bytes`` gzip-compressed ``layers`` times, without ever holding the
    decoded bytes (256 MB of zeros: about 250 kB in one layer, under 1 kB in two)."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [comp.compress(chunk) for _ in range(decoded_bytes // len(chunk))]
    data = b"".join(parts) + comp.flush()
    for _ in range(layers - 1):
        data = gzip.compress(data, 9)
    return data


def raw_encoded(data: bytes, encoding: str) -> Fault:
    """``data`` as it is, announced with ``Content-Encoding: encoding``."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Encoding", encoding)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return fault


def reset_after(data: bytes, keep: int) -> Fault:
    """Announce the real length, send ``keep`` bytes, then reset the connection (TCP RST)."""

    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data[:keep])
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
        h.close_connection = True

    return fault


def redirect(location: str, code: int = 302) -> Fault:
    def fault(h: BaseHTTPRequestHandler) -> None:
        h.send_response(code)
        h.send_header("Location", location)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return fault


# --- server -----------------------------------------------------------------------------------


class FaultServer:
    """Static files from ``root`` with per-path fault hooks and a hit log."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.faults: dict[str, Fault] = {}
        self.hits: list[str] = []
        self.request_headers: list[dict[str, str]] = []  # one per hit
        self.etags = True  # like any static host: ETag, and 304 for a matching If-None-Match
        self.last_modified = False  # Last-Modified, and 304 for a matching If-Modified-Since
        self.not_modified = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                server.hits.append(path)
                server.request_headers.append({k.lower(): v for k, v in self.headers.items()})
                fault = server.faults.get(path)
                if fault is not None:
                    fault(self)
                    return
                target = (server.root / path.lstrip("/")).resolve()
                if not target.is_file() or server.root.resolve() not in target.parents:
                    status(404)(self)
                    return
                data = target.read_bytes()
                etag = f'"{sha256_hex(data)[:32]}"'
                modified = formatdate(target.stat().st_mtime, usegmt=True)
                if (server.etags and self.headers.get("If-None-Match") == etag) or (
                    server.last_modified and not server.etags
                    and self.headers.get("If-Modified-Since") == modified
                ):
                    server.not_modified += 1
                    self.send_response(304)
                    if server.etags:
                        self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if server.etags:
                    self.send_header("ETag", etag)
                if server.last_modified:
                    self.send_header("Last-Modified", modified)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # clients hanging up on endless/stalled answers is the point

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def content_hits(self) -> list[str]:
        """Hits other than root probes (``/root/<N>.json``)."""
        return [h for h in self.hits if not h.startswith("/root/")]

    def doc_hits(self) -> list[str]:
        return [h for h in self.hits if h.startswith("/docs/")]

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- KB variants ------------------------------------------------------------------------------


def base_files() -> dict[str, bytes]:
    """The bundled KB's documents (no manifest)."""
    return {k: v for k, v in read_bundled_files().items() if k != MANIFEST}


def edit_card(files: Mapping[str, bytes], path: str, edit: Callable[[dict[str, Any]], None]) -> (
    dict[str, bytes]
):
    out = dict(files)
    card = json.loads(files[path])
    edit(card)
    card["version"] = card["version"] + 1
    if card.get("changes"):  # a revised card's change note must cover its new version
        card["changes"].insert(0, {**card["changes"][0], "version": card["version"],
                                   "text": "Test edit of one statement."})
    out[path] = (json.dumps(card, indent=2, ensure_ascii=False) + "\n").encode()
    return out


def set_dose(files: Mapping[str, bytes], path: str, drug: str, amount: str) -> dict[str, bytes]:
    def edit(card: dict[str, Any]) -> None:
        for section in card["sections"]:
            for dose in section.get("doses", []):
                if dose["drug"] == drug:
                    dose["amount"] = amount
                    return
        raise AssertionError(f"no dose {drug!r} in {path}")

    return edit_card(files, path, edit)


def v3_files() -> dict[str, bytes]:
    """v3 changes one card: the calcium gluconate bolus becomes 20 mL."""
    return set_dose(base_files(), HYPO, BOLUS, "20")


def write_tree(root: Path, files: Mapping[str, bytes]) -> Path:
    """Write a KB source directory (path → bytes) under ``root``; returns ``root``."""
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def dose_amount(content: LoadedContent, card_id: str, drug: str) -> str:
    for section in content.kb.cards[card_id].sections:
        for dose in section.doses:
            if dose.drug == drug:
                return dose.amount
    raise AssertionError(drug)


# --- environment ------------------------------------------------------------------------------


@dataclass
class Env:
    tmp: Path
    out: Path
    data: Path
    server: FaultServer
    key: Ed25519PrivateKey
    keys: TrustedRoot
    clock: list[datetime] = field(default_factory=lambda: [datetime.now(UTC)])

    def now(self) -> datetime:
        return self.clock[0]

    @property
    def content(self) -> ContentStore:
        return ContentStore(self.data, self.keys, now=self.now)

    def publish(
        self,
        files: Mapping[str, bytes] | None = None,
        version: int | None = None,
        notes: Mapping[str, str] | None = None,
        **kw: Any,
    ) -> PublishReport:
        src = write_tree(self.tmp / f"src-{len(list(self.tmp.glob('src-*')))}",
                         files if files is not None else base_files())
        if notes is None:
            notes = {"*": "initial release"} if not (self.out / MANIFEST).exists() else {}
        return publish(src, self.key, self.out, version=version, changelog=notes, **kw)

    def publish_raw(
        self,
        files: Mapping[str, bytes],
        version: int,
        *,
        key: Ed25519PrivateKey | None = None,
        keyid: str | None = None,
        payload_type: str = PAYLOAD_TYPE,
        expires: datetime | None = None,
        min_app_version: str = "0.1.0",
    ) -> bytes:
        """Sign and serve a manifest WITHOUT the publisher's checks (attacker / broken CDN)."""
        now = datetime.now(UTC).replace(microsecond=0)
        manifest = SignedManifest(
            version=version,
            issued=now - timedelta(days=1),
            expires=expires or now + timedelta(days=30),
            min_app_version=min_app_version,
            files={p: FileEntry(sha256=sha256_hex(d), length=len(d)) for p, d in files.items()},
        )
        for data in files.values():
            doc = self.out / "docs" / f"{sha256_hex(data)}.json"
            doc.parent.mkdir(parents=True, exist_ok=True)
            doc.write_bytes(data)
        envelope = sign(manifest.to_json_bytes(), key or self.key, keyid=keyid,
                        payload_type=payload_type)
        (self.out / MANIFEST).write_bytes(envelope)
        return envelope

    def sync(
        self, *, timeout: float = 2.0, now: datetime | None = None, url: str | None = None,
        **kw: Any,
    ) -> SyncResult:
        async def go() -> SyncResult:
            async with HttpxFetcher(trust_env=False) as fetcher:
                client = SyncClient(
                    url or self.server.url, self.content, fetcher,
                    now=(lambda: now) if now is not None else self.now, timeout=timeout, **kw,
                )
                return await client.sync()

        self.server.hits.clear()
        self.server.request_headers.clear()
        return asyncio.run(go())

    def doc_path(self, data: bytes) -> str:
        return f"/docs/{sha256_hex(data)}.json"


def sign(
    body_bytes: bytes,
    key: Ed25519PrivateKey,
    *,
    keyid: str | None = None,
    payload_type: str = PAYLOAD_TYPE,
) -> bytes:
    sig = key.sign(pae(payload_type, body_bytes))
    kid = keyid if keyid is not None else keyid_for(public_key_bytes(key))
    if payload_type == PAYLOAD_TYPE:
        return make_envelope(body_bytes, [(kid, sig)])
    doc = {
        "payloadType": payload_type,
        "payload": base64.b64encode(body_bytes).decode(),
        "signatures": [{"keyid": kid, "sig": base64.b64encode(sig).decode()}],
    }
    return json.dumps(doc).encode()


def installed(content: ContentStore) -> tuple[int, dict[str, str]]:
    """Re-load (re-verify) the content and return (version, {path: sha256})."""
    fresh = ContentStore(content.data_dir, content.anchor)
    loaded = fresh.load()
    return loaded.version, loaded.digests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def env(tmp_path: Path, signing_key: Ed25519PrivateKey) -> Iterator[Env]:
    out = tmp_path / "site"
    out.mkdir()
    server = FaultServer(out)
    keys = TrustedRoot.from_public_keys([public_key_bytes(signing_key)])
    try:
        yield Env(tmp=tmp_path, out=out, data=tmp_path / "data", server=server,
                  key=signing_key, keys=keys)
    finally:
        server.stop()


@pytest.fixture
def at_v2(env: Env) -> Env:
    """v2 (the bundled content, signed) published and installed."""
    env.publish(version=2)
    result = env.sync()
    assert result.state == "installed", result.message
    assert installed(env.content)[0] == 2
    return env
