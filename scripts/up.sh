#!/usr/bin/env bash
# One command for a newcomer: install everything, then start Temporal (with its UI), worker and API.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
exec .venv/bin/journeyctl up "$@"
