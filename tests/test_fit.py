"""Real fits of the default scenario: convergence verdict, outputs, reproducibility."""

import json

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.inference.fit import fit
from forecast.results.result import load_idata


@pytest.fixture(scope="module")
def run(default_run):
    """`forecast run` on the default scenario with default settings, as a user runs it (the
    session's one run, conftest.default_run): its exit code and the folder it wrote."""
    code, out = default_run
    return code, out / "real-madrid-2024" / "2024-11-15"


def test_default_run_converges_and_says_so(run):
    code, folder = run
    summary = json.loads((folder / "summary.json").read_text())
    diag = summary["diagnostics"]
    assert diag["max_rhat"] <= 1.01 and diag["min_ess_bulk"] >= 400 and diag["divergences"] == 0
    assert diag["passed"] is True and code == 0
    assert any(h.startswith("Convergence passed") for h in summary["headlines"])
    assert summary["markets"] == []  # no odds in the default scenario


def test_summary_answers_every_question(run):
    _, folder = run
    summary = json.loads((folder / "summary.json").read_text())
    rm = summary["successor"]["Real Madrid"]
    assert {r["outcome"] for r in rm} >= {"Xabi Alonso", "Vincent Kompany", "not listed", "no vacancy"}
    assert sum(r["mean"] for r in rm) == pytest.approx(1.0, abs=1e-9)
    for r in rm:
        assert 0 <= r["interval_90"][0] <= r["mean"] <= r["interval_90"][1] <= 1
    alonso = summary["departure"]["Xabi Alonso"]["by_month"]
    assert alonso[-1]["cumulative"] == pytest.approx(1.0, abs=1e-9)
    # Coherence in the saved numbers: leaving by t is at least taking the Madrid job by t.
    joint = [j for j in summary["joint"]["Real Madrid"] if j["candidate"] == "Xabi Alonso"]
    took = np.cumsum([j["mean"] for j in joint])
    left = [m["cumulative"] for m in alonso[:-1]]
    assert np.all(np.array(left) >= took - 1e-9)


def test_idata_is_self_describing(run):
    _, folder = run
    scenario = Scenario.load()
    idata = load_idata(folder / "idata.nc", scenario.content_hash())
    attrs = idata.posterior.attrs
    assert attrs["as_of"] == "2024-11-15" and attrs["seed"] == 20241115
    assert "successor_real_madrid" in idata.posterior and "departure" in idata.posterior


def test_same_seed_same_numbers():
    scenario = Scenario.load()
    a = fit(scenario, draws=150, tune=150, chains=2, seed=20241115)
    b = fit(scenario, draws=150, tune=150, chains=2, seed=20241115)
    assert a.successor["mean"].tolist() == b.successor["mean"].tolist()
    assert a.departure["cum_mean"].tolist() == b.departure["cum_mean"].tolist()
