import os
import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _shared_folder(tmp_path_factory) -> Path:
    """The session's folder every xdist worker sees (their base folders sit side by side in it)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(autouse=True, scope="session")
def _own_forecast_cache(tmp_path_factory):
    """Learned reliabilities go to a folder of this test session's, not the machine's cache.

    Under pytest-xdist the session's workers share it (their base folders sit side by side), so
    a fit one worker stored is not made again by the other; the cache's writes are atomic.
    """
    folder = _shared_folder(tmp_path_factory) / "forecast-cache"
    folder.mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORECAST_CACHE", str(folder))
        yield


@pytest.fixture(autouse=True, scope="session")
def _own_temporary_folder(tmp_path_factory):
    """Temporary files (PyTensor's numba sources, which it never deletes) go to this session's
    folder, which pytest prunes, not the machine's temporary folder."""
    import tempfile

    folder = tmp_path_factory.mktemp("scratch")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(folder))
        mp.setattr(tempfile, "tempdir", str(folder))
        yield


@pytest.fixture(scope="session")
def default_run(tmp_path_factory, _own_forecast_cache):
    """`forecast run` on the default scenario with default settings, as a user runs it, made once
    per test session: the exit code and the ``--out`` folder it wrote.

    The first worker to ask runs it under a file lock (pytest-xdist's recipe for session data);
    the others wait for it and read the same folder. Read-only for the tests: one that writes
    there (a refresh, another run) copies the folder first.
    """
    from filelock import FileLock

    from forecast.cli import main

    shared = _shared_folder(tmp_path_factory)
    out, code_file = shared / "default-run", shared / "default-run.code"
    with FileLock(str(shared / "default-run.lock")):
        if not code_file.exists():
            code = main(["run", "--out", str(out), "--no-progress"])
            code_file.write_text(str(code))
    return int(code_file.read_text()), out


@pytest.fixture
def scenario_copy(tmp_path):
    """A writable copy of the default scenario and its tables, laid out like data/."""
    for sub in ("scenarios", "rumours", "results"):
        shutil.copytree(DATA / sub, tmp_path / sub)
    for name in ("sources.csv", "facts.csv", "track_record.csv"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path / "scenarios" / "real-madrid-2024.yaml"


@pytest.fixture(autouse=True)
def _restore_forecast_data():
    """``main(["--data", DIR, ...])`` points $FORECAST_DATA at DIR for its process; not beyond a test."""
    before = os.environ.get("FORECAST_DATA")
    yield
    if before is None:
        os.environ.pop("FORECAST_DATA", None)
    else:
        os.environ["FORECAST_DATA"] = before


def strong_top_tier_hit_rate(scenario) -> float:
    """Share of the track record's strongly stated tier-1 claims not about the next weeks that
    came true: the claims like a strong top-tier report about next summer.

    Strength and window are read as the model reads them (a strong shortlist is a medium one;
    a claim about the next weeks has its own offset and came true far more often).
    """
    from forecast.data.schemas import STRENGTHS
    from forecast.model.track_record import read_claims

    tier = dict(zip(scenario.sources["name"], scenario.sources["tier"], strict=True))
    alias = scenario.source_names()
    track = scenario.track_record
    strength, soon = read_claims(track)
    like = ((track["source"].str.lower().map(alias).map(tier) == 1).to_numpy()
            & (strength == STRENGTHS.index("strong")) & (soon == 0))
    assert like.sum() >= 20
    return float(track.loc[like, "came_true"].mean())
