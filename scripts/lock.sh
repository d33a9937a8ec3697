#!/usr/bin/env bash
# Regenerate the lockfiles from pyproject.toml: after any change to its dependencies (a merge
# included), and with --upgrade to move every package to the newest version its bounds allow.
#   scripts/lock.sh             # keep the locked versions that still fit, add what is new
#   scripts/lock.sh --upgrade   # newest everything (then run scripts/test.sh before committing)
#   scripts/lock.sh --upgrade-package numpy   # one package
# requirements-dev.lock: the dev and ml extras (what scripts/install.sh installs for development
# and CI); requirements.lock: the runtime alone, at the same versions (what deploy/Dockerfile
# installs); requirements-llm.lock: the llm-test extra on top (scripts/test-llm.sh: the
# real-model test, which builds llama-cpp-python).
# Both are universal (any platform, Python 3.11 and 3.12) and carry every file's hash.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=".venv/bin/uv"
[ -x "$UV" ] || UV="uv"
common=(--universal --python-version 3.11 --generate-hashes --quiet --no-header)
"$UV" pip compile pyproject.toml --extra dev --extra ml "${common[@]}" "$@" \
  -o requirements-dev.lock
"$UV" pip compile pyproject.toml -c requirements-dev.lock "${common[@]}" -o requirements.lock
"$UV" pip compile pyproject.toml --extra dev --extra ml --extra llm-test -c requirements-dev.lock \
  "${common[@]}" -o requirements-llm.lock
echo "==> requirements-dev.lock: $(grep -c '^[a-z]' requirements-dev.lock) packages," \
  "requirements.lock: $(grep -c '^[a-z]' requirements.lock)," \
  "requirements-llm.lock: $(grep -c '^[a-z]' requirements-llm.lock)"
