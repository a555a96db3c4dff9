"""Compile a new structure's functions in helper processes while the track record is fitted.

A forecast of a structure no process has compiled spends most of its time in numba, compiling
three independent things one after another: the track-record model, the succession model's
sampler callbacks and the exact outcome function. Only the first needs the track record's fit
(its data); the other two depend on the scenario's structure alone (the learned reliabilities
are data of the compiled functions, not part of them). So :func:`start_warming` compiles those
two in separate processes while the main process fits the track record, and each writes its
record (:mod:`forecast.inference.records`); the main process then loads them from numba's cache
instead of compiling them. Same code, same caches, same numbers: only the order of the work and
the cores it runs on change.

It runs only when the track record is actually fitted (a stored fit leaves nothing to overlap
with). Nothing is started when the records already exist (a warm structure), when numba's cache
is off (nothing could be handed over), or inside a daemonic process (a Dask worker, which may
not have children): the main process then compiles what it needs itself, as without warming.
A helper that fails costs only that: the main process compiles the same thing again.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor

import pytensor

from forecast.features.inputs import build_inputs
from forecast.inference import records
from forecast.inference.states import load_state_posterior, state_posterior_digest
from forecast.priors import Prior

_LOG = logging.getLogger(__name__)


def _compile_sampler(scenario, as_of: dt.date | None, priors: dict[str, Prior]) -> None:
    """Compile (and record) the succession model's sampler callbacks for the scenario's structure."""
    from forecast.inference.compiled import compile_model
    from forecast.model.succession import build_model

    inputs = build_inputs(scenario, as_of, None)
    compile_model(build_model(inputs, priors), records.succession_digest(inputs, priors))


def _compile_outcomes(scenario, as_of: dt.date | None, priors: dict[str, Prior]) -> None:
    """Compile (and record) the exact outcome function for the scenario's structure."""
    load_state_posterior(build_inputs(scenario, as_of, None))


def start_warming(scenario, as_of: dt.date | None, priors: dict[str, Prior]) -> list[Future]:
    """Start compiling what this scenario's structure lacks in helper processes; return their futures.

    Parameters
    ----------
    scenario : forecast.data.scenario.Scenario
        The scenario about to be fitted (sent to the helpers as it is, what-if changes included).
    as_of : date, optional
        The forecast date (default the scenario's).
    priors : dict of Prior
        The priors of the fit.
    """
    if not pytensor.config.numba__cache or multiprocessing.current_process().daemon:
        return []
    inputs = build_inputs(scenario, as_of, None)
    jobs = [job for job, digest in ((_compile_sampler, records.succession_digest(inputs, priors)),
                                    (_compile_outcomes, state_posterior_digest(inputs)))
            if records.read_record(digest) is None]
    if not jobs:
        return []
    # Spawned, not forked: a fork of a process that has started numba or sampler threads can hang.
    pool = ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn"))
    futures = [pool.submit(job, scenario, as_of, priors) for job in jobs]
    pool.shutdown(wait=False)
    return futures


def finish_warming(futures: list[Future]) -> None:
    """Wait for the helpers; one that failed is logged, and the main process compiles instead."""
    for future in futures:
        try:
            future.result()
        except Exception as err:  # noqa: BLE001 - a failed warm-up costs time, never a result
            _LOG.info("compiling in a helper process failed (%s); compiling here instead", err)
