#!/usr/bin/env bash
# Install (first time) and run BoneMets Pocket as a Flet web app on http://127.0.0.1:8550
# with the bundled knowledge base and a local store. Every asset is served locally.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh web
exec .venv/bin/mobile-app run "$@"
