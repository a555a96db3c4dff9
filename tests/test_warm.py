"""Compiling a new structure in helper processes while the track record is fitted."""

import logging
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest

import forecast.cli
from forecast.data.scenario import Scenario
from forecast.features.inputs import build_inputs
from forecast.features.padding import pad_inputs
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
                                                 "discount": 0.3, "soon": 0.8}})
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
    wanted = state_posterior_digest(pad_inputs(build_inputs(scenario, as_of, None)).inputs)
    read = records.read_record
    monkeypatch.setattr(records, "read_record",
                        lambda digest: None if digest == wanted else {"compiled": True})
    helpers = warm.start_warming(scenario, as_of, priors)
    assert [h.job for h in helpers] == ["outcomes"]
    warm.finish_warming(helpers)
    assert helpers[0].process.returncode == 0
    assert read(wanted) is not None


def test_only_the_jobs_asked_for_start(scenario, monkeypatch):
    monkeypatch.setattr(records, "read_record", lambda digest: None)
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda cmd, **kwargs: started.append(cmd[-1]))
    helpers = warm.start_warming(scenario, scenario.spec.as_of, resolve_priors(), jobs=("outcomes",))
    for helper in helpers:
        helper.errors.close()
    assert started == ["outcomes"] and [h.job for h in helpers] == ["outcomes"]


def test_without_a_track_record_fit_the_outcomes_compile_beside_the_sampler(scenario, monkeypatch):
    """A stored track-record fit leaves the sampler's compile to overlap with: the fit asks a
    helper for the outcome function alone."""
    import forecast.inference.fit as F

    asked = []
    monkeypatch.setattr(F, "learn_reliability", lambda *args, **kwargs: None)
    monkeypatch.setattr(F, "start_warming", lambda *args, **kwargs: asked.append(kwargs) or [])
    F.fit(scenario, draws=50, tune=50, chains=2)
    assert [a["jobs"] for a in asked] == [("outcomes",)]
    assert asked[0]["inputs"].structure_key() == pad_inputs(build_inputs(scenario)).inputs.structure_key()


def test_a_failed_helper_is_logged_and_the_fit_goes_on(caplog, tmp_path):
    errors = (tmp_path / "errors").open("w+b")
    failed = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit('out of memory')"],
                              stderr=errors)
    with caplog.at_level(logging.INFO, logger="forecast.inference.warm"):
        warm.finish_warming([warm.Helper("outcomes", failed, errors)])
    assert "out of memory" in caplog.text and "compiling here instead" in caplog.text
    assert errors.closed


def test_a_script_without_a_main_guard_is_not_run_again(tmp_path):
    """Helpers do not import the caller's main script (multiprocessing's spawn would, and run
    it again before failing)."""
    marker = tmp_path / "runs"
    script = tmp_path / "script.py"
    script.write_text(f"""
import pathlib
from forecast.data.scenario import Scenario
from forecast.inference import records, warm
from forecast.priors import resolve_priors
with pathlib.Path({str(marker)!r}).open("a") as f:
    f.write("ran\\n")
records.read_record = lambda digest: None
s = Scenario.load()
helpers = warm.start_warming(s, s.spec.as_of, resolve_priors())
warm.finish_warming(helpers)
print(len(helpers), *(h.process.returncode for h in helpers))
""")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["2", "0", "0"] and marker.read_text() == "ran\n"


def test_a_command_leaves_none_of_pytensors_source_files_behind(tmp_path, monkeypatch):
    """PyTensor's numba backend never deletes the sources it writes; a command's folder goes."""
    outer = tmp_path / "tmp"
    outer.mkdir()
    monkeypatch.setenv("TMPDIR", str(outer))
    monkeypatch.setattr(tempfile, "tempdir", None)
    seen = {}

    def compile_a_new_function(args):
        x = pt.dscalar("x")
        # A constant no earlier run used: PyTensor's on-disk cache cannot have it.
        fn = pytensor.function([x], x * float(1 + time.time_ns() % 10**9) + 1.0, mode="NUMBA")
        assert fn(1.0) > 1.0
        seen["folder"] = Path(tempfile.gettempdir())
        seen["files"] = os.listdir(seen["folder"])
        return 0

    monkeypatch.setattr(forecast.cli, "cmd_validate", compile_a_new_function)
    assert forecast.cli.main(["validate"]) == 0
    assert seen["files"], "PyTensor wrote no source file: the test no longer tests anything"
    assert seen["folder"].parent == outer
    assert list(outer.iterdir()) == []
    assert tempfile.gettempdir() == str(outer) and os.environ["TMPDIR"] == str(outer)
