"""Simulation-based calibration: short by default, long behind the slow marker (see scripts/sbc.py)."""

import pytest

from forecast.evaluation.sbc import run_sbc


def _check(result, n):
    table = result.uniformity()
    # Bonferroni over the parameters: a wrong sampler or likelihood shows as skewed ranks.
    assert table["p_value"].min() > 0.001 / len(table), table.to_string()
    cal = result.calibration()
    assert cal["n"] == n and abs(cal["z"]) < 4, cal


def test_sbc_short():
    _check(run_sbc(30, seed=1, draws=200, tune=200), 30)


@pytest.mark.slow
def test_sbc_long():
    _check(run_sbc(200, seed=2), 200)


@pytest.mark.slow
def test_outcome_recovery_with_many_reliable_reports():
    """With many reports the forecast concentrates on the simulated truth."""
    import numpy as np

    result = run_sbc(20, seed=3, n_terms=60, n_units=2)
    cal = result.calibration()
    assert cal["brier"] < 0.1, cal
    assert np.mean(np.abs(result.outcomes["p"] - result.outcomes["happened"]) < 0.5) > 0.85
