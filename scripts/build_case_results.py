"""Derive the backtest cases' league results from football-data.co.uk-layout season files.

For every case whose tracked clubs all play in a league the given folder holds
(``premier-league``, ``la-liga``, ``bundesliga``, one ``season-YYZZ.csv`` per season), copy the
league matches that those clubs and the case's candidates' clubs in these leagues played in the three
seasons up to the case's cutoff (none after it) into ``data/results/cases.csv``, write the
spellings into ``data/results/cases_team_names.csv``, and
point each such case's scenario at both.

Usage::

    python scripts/build_case_results.py ../shared/data/football-datasets
    python scripts/build_case_results.py ../shared/data/football-datasets --check

The folder is read only; nothing outside the project's ``data/`` is written. ``--check`` writes
nothing and exits 1 if the committed files are not what the cases need (re-run it after adding a
case).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
from pathlib import Path

import yaml

from forecast.io.files import atomic_write

DATA = Path(__file__).resolve().parents[1] / "data"
LEAGUES = {"premier-league": "Premier League", "la-liga": "La Liga", "bundesliga": "Bundesliga"}
#: Scenario club name -> football-data.co.uk short name (checked against the season files).
SPELLING = {
    "Arsenal": "Arsenal", "Atletico Madrid": "Ath Madrid", "Barcelona": "Barcelona",
    "Bayern Munich": "Bayern Munich", "Real Madrid": "Real Madrid", "Chelsea": "Chelsea",
    "Manchester City": "Man City", "Manchester United": "Man United",
    "Tottenham Hotspur": "Tottenham", "Liverpool": "Liverpool", "Bayer Leverkusen": "Leverkusen",
    "Brighton & Hove Albion": "Brighton", "Brentford": "Brentford", "Leicester City": "Leicester",
    "Newcastle United": "Newcastle", "Wolverhampton Wanderers": "Wolves",
    "Bournemouth": "Bournemouth", "Ipswich Town": "Ipswich", "RB Leipzig": "RB Leipzig",
    "VfB Stuttgart": "Stuttgart", "Girona": "Girona", "Sevilla": "Sevilla",
    "Hoffenheim": "Hoffenheim", "Borussia Dortmund": "Dortmund", "Aston Villa": "Aston Villa",
    "West Ham United": "West Ham", "Villarreal": "Villarreal", "Athletic Club": "Ath Bilbao",
    "Everton": "Everton", "Real Sociedad": "Sociedad", "VfL Wolfsburg": "Wolfsburg",
    "Fulham": "Fulham", "Swansea City": "Swansea", "Sunderland": "Sunderland",
    "Eintracht Frankfurt": "Ein Frankfurt", "Valencia": "Valencia",
    "Borussia Mönchengladbach": "M'gladbach", "Mainz 05": "Mainz",
    "Nottingham Forest": "Nott'm Forest", "Burnley": "Burnley", "Luton Town": "Luton",
    "Crystal Palace": "Crystal Palace", "Leeds United": "Leeds", "Sheffield United": "Sheffield United",
    "Southampton": "Southampton", "Watford": "Watford", "West Bromwich Albion": "West Brom",
}
SOURCE = "football-datasets"
RESULTS = "../../results/cases.csv"
NAMES = "../../results/cases_team_names.csv"


def clubs_of(spec: dict) -> set[str]:
    """Return the tracked clubs and candidates' clubs of a scenario."""
    clubs = {p["club"] for p in spec["posts"]}
    for q in spec.get("questions", []):
        clubs |= {c["club"] for c in q.get("candidates", []) if c.get("club")}
    return clubs


def seasons_up_to(cutoff: dt.date, n: int = 3) -> list[str]:
    """Return the ``season-YYZZ`` stems of the ``n`` seasons ending with the one at ``cutoff``."""
    start = cutoff.year if cutoff.month >= 7 else cutoff.year - 1
    return [f"season-{y % 100:02d}{(y + 1) % 100:02d}" for y in range(start - n + 1, start + 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="football-datasets folder (one sub-folder per league)")
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    args = parser.parse_args()
    unlinked: list[str] = []
    rows: dict[tuple, dict] = {}
    used: set[str] = set()
    for path in sorted((DATA / "cases").glob("*/scenario.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        if any(p["club"] not in SPELLING for p in spec["posts"]):
            continue  # a tracked club outside these leagues: its form stays neutral
        wanted = {SPELLING[c] for c in clubs_of(spec) if c in SPELLING}
        found = False
        for folder, competition in LEAGUES.items():
            for stem in seasons_up_to(spec["as_of"]):
                file = args.folder / folder / f"{stem}.csv"
                if not file.exists():
                    continue
                with file.open(newline="", encoding="utf-8") as fh:
                    for m in csv.DictReader(fh):
                        played = dt.date.fromisoformat(m["Date"]) <= spec["as_of"]
                        if played and (m["HomeTeam"] in wanted or m["AwayTeam"] in wanted):
                            found = True
                            used |= {m["HomeTeam"], m["AwayTeam"]} & wanted
                            rows[(m["Date"], m["HomeTeam"], m["AwayTeam"])] = {
                                "Date": m["Date"], "HomeTeam": m["HomeTeam"],
                                "AwayTeam": m["AwayTeam"], "FTHG": m["FTHG"], "FTAG": m["FTAG"],
                                "Competition": competition, "Source": f"{SOURCE} {folder}/{stem}.csv"}
        if found and not _linked(path):
            unlinked.append(path.parent.name)
            if not args.check:
                _link(path)
    files = {DATA / "results" / "cases.csv": _matches_csv(rows),
             DATA / "results" / "cases_team_names.csv": _names_csv(used)}
    if args.check:
        stale = [p.name for p, text in files.items() if p.read_text(encoding="utf-8") != text]
        if stale or unlinked:
            raise SystemExit(f"out of date: {', '.join(stale + unlinked)}; re-run without --check")
        print(f"up to date: {len(rows)} matches of {len(used)} clubs")
        return
    for p, text in files.items():
        _write(p, text)
    print(f"wrote {len(rows)} matches of {len(used)} clubs to {DATA / 'results' / 'cases.csv'}")


def _matches_csv(rows: dict[tuple, dict]) -> str:
    """Return the text of ``cases.csv``: the matches sorted by date and home team."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG",
                                             "Competition", "Source"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(sorted(rows.values(), key=lambda r: (r["Date"], r["HomeTeam"])))
    return out.getvalue()


def _names_csv(used: set[str]) -> str:
    """Return the text of ``cases_team_names.csv``: the spellings of the clubs read."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "canonical", "source"])
    for club, short in sorted(SPELLING.items()):
        if short in used:
            writer.writerow([short, club, SOURCE])
    return out.getvalue()


def _linked(path: Path) -> bool:
    """Return whether a case's scenario already reads results (a commented line does not count)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return any(line.strip().startswith("results:") for line in lines)


def _link(path: Path) -> None:
    """Point a case's scenario at the derived results (a line-level edit keeps its comments)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, line in enumerate(lines) if line.rstrip() == "data:")
    lines[at + 1:at + 1] = [f"  results: [{RESULTS}]", f"  team_names: {NAMES}"]
    _write(path, "\n".join(lines) + "\n")


def _write(path: Path, text: str) -> None:
    """Write a data file atomically (an interrupted run leaves the old file whole)."""
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


if __name__ == "__main__":
    main()
