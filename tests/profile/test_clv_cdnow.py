"""The CLV model's evaluation on CDNOW (lab/profile/clv_cdnow.py), run as the lab runs it: it
beats the naive baseline, and the runtime ships the parameters it fits."""

import pytest

from lab.dormancy.cdnow import default_cdnow_path
from lab.profile.clv_cdnow import WEEK, evaluate
from profiles.clv import shipped_model


def test_bgnbd_beats_same_as_last_period_and_is_what_the_runtime_ships() -> None:
    result = evaluate(default_cdnow_path())
    actual = result["actual_total"]
    assert result["customers"] == 23_570
    assert result["model_mae"] < result["naive_mae"]
    assert abs(result["model_total"] - actual) < abs(result["naive_total"] - actual)
    # The runtime's own series for the expectation agrees with scipy's 2F1 on every customer.
    assert result["runtime_vs_scipy_max_abs_diff"] < 1e-6
    shipped = shipped_model()
    fitted = result["params"]
    assert shipped.bgnbd.r == pytest.approx(fitted.r, rel=1e-3)
    assert shipped.bgnbd.alpha == pytest.approx(fitted.alpha * WEEK, rel=1e-3)
    assert shipped.gamma_gamma.p == pytest.approx(result["gamma_gamma"]["p"], rel=1e-3)
