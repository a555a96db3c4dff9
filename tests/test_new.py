"""``forecast new``: a scenario for a club the repository does not know, from a clean folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecast.cli import main
from forecast.data.scenario import Scenario

FIXTURES = Path(__file__).parent / "fixtures" / "results"
CSV = FIXTURES / "premier-league-2425-everton.csv"
JSON = FIXTURES / "en.1.json"
EVERTON = ["new", "--club", "Everton", "--coach", "Sean Dyche", "--contract-end", "2025-06-30",
           "--appointed", "2023-01-30", "--as-of", "2024-12-01"]


def run_cli(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_new_scenario_with_results_in_both_layouts(tmp_path, capsys):
    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *EVERTON, "--results", str(CSV), "--results", str(JSON)],
                        capsys)
    assert code == 0, out
    assert "league: Premier League (the competition of its matches" in out
    assert "forecast run everton-2024" in out
    scenario = Scenario.load(data / "scenarios" / "everton-2024.yaml")
    assert scenario.spec.posts[0].league == "Premier League"
    assert [q.kind for q in scenario.spec.questions] == ["departure"]
    assert scenario.spec.horizon == "2026-06"
    # 12 matches in both files and 4 more in the JSON: each match once, both spellings mapped.
    assert len(scenario.results) == 16
    assert set(scenario.team_names["name"]) == {"Everton", "Everton FC"}
    assert len(pd.read_csv(data / "rumours" / "everton-2024.csv")) == 0
    assert (data / "sources.csv").exists() and (data / "track_record.csv").exists()
    # The tool finds it by id from that folder, as a user would run it.
    code, out = run_cli(["--data", str(data), "validate", "everton-2024"], capsys)
    assert code == 0 and "ok: everton-2024: 1 posts, 1 questions, 0 rumours" in out


def test_candidates_make_a_successor_question(tmp_path, capsys):
    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *EVERTON, "--league", "Premier League",
                         "--candidate", "David Moyes", "--candidate", "Thomas Frank@Brentford"], capsys)
    assert code == 0, out
    doc = yaml.safe_load((data / "scenarios" / "everton-2024.yaml").read_text())
    successor = doc["questions"][0]
    assert successor["kind"] == "successor" and successor["club"] == "Everton"
    assert successor["candidates"] == [{"name": "David Moyes", "free_agent": True},
                                       {"name": "Thomas Frank", "club": "Brentford"}]
    assert doc["other_clubs"] == ["Brentford"] and "results" not in doc["data"]


def test_own_staff_candidates_are_not_under_contract_elsewhere(tmp_path, capsys):
    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *EVERTON, "--league", "Premier League",
                         "--candidate", "Thomas Frank@Brentford",
                         "--own-staff", "Leighton Baines@Everton U21"], capsys)
    assert code == 0, out
    scenario = Scenario.load(data / "scenarios" / "everton-2024.yaml")
    baines = scenario.spec.questions[0].candidates[1]
    assert (baines.name, baines.club, baines.own_staff, baines.free_agent) == (
        "Leighton Baines", "Everton U21", True, False)
    # His team is the club's own, not another club whose results the forecast would need.
    assert scenario.spec.other_clubs == ["Brentford"]
    code, out = run_cli(["--data", str(tmp_path / "other"), *EVERTON, "--league", "Premier League",
                         "--own-staff", "Leighton Baines"], capsys)
    assert code == 2 and "--own-staff" in out and "NAME@TEAM" in out
    assert not (tmp_path / "other" / "scenarios").exists()


def test_destinations_make_a_where_question_and_are_refused_with_candidates(tmp_path, capsys):
    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *EVERTON, "--league", "Premier League",
                         "--destination", "West Ham United", "--destination", "Celtic"], capsys)
    assert code == 0, out
    scenario = Scenario.load(data / "scenarios" / "everton-2024.yaml")
    [question] = scenario.spec.questions
    assert question.kind == "departure" and question.destinations == ["West Ham United", "Celtic"]
    assert scenario.spec.other_clubs == ["Celtic", "West Ham United"]
    code, out = run_cli(["--data", str(tmp_path / "other"), *EVERTON, "--league",
                         "Premier League", "--candidate", "David Moyes", "--destination", "Celtic"],
                        capsys)
    assert code == 2 and "destinations" in out
    assert not (tmp_path / "other" / "scenarios" / "everton-2024.yaml").exists()


def test_a_successor_question_before_anyone_is_named(tmp_path, capsys):
    """Chelsea at the turn of 2026: a vacancy is asked about before any name is reported."""
    from forecast.features.inputs import check_model_inputs
    from forecast.model.succession import build_model
    from forecast.priors import resolve_priors

    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *EVERTON, "--league", "Premier League", "--successor"],
                        capsys)
    assert code == 0, out
    scenario = Scenario.load(data / "scenarios" / "everton-2024.yaml")
    question = scenario.spec.questions[0]
    assert (question.kind, question.club, question.candidates) == ("successor", "Everton", [])
    inputs = check_model_inputs(scenario)
    post = inputs.posts[0]
    assert post.has_successor and post.candidates == [] and post.n_obs(inputs.T) == inputs.T + 1
    model = build_model(inputs, resolve_priors())
    assert "appeal" not in model.named_vars and model.coords["vacancy"] == ("Everton",)
    assert np.isfinite(model.compile_logp()(model.initial_point()))


def test_facts_fill_the_coach_and_his_contract(tmp_path, capsys):
    code, out = run_cli(["--data", str(tmp_path / "data"), "new", "--club", "Bayer Leverkusen",
                         "--league", "Bundesliga", "--as-of", "2024-11-15"], capsys)
    assert code == 0, out
    assert "coach: Xabi Alonso" in out and "fact F02" in out
    post = Scenario.load(tmp_path / "data" / "scenarios" / "bayer-leverkusen-2024.yaml").spec.posts[0]
    assert (post.coach, post.contract_end.isoformat(), post.appointed.isoformat()) == (
        "Xabi Alonso", "2026-06-30", "2022-10-05")


@pytest.mark.parametrize(("argv", "message"), [
    (["new", "--club", "Everton"], "give --coach, --league, --contract-end"),
    ([*EVERTON, "--results", "nowhere.csv"], "nowhere.csv: no such file or folder"),
    ([*EVERTON, "--results", str(CSV), "--id", "../Bad Id"], "[id]: String should match pattern"),
    ([*EVERTON, "--club", "Evertonians United", "--results", str(CSV)], "no team called"),
])
def test_refused_before_anything_is_written(tmp_path, capsys, argv, message):
    data = tmp_path / "data"
    code, out = run_cli(["--data", str(data), *argv], capsys)
    assert code == 2 and message in out, out
    assert not (data / "scenarios").exists() or not any((data / "scenarios").iterdir())


def test_an_existing_scenario_is_never_overwritten(tmp_path, capsys):
    data = tmp_path / "data"
    assert run_cli(["--data", str(data), *EVERTON, "--league", "Premier League"], capsys)[0] == 0
    path = data / "scenarios" / "everton-2024.yaml"
    before = path.read_bytes()
    code, out = run_cli(["--data", str(data), *EVERTON, "--league", "Serie A"], capsys)
    assert code == 2 and "exists already" in out
    assert path.read_bytes() == before


def test_asks_on_a_terminal(tmp_path, capsys, monkeypatch):
    answers = iter(["Sean Dyche", "Premier League", "2025-06-30"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    code, out = run_cli(["--data", str(tmp_path / "data"), "new", "--club", "Everton",
                         "--as-of", "2024-12-01"], capsys)
    assert code == 0, out
    post = Scenario.load(tmp_path / "data" / "scenarios" / "everton-2024.yaml").spec.posts[0]
    assert (post.coach, post.league, post.contract_end.isoformat()) == (
        "Sean Dyche", "Premier League", "2025-06-30")


@pytest.mark.slow
def test_a_new_club_end_to_end_from_a_clean_folder(tmp_path):
    """The user's steps, scripted: create, validate, add a rumour, run; the report is written."""
    env = {k: v for k, v in os.environ.items() if k != "FORECAST_DATA"}

    def forecast(*args):
        done = subprocess.run([sys.executable, "-m", "forecast", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=1200)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    forecast(*EVERTON, "--results", str(CSV), "--results", str(JSON),
             "--candidate", "David Moyes")
    forecast("rumour", "add", "--scenario", "everton-2024", "--no-refresh", "--date", "2024-11-30",
             "--source", "The Athletic", "--subject", "Sean Dyche", "--claim", "leaves",
             "--club", "Everton", "--window", "2025-05/2025-08", "--strength", "medium",
             "--url", "https://example.org/everton", "--summary", "Dyche not expected to stay.")
    out = forecast("run", "everton-2024", "--out", "reports")
    assert "Everton changes coach by the end of June 2026" in out
    assert (tmp_path / "data" / "scenarios" / "everton-2024.yaml").exists()
    assert (tmp_path / "reports" / "everton-2024" / "2024-12-01" / "report.html").exists()


@pytest.mark.slow
@pytest.mark.parametrize("extra", [[], ["--successor"]])
def test_the_report_of_a_new_scenario_renders(tmp_path, capsys, extra):
    """Departure only, and a vacancy with no names yet: no candidate dimension in the draws."""
    from test_report import prior_result

    from forecast.report.render import write_report

    data = tmp_path / "data"
    assert run_cli(["--data", str(data), *EVERTON, "--league", "Premier League", *extra],
                   capsys)[0] == 0
    scenario = Scenario.load(data / "scenarios" / "everton-2024.yaml")
    result = prior_result(scenario)
    assert result.idata.posterior.sizes.get("candidate", 0) == 0
    html = write_report(result, scenario, tmp_path / "report").read_text()
    assert "Sean Dyche leaves Everton by the end of" in html
    assert ("No successor at Everton is named yet" in html) == bool(extra)
