#!/usr/bin/env bash
# Install everything, lint, and run the whole test suite against real Temporal, SQLite,
# PostgreSQL (TEST_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test) and SMTP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
echo "==> ruff"
.venv/bin/ruff check .
echo "==> pytest"
exec .venv/bin/python -m pytest "$@"
