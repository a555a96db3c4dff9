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

When the track record's fit is stored, there is still the sampler's compile to overlap with:
the outcome function then compiles in a helper while the main process compiles the sampler's
callbacks (:func:`forecast.inference.fit.fit` asks for that job alone); sampling waits for it,
since each report's surprise needs the rumour-free prior it computes. Nothing is
started when the records already exist (a warm structure), when numba's cache
is off (nothing could be handed over), or inside a daemonic process (a Dask worker, whose
siblings already keep every core busy): the main process then compiles what it needs itself,
as without warming. A helper that fails costs only that: the main process compiles the same
thing again. Helpers are fresh interpreters (``python -m forecast.inference.warm JOB``, the job's
arguments pickled to a file on their standard input), not multiprocessing children, which would
import the caller's main script again: a script that calls :func:`forecast.fit` at top level
would then run twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import pickle
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pytensor

from forecast.features.inputs import build_inputs
from forecast.features.padding import pad_inputs
from forecast.inference import records
from forecast.inference.states import load_state_posterior, state_posterior_digest
from forecast.priors import Prior

_LOG = logging.getLogger(__name__)


def _compile_sampler(scenario, as_of: dt.date | None, priors: dict[str, Prior]) -> None:
    """Compile (and record) the succession model's sampler callbacks for the scenario's structure."""
    from forecast.inference.compiled import compile_model
    from forecast.model.succession import build_model

    inputs = pad_inputs(build_inputs(scenario, as_of, None)).inputs
    compile_model(build_model(inputs, priors), records.succession_digest(inputs, priors))


def _compile_outcomes(scenario, as_of: dt.date | None, priors: dict[str, Prior]) -> None:
    """Compile (and record) the exact outcome function for the scenario's structure."""
    load_state_posterior(pad_inputs(build_inputs(scenario, as_of, None)).inputs)


#: What a helper can be asked to compile, by the name it is given on its command line.
JOBS = {"sampler": _compile_sampler, "outcomes": _compile_outcomes}


@dataclass
class Helper:
    """A helper process compiling one job, and the file its error output goes to."""

    job: str
    process: subprocess.Popen
    errors: IO[bytes]


def start_warming(scenario, as_of: dt.date | None, priors: dict[str, Prior],
                  jobs: tuple[str, ...] = tuple(JOBS), inputs=None) -> list[Helper]:
    """Start compiling what this scenario's structure lacks in helper processes; return them.

    Parameters
    ----------
    scenario : forecast.data.scenario.Scenario
        The scenario about to be fitted (sent to the helpers as it is, what-if changes included).
    as_of : date, optional
        The forecast date (default the scenario's).
    priors : dict of Prior
        The priors of the fit.
    jobs : tuple of str, optional
        Which of :data:`JOBS` may be started (default: all).
    inputs : ModelInputs, optional
        The scenario's inputs padded to their bucket, when the caller has built them.
    """
    if not pytensor.config.numba__cache or multiprocessing.current_process().daemon:
        return []
    inputs = pad_inputs(build_inputs(scenario, as_of, None)).inputs if inputs is None else inputs
    jobs = [job for job in jobs if records.read_record(
        records.succession_digest(inputs, priors) if job == "sampler"
        else state_posterior_digest(inputs)) is None]
    if not jobs:
        return []
    payload = pickle.dumps((scenario, as_of, priors))
    # The helpers import this copy of the package, however the caller found it.
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    helpers = []
    for job in jobs:
        # One file per helper (a pipe would block this process until the helper has imported
        # PyMC and read it; a shared file would share its read position).
        with tempfile.TemporaryFile() as arguments:
            arguments.write(payload)
            arguments.seek(0)
            errors = tempfile.TemporaryFile()
            process = subprocess.Popen([sys.executable, "-m", __name__, job], stdin=arguments,
                                       stdout=subprocess.DEVNULL, stderr=errors, env=env)
        helpers.append(Helper(job, process, errors))
    return helpers


def finish_warming(helpers: list[Helper]) -> None:
    """Wait for the helpers; one that failed is logged, and the main process compiles instead."""
    for helper in helpers:
        code = helper.process.wait()
        if code:
            helper.errors.seek(0)
            lines = helper.errors.read().decode(errors="replace").strip().splitlines()
            _LOG.info("compiling the %s in a helper process failed (exit %d: %s); compiling "
                      "here instead", helper.job, code, lines[-1] if lines else "no message")
        helper.errors.close()


if __name__ == "__main__":
    JOBS[sys.argv[1]](*pickle.load(sys.stdin.buffer))
