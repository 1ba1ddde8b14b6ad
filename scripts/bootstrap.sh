#!/usr/bin/env bash
# Create .venv (if needed) and install the project with the given extras. Idempotent.
# Usage: scripts/bootstrap.sh web        (app)   |   scripts/bootstrap.sh web,dev   (tests)
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-web}"
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.installed-${extras//,/-}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[${extras}]"
  touch "$stamp"
fi
