"""Dependencies point one way: ui → sync / knowledge / store → domain (no import runs back up),
and the domain core imports nothing that needs a UI, a network or a disk.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "mobile_app"
# layer → what it must never import
FORBIDDEN = {
    "domain": ("mobile_app.", "flet", "tinydb", "httpx", "ecdsa", "os", "pathlib", "socket"),
    "knowledge": ("mobile_app.ui", "mobile_app.sync", "mobile_app.store", "mobile_app.app",
                  "mobile_app.cli", "flet"),
    "store": ("mobile_app.ui", "mobile_app.sync", "mobile_app.app", "mobile_app.cli", "flet"),
    "sync": ("mobile_app.ui", "mobile_app.app", "flet"),
}
ALLOWED_IN_DOMAIN = ("mobile_app.domain",)


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_runs_back_up(layer: str) -> None:
    bad = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for name in _imports(path):
            if layer == "domain" and name.startswith(ALLOWED_IN_DOMAIN):
                continue
            if any(name == f or name.startswith(f.rstrip(".") + ".") or
                   (f.endswith(".") and name.startswith(f)) for f in FORBIDDEN[layer]):
                bad.append(f"{path.relative_to(PKG)} imports {name}")
    assert not bad, "\n".join(bad)
