"""Compiling a new structure in helper processes while the track record is fitted."""

import logging
import multiprocessing
from concurrent.futures import Future

import pandas as pd
import pytensor
import pytest

from forecast.data.scenario import Scenario
from forecast.features.inputs import build_inputs
from forecast.inference import records, warm
from forecast.inference.reliability import ReliabilityFit
from forecast.inference.states import state_posterior_digest
from forecast.priors import resolve_priors


@pytest.fixture(scope="module")
def scenario():
    return Scenario.load()


def test_the_helpers_compile_the_structure_the_fit_uses(scenario):
    """Learned reliabilities are data: inputs built without them have the fit's structure."""
    as_of = scenario.spec.as_of
    plain = build_inputs(scenario, as_of, None)
    learned = ReliabilityFit(as_of, pd.DataFrame({"source": plain.units[:2], "psi_mean": [1.5, -0.5],
                                                  "psi_sd": [0.3, 0.8]}),
                             {"report_weights": {"strength_weak": -1.4, "strength_strong": 1.2,
                                                 "discount": 0.3}})
    fitted = build_inputs(scenario, as_of, learned)
    assert fitted.unit_prior[:2, 1].tolist() == [1.5, -0.5]  # the learned values did arrive
    priors = resolve_priors()
    assert records.succession_digest(fitted, priors) == records.succession_digest(plain, priors)
    assert state_posterior_digest(fitted) == state_posterior_digest(plain)


def test_nothing_starts_when_it_could_not_help(scenario, monkeypatch):
    priors, as_of = resolve_priors(), scenario.spec.as_of
    monkeypatch.setattr(records, "read_record", lambda digest: {"compiled": True})
    assert warm.start_warming(scenario, as_of, priors) == []  # both already compiled
    monkeypatch.setattr(records, "read_record", lambda digest: None)
    monkeypatch.setattr(pytensor.config, "numba__cache", False)
    assert warm.start_warming(scenario, as_of, priors) == []  # nothing could be handed over
    monkeypatch.setattr(pytensor.config, "numba__cache", True)

    class Daemon:
        daemon = True

    monkeypatch.setattr(multiprocessing, "current_process", lambda: Daemon())
    assert warm.start_warming(scenario, as_of, priors) == []  # a Dask worker has no children


def test_a_helper_compiles_and_records_what_is_missing(scenario, monkeypatch):
    """A real helper process: only the missing outcome function is sent, and its record appears."""
    priors, as_of = resolve_priors(), scenario.spec.as_of
    wanted = state_posterior_digest(build_inputs(scenario, as_of, None))
    read = records.read_record
    monkeypatch.setattr(records, "read_record",
                        lambda digest: None if digest == wanted else {"compiled": True})
    futures = warm.start_warming(scenario, as_of, priors)
    assert len(futures) == 1
    warm.finish_warming(futures)
    assert futures[0].exception() is None
    assert read(wanted) is not None


def test_a_failed_helper_is_logged_and_the_fit_goes_on(caplog):
    failed = Future()
    failed.set_exception(RuntimeError("out of memory"))
    with caplog.at_level(logging.INFO, logger="forecast.inference.warm"):
        warm.finish_warming([failed])
    assert "out of memory" in caplog.text and "compiling here instead" in caplog.text
