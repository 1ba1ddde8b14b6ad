#!/usr/bin/env bash
# Install (first time) and run every check: ruff, mypy, the knowledge-base validator and the
# whole pytest suite (unit, property, CLI and browser end-to-end tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh web,dev
scripts/install-chromium.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/mobile-app kb validate
exec .venv/bin/python -m pytest "$@"
