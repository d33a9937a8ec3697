"""The worker and the API import no training library: scikit-learn, scipy, pandas and xgboost
are the optional [ml] extra, for the training and evaluation commands (and these tests)."""

import json
import subprocess
import sys

from settings import REPO_ROOT

TRAINING_ONLY = ("sklearn", "scipy", "pandas", "xgboost")


def test_the_worker_the_api_and_journeyctl_import_no_training_library() -> None:
    # A fresh interpreter: this one imported them all for other tests.
    probe = (
        "import json, sys\n"
        "import workers.main, api.app, cli.main\n"
        f"print(json.dumps(sorted(m for m in {TRAINING_ONLY!r} if m in sys.modules)))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout.strip().splitlines()[-1]) == []
