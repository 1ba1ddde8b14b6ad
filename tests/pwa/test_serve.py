"""``mobile-app serve-pwa``: precompressed copies with Content-Encoding, deep links, 304s.

A tiny site in a temporary folder; the server runs in a thread on 127.0.0.1. The real build is
served by this server in ``test_pwa.py`` (installed and used offline in Chromium).
"""

from __future__ import annotations

import gzip
import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path

import brotli
import pytest

from mobile_app.cli import main as cli_main
from mobile_app.tools.pwa.compress import originals, precompress
from mobile_app.tools.pwa.serve import in_thread, make_server

SCRIPT = ("function f(x) { return x * 2; }\n" * 400).encode()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>shell</title>" + "x" * 2000)
    (tmp_path / "main.dart.js").write_bytes(SCRIPT)
    (tmp_path / "icon.png").write_bytes(b"\x89PNG" + os.urandom(4000))
    (tmp_path / "tiny.json").write_text("{}")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.wasm").write_bytes(b"\0asm" + b"\1" * 5000)
    return tmp_path


@pytest.fixture
def server(site: Path) -> Iterator[tuple[str, int, list[tuple[str, int]]]]:
    precompress(site, sorted(p.relative_to(site).as_posix() for p in site.rglob("*")
                             if p.is_file()))
    sent: list[tuple[str, int]] = []
    srv = make_server(site, port=0, base_url="/app/", on_sent=lambda p, n: sent.append((p, n)))
    in_thread(srv)
    try:
        yield "127.0.0.1", int(srv.server_address[1]), sent
    finally:
        srv.shutdown()
        srv.server_close()


def get(addr: tuple[str, int, object], path: str, **headers: str
        ) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(addr[0], addr[1], timeout=10)
    try:
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


def test_precompress_writes_copies_that_pay_and_skips_compressed_formats(site: Path) -> None:
    files = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    written = precompress(site, files)
    assert set(written) == {"index.html", "main.dart.js", "assets/app.wasm"}
    assert brotli.decompress((site / "main.dart.js.br").read_bytes()) == SCRIPT
    assert gzip.decompress((site / "main.dart.js.gz").read_bytes()) == SCRIPT
    assert not (site / "icon.png.gz").exists() and not (site / "tiny.json.br").exists()
    after = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert originals(after) == files


def test_a_changed_file_never_keeps_a_stale_copy(site: Path) -> None:
    files = ["main.dart.js"]
    precompress(site, files)
    (site / "main.dart.js").write_bytes(b"changed" * 1000)
    precompress(site, files)
    assert brotli.decompress((site / "main.dart.js.br").read_bytes()) == b"changed" * 1000
    (site / "main.dart.js").write_bytes(os.urandom(3000))  # no longer compressible
    precompress(site, files)
    assert not (site / "main.dart.js.br").exists() and not (site / "main.dart.js.gz").exists()


def test_sends_the_best_encoding_the_browser_accepts(server: tuple[str, int, list]) -> None:
    status, h, body = get(server, "/app/main.dart.js", **{"Accept-Encoding": "gzip, deflate, br"})
    assert status == 200 and h["content-encoding"] == "br"
    assert h["content-type"] == "text/javascript" and h["vary"] == "Accept-Encoding"
    assert brotli.decompress(body) == SCRIPT and len(body) < len(SCRIPT) / 10
    assert server[2][0] == ("/app/main.dart.js", len(body))  # what a benchmark counts
    status, h, body = get(server, "/app/main.dart.js", **{"Accept-Encoding": "gzip"})
    assert h["content-encoding"] == "gzip" and gzip.decompress(body) == SCRIPT
    status, h, body = get(server, "/app/main.dart.js")
    assert "content-encoding" not in h and body == SCRIPT
    status, h, body = get(server, "/app/assets/app.wasm", **{"Accept-Encoding": "br"})
    assert h["content-type"] == "application/wasm" and h["content-encoding"] == "br"


def test_routes_get_the_app_shell_and_missing_files_a_404(server: tuple[str, int, list]
                                                          ) -> None:
    shell = get(server, "/app/")[2]
    assert b"<title>shell</title>" in shell
    for route in ("/app/card/sins", "/app/calc/sins?x=1", "/app"):
        status, h, body = get(server, route)
        assert status == 200 and body == shell, route
    assert get(server, "/app/missing.js")[0] == 404
    assert get(server, "/elsewhere/index.html")[0] == 404
    assert get(server, "/app/../../etc/passwd")[2] == shell  # never outside the site
    assert get(server, "/app/%2e%2e/%2e%2e/etc/ssl/openssl.cnf")[0] == 404


def test_unchanged_files_are_revalidated_with_a_304(server: tuple[str, int, list],
                                                   site: Path) -> None:
    status, h, _ = get(server, "/app/main.dart.js", **{"Accept-Encoding": "br"})
    assert h["cache-control"] == "no-cache"
    status, h, body = get(server, "/app/main.dart.js", **{
        "Accept-Encoding": "br", "If-Modified-Since": h["last-modified"]})
    assert status == 304 and body == b""
    later = time.time() + 5
    os.utime(site / "main.dart.js", (later, later))
    status, _, _ = get(server, "/app/main.dart.js", **{"If-Modified-Since": h["last-modified"]})
    assert status == 200


def test_serve_pwa_refuses_a_folder_that_is_not_a_build(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    assert cli_main(["serve-pwa", str(tmp_path)]) == 2
    assert "not a built PWA" in capsys.readouterr().err
