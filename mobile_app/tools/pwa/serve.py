"""A small static server for the built PWA (``mobile-app serve-pwa``), standard library only.

What a plain ``python -m http.server`` does not do and the PWA wants:

- **Precompressed files**: for ``x.js`` it sends ``x.js.br`` or ``x.js.gz`` (written by the
  build) with ``Content-Encoding`` when the browser accepts it, and ``Vary: Accept-Encoding``;
  the first visit downloads about half the bytes.
- **Deep links**: a path without a file extension that is not a file (``/card/sins``) is
  answered with ``index.html``, so a route opened on a first visit works.
- **Revalidation**: every answer carries ``Last-Modified`` and ``Cache-Control: no-cache``
  (the file names are the same from one build to the next), so the browser revalidates and
  gets ``304 Not Modified`` for what it has; the service worker's precache then costs no
  second download.
- A URL prefix (``--base-url /bonemets/``) for a build made with that base URL.

For production behind nginx or Caddy, see the README (``gzip_static``/``brotli_static``,
``precompressed``).
"""

from __future__ import annotations

import email.utils
import os
import posixpath
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from mobile_app.tools.pwa.compress import ENCODINGS

__all__ = ["PWARequestHandler", "in_thread", "make_server", "serve"]

_TYPES = {".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
          ".json": "application/json", ".ttf": "font/ttf", ".otf": "font/otf",
          ".woff2": "font/woff2", ".webmanifest": "application/manifest+json"}


class PWARequestHandler(SimpleHTTPRequestHandler):
    """Serves one built site (see the module docstring)."""

    base_url = "/"
    """URL path the site is served from."""
    on_sent: Callable[[str, int], None] | None = None
    """Called with (path, bytes of the body) after each answer with a body (benchmarks)."""

    def __init__(self, *args: Any, directory: str, **kwargs: Any) -> None:
        super().__init__(*args, directory=directory, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: one line per request only when ``BONEMETS_SERVE_LOG`` is set."""
        if os.environ.get("BONEMETS_SERVE_LOG"):
            super().log_message(format, *args)

    def _site_path(self) -> str | None:
        """The request's path relative to the base URL, or ``None`` outside it."""
        path = unquote(urlsplit(self.path).path)
        base = self.base_url if self.base_url.endswith("/") else self.base_url + "/"
        if path + "/" == base:
            return ""
        if not path.startswith(base):
            return None
        return path[len(base):]

    def _file(self, rel: str) -> Path | None:
        root = Path(self.directory).resolve()
        parts = [p for p in posixpath.normpath("/" + rel).split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            return None
        path = root.joinpath(*parts) if parts else root
        if path.is_dir():
            path = path / "index.html"
        if path.is_file():
            return path
        if parts and "." not in parts[-1]:  # a route, not a file: the app shell answers
            index = root / "index.html"
            return index if index.is_file() else None
        return None

    def _encoding(self, path: Path) -> tuple[Path, str | None]:
        accepted = {e.split(";")[0].strip().lower()
                    for e in self.headers.get("Accept-Encoding", "").split(",")}
        for encoding, suffix in ENCODINGS.items():
            packed = path.with_name(path.name + suffix)
            if encoding in accepted and packed.is_file():
                return packed, encoding
        return path, None

    def send_head(self) -> Any:
        """Headers for GET/HEAD; returns the open body file, or ``None``."""
        rel = self._site_path()
        path = self._file(rel) if rel is not None else None
        if path is None:
            self.send_error(HTTPStatus.NOT_FOUND, "File not found")
            return None
        body, encoding = self._encoding(path)
        stat = body.stat()
        modified = email.utils.formatdate(int(path.stat().st_mtime), usegmt=True)
        since = self.headers.get("If-Modified-Since")
        if since and "If-None-Match" not in self.headers:
            try:
                when = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                when = None
            if when is not None and int(path.stat().st_mtime) <= when.timestamp():
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self._common_headers(modified, encoding is not None)
                self.end_headers()
                return None
        fh = open(body, "rb")  # noqa: SIM115 (closed by the base class after copying)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", _TYPES.get(path.suffix) or self.guess_type(str(path)))
        self.send_header("Content-Length", str(stat.st_size))
        if encoding is not None:
            self.send_header("Content-Encoding", encoding)
        self._common_headers(modified, True)
        self.end_headers()
        if self.on_sent is not None and self.command == "GET":
            self.on_sent(self.path, stat.st_size)
        return fh

    def _common_headers(self, modified: str, vary: bool) -> None:
        self.send_header("Last-Modified", modified)
        self.send_header("Cache-Control", "no-cache")
        if vary:
            self.send_header("Vary", "Accept-Encoding")


def make_server(directory: Path, host: str = "127.0.0.1", port: int = 8080,
                base_url: str = "/",
                on_sent: Callable[[str, int], None] | None = None) -> ThreadingHTTPServer:
    """A server for ``directory`` (not started: call ``serve_forever``).

    Args:
        directory: The built site (``build/pwa``).
        host: Interface to bind.
        port: Port (0: any free port; see ``server_address``).
        base_url: URL path the site was built for (``build-pwa --base-url``).
        on_sent: Called with (path, body bytes) after each answer with a body.
    """
    handler = type("Handler", (PWARequestHandler,),
                   {"base_url": base_url, "on_sent": staticmethod(on_sent) if on_sent else None})
    server = ThreadingHTTPServer((host, port), partial(handler, directory=str(directory)))
    server.daemon_threads = True
    return server


def serve(directory: Path, host: str = "127.0.0.1", port: int = 8080,
          base_url: str = "/") -> None:
    """Serve ``directory`` until interrupted."""
    server = make_server(directory, host, port, base_url)
    print(f"Serving {directory} at http://{host}:{server.server_address[1]}{base_url} "
          "(Ctrl+C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def in_thread(server: ThreadingHTTPServer) -> threading.Thread:
    """Run ``server`` in a daemon thread (tests and benchmarks); stop with ``shutdown()``."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
