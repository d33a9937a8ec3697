#!/usr/bin/env bash
# Install everything, lint, and run the whole test suite against real Temporal, SQLite,
# PostgreSQL (TEST_POSTGRES_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/test) and SMTP.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
# Debian's headless Chromium for the report page's browser test (tests/test_reports_page.py).
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium with apt-get (the report page's browser test)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "==> browser: $(chromium --version 2>/dev/null | head -1)"
echo "==> ruff"
.venv/bin/ruff check .
echo "==> import-linter (the layers: docs/architecture.md)"
.venv/bin/lint-imports
echo "==> mypy"
.venv/bin/mypy
# Two workers (pytest-xdist), each with its own Temporal server, SQLite file, PostgreSQL
# database and SMTP server: most of a test's time is waiting on them, so two halve the suite's
# wall time even on two cores. TEST_WORKERS=0 runs it in one process; a later `-n` wins.
echo "==> pytest (${TEST_WORKERS:-2} workers)"
exec .venv/bin/python -m pytest -n "${TEST_WORKERS:-2}" --dist worksteal "$@"
