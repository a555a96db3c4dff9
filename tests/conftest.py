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


@pytest.fixture(autouse=True, scope="session")
def _own_forecast_cache(tmp_path_factory):
    """Learned reliabilities go to a folder of this test session's, not the machine's cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("FORECAST_CACHE", str(tmp_path_factory.mktemp("forecast-cache")))
        yield


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
