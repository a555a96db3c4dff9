"""The outcome-independent hazard check (scripts/population_hazard.py) asks the right questions."""

import subprocess
import sys

from conftest import ROOT


def run_check(tmp_path, matches, *args):
    """Write a league table per season 2014-15 to 2022-23 (``matches(year)``: its CSV rows) and
    run the check on ``tmp_path``; return the finished process."""
    league = tmp_path / "football-datasets" / "premier-league"
    league.mkdir(parents=True)
    for year in range(2014, 2023):
        (league / f"season-{year % 100:02d}{(year + 1) % 100:02d}.csv").write_text(
            "Date,HomeTeam,AwayTeam,FTHG,FTAG\n" + matches(year))
    done = subprocess.run([sys.executable, ROOT / "scripts" / "population_hazard.py", tmp_path,
                           "--draws", "200", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_population_check_counts_spells_as_of_each_date(tmp_path):
    """One club, eight seasons: a coach sacked in November (counted as leaving before April from
    1 October), a caretaker in charge on 1 December (left out), then a coach still in post; a
    club with no league results is skipped."""
    history = tmp_path / "pl-club-manager-history"
    history.mkdir()
    (history / "managers.csv").write_text(
        "manager,start_date,end_date,club\n"
        'B Coach,"21 Dec, 2015",Present,Arsenal\n'
        'C Care,"16 Nov, 2015","20 Dec, 2015",Arsenal\n'
        'A Coach,"1 Jul, 2014","15 Nov, 2015",Arsenal\n'
        'D Coach,"1 Jul, 2014",Present,Chelsea\n')
    done = run_check(tmp_path, lambda year: f"{year}-09-01,Arsenal,Spurs,1,0\n"
                                            f"{year + 1}-01-10,Spurs,Arsenal,2,2\n")
    lines = done.stdout.splitlines()
    # 2015-16: A Coach on 1 October (left), the caretaker on 1 December (out), B Coach on 1
    # February; then B Coach three times a season for seven seasons.
    assert lines[0].startswith("23 questions, 8 club-seasons, 1 left before April (0.043)"), lines[0]
    assert "6 months to April: 8 questions, left 0.125" in done.stdout
    assert "4 months to April: 7 questions, left 0.000" in done.stdout
    assert sum(line.startswith(("sack_base", "sack_form")) for line in lines) == 8
    assert "days left" not in done.stdout


def test_population_check_also_scores_counting_the_days_left_of_the_first_month(tmp_path):
    """As of the 15th, counting only the days left of the first month (about half of it) gives a
    lower mean forecast than the whole month the model counts."""
    history = tmp_path / "pl-club-manager-history"
    history.mkdir()
    (history / "managers.csv").write_text(
        'manager,start_date,end_date,club\nD Coach,"1 Jul, 2014",Present,Chelsea\n'
        'E Coach,"1 Jul, 2010","30 Jun, 2014",Chelsea\n')
    done = run_check(tmp_path, lambda year: f"{year}-09-01,Chelsea,Spurs,1,0\n", "--day", "15")
    whole = float(done.stdout.split("mean forecast ")[1].split(";")[0])
    days_left = float(done.stdout.split("days left: mean forecast ")[1].split(";")[0])
    assert 0 < days_left < whole - 0.005, done.stdout
