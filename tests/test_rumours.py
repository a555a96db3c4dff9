"""Adding, listing and removing rumours: validation, atomic locked writes, refresh, API."""

import datetime as dt
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from forecast.cli import main
from forecast.data.scenario import Scenario
from forecast.data.store import add_rumour, next_id
from forecast.errors import RumourRefusedError
from forecast.results.result import load_idata

GOOD = dict(date="2024-11-20", source="Marca", subject="Xabi Alonso", claim="agreement",
            club="Real Madrid", window="2025-05/2025-08", url="https://example.org/a",
            summary="Marca says a deal is agreed.")


def _rumour_file(scenario_path):
    return scenario_path.parent.parent / "rumours" / "real-madrid-2024.csv"


@pytest.mark.parametrize(
    ("change", "needle"),
    [({"source": "Marka"}, "did you mean 'Marca'"), ({"date": "2999-01-01"}, "future"),
     ({"claim": "maybe"}, "claim"), ({"subject": "Xabi Alonzo"}, "Xabi Alonso"),
     ({"window": "next summer"}, "window"), ({"url": ""}, "url")],
)
def test_refusals_leave_the_file_byte_for_byte(scenario_copy, change, needle):
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    with pytest.raises(RumourRefusedError, match=needle):
        add_rumour(Scenario.load(scenario_copy), {**GOOD, **change})
    assert path.read_bytes() == before


def test_exact_duplicate_refused_and_repeat_recorded(scenario_copy, capsys):
    scenario = Scenario.load(scenario_copy)
    expected = next_id(scenario.rumours["id"])
    row = add_rumour(scenario, GOOD)
    assert row.id == expected and expected not in set(scenario.rumours["id"])
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    with pytest.raises(RumourRefusedError, match=f"duplicate of rumour {expected}"):
        add_rumour(Scenario.load(scenario_copy), GOOD)
    assert path.read_bytes() == before
    # The same outlet again, weaker: kept on file, recorded as a repeat.
    args = ["rumour", "add", "--scenario", str(scenario_copy), "--no-refresh",
            *sum([[f"--{k}", v] for k, v in {**GOOD, "claim": "talks",
                                               "url": "https://example.org/b"}.items()], [])]
    assert main(args) == 0
    assert f"repeat (repeats {expected} from the same source)" in capsys.readouterr().out


def test_existing_rows_never_rewritten(scenario_copy):
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    add_rumour(Scenario.load(scenario_copy), GOOD)
    after = path.read_bytes()
    assert after.startswith(before) and after.count(b"\n") == before.count(b"\n") + 1


def test_twenty_concurrent_processes_all_land(scenario_copy):
    path = _rumour_file(scenario_copy)
    n_before = len(pd.read_csv(path))
    code = (
        "import sys; from forecast.data.scenario import Scenario; "
        "from forecast.data.store import add_rumour;"
        "add_rumour(Scenario.load(sys.argv[1]), dict(date='2024-11-20', source='Marca', "
        "subject='Xabi Alonso', claim='talks', club='Real Madrid', "
        "url='https://example.org/c' + sys.argv[2], summary='concurrent ' + sys.argv[2]))"
    )
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}

    def one(k):
        return subprocess.run([sys.executable, "-c", code, str(scenario_copy), str(k)],
                              capture_output=True, text=True, env=env, timeout=300)

    with ThreadPoolExecutor(max_workers=20) as pool:
        runs = list(pool.map(one, range(20)))
    assert all(r.returncode == 0 for r in runs), [r.stderr[-500:] for r in runs if r.returncode]
    table = pd.read_csv(path)
    assert len(table) == n_before + 20 and table["id"].is_unique
    assert set(table["summary"]) >= {f"concurrent {k}" for k in range(20)}
    Scenario.load(scenario_copy)  # still valid
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".")]


def test_remove_is_recorded_not_silent(scenario_copy, capsys):
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    assert main(["rumour", "remove", "r020", "--scenario", str(scenario_copy),
                 "--reason", "duplicate of another report"]) == 0
    assert path.read_bytes() == before
    scenario = Scenario.load(scenario_copy)
    assert "r020" in set(scenario.removals["id"]) and "r020" not in set(scenario.active_rumours()["id"])
    assert main(["rumour", "remove", "r020", "--scenario", str(scenario_copy), "--reason", "x"]) == 2
    capsys.readouterr()
    assert main(["rumour", "list", "--scenario", str(scenario_copy)]) == 0
    listing = capsys.readouterr().out
    assert "r020\t" in listing and "removed" in listing.split("r020\t")[1].splitlines()[0]


def test_api_add_rumour_then_reload(scenario_copy):
    import forecast

    scenario = Scenario.load(scenario_copy)
    row = forecast.add_rumour(scenario, GOOD)
    updated = scenario.reload()
    assert updated.rumours.iloc[-1]["id"] == row.id
    assert len(updated.rumours) == len(scenario.rumours) + 1
    assert updated.rumours.iloc[-1]["date"] == dt.date(2024, 11, 20)


@pytest.fixture(scope="module")
def flow(tmp_path_factory, default_run):
    """A data copy, a full run, then one rumour added through the CLI with refresh.

    The full run is the session's `forecast run` of the same data (conftest.default_run); the
    refresh writes to a copy of its folder.
    """
    import shutil

    from conftest import DATA

    root = tmp_path_factory.mktemp("flow")
    shutil.copytree(DATA, root / "data", ignore=shutil.ignore_patterns("_incoming"))
    scenario = root / "data" / "scenarios" / "real-madrid-2024.yaml"
    code, shared = default_run
    assert code == 0
    out = root / "reports"
    shutil.copytree(shared, out)
    # The run read the same data as this copy (load_idata refuses one of other inputs).
    load_idata(out / "real-madrid-2024" / "2024-11-15" / "idata.nc", Scenario.load(scenario).content_hash())
    args = ["rumour", "add", "--scenario", str(scenario), "--out", str(out),
            *sum([[f"--{k}", v] for k, v in GOOD.items()], [])]
    return main(args), out


def test_refresh_prints_what_moved(flow, capsys):
    code, out = flow
    assert code == 0
    history = pd.read_csv(out / "real-madrid-2024" / "history.csv")
    assert set(history["as_of"]) == {"2024-11-15", "2024-11-20"}
    assert set(history["method"]) == {"nuts", "importance"}
    assert (out / "real-madrid-2024" / "2024-11-20" / "summary.json").exists()
    assert (out / "real-madrid-2024" / "2024-11-15" / "idata.nc").exists()
    assert not (out / "real-madrid-2024" / "2024-11-20" / "idata.nc").exists()


def _import_file(tmp_path, rows):
    header = ["id", "date", "source", "subject", "claim", "club", "window", "url", "summary"]
    path = tmp_path / "new.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        import csv

        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        writer.writerows([{k: r.get(k, "") for k in header} for r in rows])
    return path


def test_import_appends_every_row_at_once(scenario_copy, tmp_path, capsys):
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    first = next_id(Scenario.load(scenario_copy).rumours["id"])
    second = f"r{int(first[1:]) + 1:03d}"
    rows = [GOOD, {**GOOD, "source": "AS", "url": "https://example.org/c"},
            {**GOOD, "id": "x1", "subject": "Zinedine Zidane", "claim": "talks",
             "url": "https://example.org/d"}]
    args = ["rumour", "import", str(_import_file(tmp_path, rows)), "--scenario",
            str(scenario_copy), "--no-refresh"]
    assert main(args) == 0
    out = capsys.readouterr().out
    after = path.read_bytes()
    assert after.startswith(before)  # stored rows untouched, new ones appended
    ids = list(Scenario.load(scenario_copy).rumours["id"])[-3:]
    assert ids == [first, second, "x1"] and out.count("added ") == 3


def test_import_refuses_all_rows_if_one_is_wrong(scenario_copy, tmp_path, capsys):
    path = _rumour_file(scenario_copy)
    before = path.read_bytes()
    stored = Scenario.load(scenario_copy).rumours.iloc[-1]
    duplicate = {k: str(stored[k]) if stored[k] is not None else "" for k in
                 ("date", "source", "subject", "claim", "club", "window", "url", "summary")}
    source = _import_file(tmp_path, [GOOD, {**GOOD, "source": "Marka", "url": "https://e.org/x"},
                                     duplicate, {**GOOD, "url": "https://example.org/a"}])
    code = main(["rumour", "import", str(source), "--scenario", str(scenario_copy), "--no-refresh"])
    err = capsys.readouterr().err
    assert code == 2 and path.read_bytes() == before
    assert f"{source}:3 [source]" in err and "Marca" in err  # the import file's own lines
    assert f"{source}:4" in err and "duplicate" in err
    assert f"{source}:5" in err  # a duplicate of another row of the same import


def test_import_of_a_missing_file_is_a_clean_refusal(scenario_copy, tmp_path, capsys):
    code = main(["rumour", "import", str(tmp_path / "nope.csv"), "--scenario", str(scenario_copy)])
    assert code == 2 and "file not found" in capsys.readouterr().err
