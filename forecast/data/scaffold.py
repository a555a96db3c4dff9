"""A new scenario for any club: the YAML file, an empty rumours file and the club's results.

:func:`scaffold` fills what the data folder's fact table knows (the coach's appointment and the
contract end his latest extension set), copies the club's matches out of results files the user
keeps, and writes nothing until the scenario document validates; it never overwrites a file.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from forecast.data.matches import COLUMNS, Match, club_matches
from forecast.data.paths import builtin_data
from forecast.data.schemas import FactRow, RumourRow, TeamNameRow
from forecast.data.spec import ScenarioSpec
from forecast.errors import DataValidationError, Problem
from forecast.io.files import append_records, atomic_write
from forecast.io.tables import read_rows, rows_to_frame

#: Tables every scenario reads, copied into a new data folder from the source checkout's.
SHARED_TABLES = ("sources.csv", "track_record.csv", "facts.csv")
#: Seasons of results kept before the as-of date (form reads the recent ones).
RESULT_SEASONS = 3


@dataclass
class NewScenario:
    """What a user says about the new scenario; None means "find it or ask"."""

    club: str
    coach: str | None = None
    league: str | None = None
    contract_end: dt.date | None = None
    appointed: dt.date | None = None
    as_of: dt.date = field(default_factory=dt.date.today)
    horizon: str | None = None
    id: str | None = None
    title: str | None = None
    candidates: list[str] = field(default_factory=list)  # "Name" (free agent) or "Name@Club"
    own_staff: list[str] = field(default_factory=list)  # "Name@Team": the club's own staff
    successor: bool = False  # ask who succeeds him even before anyone is named
    destinations: list[str] = field(default_factory=list)  # clubs he may leave for
    results: list[Path] = field(default_factory=list)
    team_names: list[str] = field(default_factory=list)


def default_id(club: str, as_of: dt.date) -> str:
    """Return ``<club slug>-<year>``, e.g. ``chelsea-2026``."""
    return f"{re.sub(r'[^a-z0-9]+', '-', club.lower()).strip('-')}-{as_of.year}"


def default_horizon(as_of: dt.date) -> str:
    """Return June of the season after the current one: long enough for a summer and a season."""
    season_end = as_of.year + 1 if as_of.month >= 7 else as_of.year
    return f"{season_end + 1}-06"


def known_facts(data: Path, club: str, coach: str | None, as_of: dt.date) -> dict:
    """Return what the data folder's ``facts.csv`` knows, dated on or before ``as_of``.

    The latest appointment of ``coach`` at ``club`` gives ``appointed`` and the latest extension
    ``contract_end``, with the fact ids they come from; without a coach, the club's latest
    appointee is the coach.
    """
    path = data / "facts.csv"
    if not path.exists():
        return {}
    rows, problems = read_rows(path, FactRow)
    if problems:
        raise DataValidationError(problems)
    facts = rows_to_frame(rows, FactRow)
    facts = facts[(facts["club"] == club) & (facts["date"] <= as_of)].sort_values("date")
    found: dict = {}
    appointed = facts[(facts["kind"] == "appointed") & (facts["interim"] == 0)]
    if coach is None and len(appointed):
        coach = found["coach"] = appointed["coach"].iloc[-1]
    mine = facts[facts["coach"] == coach]
    if len(hit := mine[mine["kind"] == "appointed"]):
        found["appointed"], found["appointed_fact"] = hit["date"].iloc[-1], hit["id"].iloc[-1]
    if len(hit := mine[(mine["kind"] == "extended") & mine["value"].notna()]):
        found["contract_end"], found["contract_fact"] = hit["value"].iloc[-1], hit["id"].iloc[-1]
    return found


def _candidate(text: str, own_staff: bool = False) -> dict:
    flag = "--own-staff" if own_staff else "--candidate"
    name, _, current = (part.strip() for part in text.partition("@"))
    if not name:
        raise DataValidationError([Problem(flag, None, "candidate", f"{text!r} has no name")])
    if own_staff:
        if not current:
            raise DataValidationError([Problem(flag, None, "candidate", (
                f"{text!r} names no team: write NAME@TEAM, e.g. 'Raúl González@Real Madrid "
                "Castilla' (the reserve or youth team, or the front office, he works for)"))])
        return {"name": name, "club": current, "own_staff": True}
    return {"name": name, "club": current} if current else {"name": name, "free_agent": True}


def scenario_document(new: NewScenario) -> dict:
    """Return the scenario's YAML document; it must then validate as a :class:`ScenarioSpec`."""
    sid = new.id or default_id(new.club, new.as_of)
    candidates = ([_candidate(c) for c in new.candidates]
                  + [_candidate(c, own_staff=True) for c in new.own_staff])
    questions = []
    if candidates or new.successor:
        questions.append({"kind": "successor", "club": new.club, "candidates": candidates})
    departure = {"kind": "departure", "coach": new.coach}
    if new.destinations:
        departure["destinations"] = list(new.destinations)
    questions.append(departure)
    post = {"club": new.club, "league": new.league, "coach": new.coach,
            "contract_end": new.contract_end}
    if new.appointed:
        post["appointed"] = new.appointed
    other = sorted({c["club"] for c in candidates
                    if c.get("club") and not c.get("own_staff") and c["club"] != new.club}
                   | set(new.destinations))
    doc = {
        "id": sid,
        "title": new.title or (f"Who succeeds {new.coach} at {new.club}, and when does he leave?"
                               if candidates or new.successor
                               else f"When does {new.coach} leave {new.club}?"),
        "description": f"Created with `forecast new` on {dt.date.today().isoformat()}; add rumours "
                       f"with `forecast rumour add --scenario {sid}`.",
        "as_of": new.as_of,
        "horizon": new.horizon or default_horizon(new.as_of),
        "posts": [post],
        "questions": questions,
        **({"other_clubs": other} if other else {}),
        "data": {"rumours": f"../rumours/{sid}.csv", "sources": "../sources.csv"},
    }
    return doc


def _validate(doc: dict, where: str) -> None:
    try:
        ScenarioSpec.model_validate(doc)
    except ValidationError as exc:
        raise DataValidationError([Problem(where, None, ".".join(map(str, e["loc"])), e["msg"])
                                   for e in exc.errors()]) from None


def club_results(new: NewScenario) -> tuple[list[Match], set[str]]:
    """Read the club's league matches (three seasons before the as-of date on) and its spellings."""
    since = dt.date(new.as_of.year - RESULT_SEASONS, 7, 1)
    return club_matches(new.club, new.results, since, set(new.team_names), new.league)


def _new_table(path: Path, header: list[str], records: list[dict]) -> None:
    # A file of a new id: no other writer can hold it (an existing id is refused), so no lock file
    # is left beside it; the write is still one atomic replace.
    append_records(path, header, records)


def scaffold(new: NewScenario, data: Path,
             results: tuple[list[Match], set[str]] | None = None) -> tuple[Path, list[Path]]:
    """Write a new scenario into the data folder ``data``; return its file and every file written.

    ``results`` are the club's matches and spellings when already read (:func:`club_results`).

    Raises
    ------
    DataValidationError
        If the scenario would not validate, a file of that id exists, the data folder has no
        sources table to use, or the results cannot be read or do not name the club; nothing is
        written then.
    """
    data = Path(data)
    doc = scenario_document(new)
    sid = doc["id"]
    files = {"scenario": data / "scenarios" / f"{sid}.yaml", "rumours": data / "rumours" / f"{sid}.csv"}
    taken = [p for p in files.values() if p.exists()]
    if taken:
        raise DataValidationError([Problem(str(p), None, None, "exists already; choose another --id")
                                   for p in taken])
    matches, names = [], set()
    if new.results:
        matches, names = results or club_results(new)
        doc["data"]["results"] = [f"../results/{sid}.csv"]
        files["results"] = data / "results" / f"{sid}.csv"
        if names != {new.club}:
            doc["data"]["team_names"] = f"../results/{sid}_team_names.csv"
            files["team_names"] = data / "results" / f"{sid}_team_names.csv"
    shared = builtin_data()
    copies = [t for t in SHARED_TABLES
              if not (data / t).exists() and shared is not None and (shared / t).exists()]
    present = {t for t in SHARED_TABLES if (data / t).exists()} | set(copies)
    if "sources.csv" not in present:
        raise DataValidationError([Problem(str(data / "sources.csv"), None, None, "missing",
                                           "a data folder needs a sources table (see data/README.md)")])
    for table, key in (("track_record.csv", "track_record"), ("facts.csv", "facts")):
        if table in present:
            doc["data"][key] = f"../{table}"
    _validate(doc, str(files["scenario"]))
    for folder in {p.parent for p in files.values()}:
        folder.mkdir(parents=True, exist_ok=True)
    for table in copies:
        shutil.copyfile(shared / table, data / table)
    _new_table(files["rumours"], ["id", "date", *(f for f in RumourRow.model_fields
                                                  if f not in ("id", "date"))], [])
    if "results" in files:
        _new_table(files["results"], list(COLUMNS), [m.row() for m in matches])
    if "team_names" in files:
        _new_table(files["team_names"], list(TeamNameRow.model_fields),
                   [{"name": n, "canonical": new.club, "source": "forecast new"} for n in sorted(names)])
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    atomic_write(files["scenario"], lambda p: Path(p).write_text(text, encoding="utf-8"))
    return files["scenario"], [data / t for t in copies] + list(files.values())
