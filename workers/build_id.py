"""The worker's build id: which code this worker runs, as Temporal records it on every task.

The SDK's default hashes the bytecode of every module loaded (about 1,900 here, most of them
libraries): two thirds of a worker's start-up. The journey code's own source files and the SDK's
version identify a build as well (a deployment pins the rest in its lockfile), in milliseconds.
A deployment may name its build instead (`WORKER_BUILD_ID`, e.g. the image tag).
"""

import hashlib
from importlib.metadata import version

from settings import REPO_ROOT

# What a worker imports from this checkout; the lab, benches and tests are not part of a build.
NOT_SHIPPED = {".venv", ".git", "tests", "bench", "lab", "data", "deploy", "docs", "scripts"}


def source_build_id() -> str:
    digest = hashlib.md5(usedforsecurity=False)
    digest.update(version("temporalio").encode())
    tops = sorted(p for p in REPO_ROOT.iterdir() if p.name not in NOT_SHIPPED)
    files = [p for top in tops for p in ([top] if top.is_file() else sorted(top.rglob("*.py")))]
    for path in files:
        if path.suffix == ".py":
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return f"src-{digest.hexdigest()[:16]}"
