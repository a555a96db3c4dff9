"""League results from files a user keeps: football-data.co.uk CSV seasons and openfootball JSON.

Nothing here is stored as it is read: :func:`club_matches` picks one club's matches (and the
spellings it goes by) out of any number of files or folders, in the football-data.co.uk layout
the scenario loader reads (``Date, HomeTeam, AwayTeam, FTHG, FTAG, Competition``), so that a new
scenario can keep a small copy inside its own data folder.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from forecast.data.schemas import parse_date
from forecast.errors import DataValidationError, Problem

#: Largest results file read (a season of a league is well under 1 MiB).
MAX_RESULTS_BYTES = 20 * 1024 * 1024
#: football-data.co.uk division codes and folder names, by league name.
LEAGUE_NAMES = {
    "E0": "Premier League", "SP1": "La Liga", "D1": "Bundesliga", "I1": "Serie A", "F1": "Ligue 1",
    "premier-league": "Premier League", "la-liga": "La Liga", "bundesliga": "Bundesliga",
    "serie-a": "Serie A", "ligue-1": "Ligue 1",
    "en.1": "Premier League", "es.1": "La Liga", "de.1": "Bundesliga", "it.1": "Serie A",
    "fr.1": "Ligue 1", "uefa.cl": "Champions League",
}
COLUMNS = ("Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG", "Competition")


@dataclass(frozen=True)
class Match:
    """One played match, with the league it belongs to and the file it came from."""

    date: dt.date
    home: str
    away: str
    home_goals: int
    away_goals: int
    competition: str
    file: str

    def row(self) -> dict:
        """Return the match in the football-data.co.uk layout."""
        return dict(zip(COLUMNS, (self.date.isoformat(), self.home, self.away, self.home_goals,
                                  self.away_goals, self.competition), strict=True))


def results_files(paths: list[Path]) -> list[Path]:
    """Return the ``.csv`` and ``.json`` files among ``paths``, folders searched recursively."""
    files = []
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix in (".csv", ".json") and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise DataValidationError([Problem(str(path), None, None, "no such file or folder")])
    return files


def _date(text: str) -> dt.date | None:
    try:
        return parse_date(text)
    except ValueError:
        return None


def _league_of(path: Path, fallback: str | None) -> str:
    for part in (path.parent.name, path.stem):
        if part in LEAGUE_NAMES:
            return LEAGUE_NAMES[part]
    return fallback or path.parent.name


def read_matches(path: Path) -> list[Match]:
    """Read the played matches of one file (rows without a full-time score are skipped).

    Raises
    ------
    DataValidationError
        If the file is too large, not UTF-8, or in neither layout.
    """
    if path.stat().st_size > MAX_RESULTS_BYTES:
        raise DataValidationError([Problem(str(path), None, None,
                                           f"larger than {MAX_RESULTS_BYTES // 2**20} MiB")])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataValidationError([Problem(str(path), None, None, "not UTF-8 text")]) from None
    if path.suffix == ".json":
        return _openfootball(path, text)
    rows = list(csv.DictReader(text.splitlines()))
    if not rows or not {"Date", "HomeTeam", "AwayTeam", "FTHG", "FTAG"} <= set(rows[0]):
        raise DataValidationError([Problem(str(path), 1, None, "not a football-data.co.uk results "
                                           "file: the header needs Date, HomeTeam, AwayTeam, FTHG, FTAG")])
    matches = []
    for row in rows:
        date = _date(row["Date"] or "")
        if date is None or not (row["FTHG"] or "").isdigit() or not (row["FTAG"] or "").isdigit():
            continue
        league = _league_of(path, LEAGUE_NAMES.get(row.get("Div") or "", row.get("Competition")))
        matches.append(Match(date, row["HomeTeam"].strip(), row["AwayTeam"].strip(),
                             int(row["FTHG"]), int(row["FTAG"]), league, str(path)))
    return matches


def _openfootball(path: Path, text: str) -> list[Match]:
    try:
        doc = json.loads(text)
        league = LEAGUE_NAMES.get(path.stem) or re.sub(
            r"\s*\d{4}(/\d{2,4})?$", "", str(doc.get("name", ""))).strip() or path.stem
        matches = []
        for m in doc["matches"]:
            score = (m.get("score") or {}).get("ft")
            date = _date(str(m.get("date", "")))
            if date is None or not score or len(score) != 2:
                continue
            matches.append(Match(date, str(m["team1"]).strip(), str(m["team2"]).strip(),
                                 int(score[0]), int(score[1]), league, str(path)))
        return matches
    except (ValueError, KeyError, TypeError, AttributeError):
        raise DataValidationError([Problem(str(path), None, None, "not an openfootball JSON file "
                                           "(name, matches with team1, team2, date, score.ft)")]) from None


def _normal(name: str) -> str:
    return re.sub(r"\b(fc|cf|afc|sc|ac|ssc|club)\b|[^a-z0-9 ]", "", name.lower()).strip()


def spellings(club: str, teams: set[str], known: set[str] = frozenset()) -> set[str]:
    """Return the names ``club`` goes by among ``teams``.

    A team matches when it is the club, a known spelling of it, or the same name once suffixes
    such as "FC" are dropped ("Chelsea FC"); failing that, the single closest name if it is
    close (difflib ratio >= 0.85).
    """
    wanted = {club, *known}
    found = {t for t in teams if t in wanted or _normal(t) in {_normal(w) for w in wanted}}
    if found:
        return found
    close = difflib.get_close_matches(_normal(club), {_normal(t): t for t in teams}, n=1, cutoff=0.85)
    return {next(t for t in teams if _normal(t) == close[0])} if close else set()


def club_matches(club: str, paths: list[Path], since: dt.date, known: set[str] = frozenset(),
                 league: str | None = None) -> tuple[list[Match], set[str]]:
    """Return ``club``'s league matches since ``since`` in the files under ``paths``, and its spellings.

    Only matches of ``league`` are kept (default: the competition the club played most matches
    in, its league); a match found in several files (two sources of one season) is kept once.

    Raises
    ------
    DataValidationError
        If a file cannot be read, or no team in the files is the club (with the closest names).
    """
    matches = [m for f in results_files(paths) for m in read_matches(f)]
    teams = {m.home for m in matches} | {m.away for m in matches}
    names = spellings(club, teams, known)
    if not names:
        close = difflib.get_close_matches(club, sorted(teams), n=3, cutoff=0.4)
        hint = (f"closest: {', '.join(close)}; give the spelling with --team-name" if close
                else "give a results file of the club's league")
        raise DataValidationError([Problem(", ".join(map(str, paths)), None, "club",
                                           f"no team called {club!r} in {len(teams)} teams", hint)])
    mine = [m for m in matches if (m.home in names or m.away in names) and m.date >= since]
    league = league or main_competition(mine)
    # Sources spell the opponents differently: one match is one date, venue and score.
    unique = {(m.date, m.home in names, m.home_goals, m.away_goals): m
              for m in sorted(mine, key=lambda m: (m.date, m.file)) if m.competition == league}
    return sorted(unique.values(), key=lambda m: m.date), names


def main_competition(matches: list[Match]) -> str | None:
    """Return the competition with the most matches (a club's league), or None."""
    counts = Counter(m.competition for m in matches)
    return max(sorted(counts), key=counts.__getitem__) if counts else None
