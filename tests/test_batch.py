"""Batch work on Dask gives the same numbers as a serial run, in the items' order."""

from functools import partial

import numpy as np
import pytest
from conftest import DATA

from forecast.evaluation.backtest import case_paths, forecast_case
from forecast.inference.batch import SCHEDULER_ENV, run_batch, scheduler_address


def _seeded(seed: int) -> float:
    return float(np.random.default_rng(seed).normal())


def test_local_cluster_keeps_order_and_reports_progress():
    seen = []
    out = run_batch(_seeded, [5, 3, 9], workers=2, progress=lambda k, n, name: seen.append((k, n)))
    assert out == [_seeded(5), _seeded(3), _seeded(9)]
    assert sorted(seen) == [(1, 3), (2, 3), (3, 3)]


def _fails(item: int) -> int:
    raise ValueError(f"case {item} is broken")


def test_a_failed_task_raises_its_own_error():
    with pytest.raises(ValueError, match="case 2 is broken"):
        run_batch(_fails, [2], workers=1)


def test_scheduler_address_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://127.0.0.1:8786")
    assert scheduler_address() == "tcp://127.0.0.1:8786"
    assert scheduler_address("tcp://127.0.0.2:1") == "tcp://127.0.0.2:1"
    monkeypatch.delenv(SCHEDULER_ENV)
    assert scheduler_address() is None


@pytest.mark.slow
def test_backtest_cases_on_dask_equal_a_serial_run(tmp_path):
    paths = case_paths(DATA / "cases")[:2]
    task = partial(forecast_case, draws=100, seed=4, cache_dir=tmp_path)
    serial = run_batch(task, paths, workers=0)
    parallel = run_batch(task, paths, workers=2)
    for a, b in zip(serial, parallel, strict=True):
        assert a.case == b.case
        for question in ("who", "when"):
            ours, theirs = getattr(a, question), getattr(b, question)
            assert ours.keys() == theirs.keys()
            for method in ours:
                np.testing.assert_array_equal(ours[method], theirs[method])
