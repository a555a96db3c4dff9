"""Checks across a scenario's tables: names, dates, ids and links that one row cannot check alone.

Each check takes a loaded :class:`forecast.data.scenario.Scenario` and returns problems (file,
line, field, message, hint) instead of raising, so that a scenario with several mistakes is
reported in one go.
"""

from __future__ import annotations

import collections
import datetime as dt
import difflib

import pandas as pd

from forecast.data.schemas import SourceRow
from forecast.data.spec import KNOWN_PRIORS
from forecast.dims import ELSEWHERE, IN_POST
from forecast.errors import Problem


def cross_check(scenario, lines: dict[tuple, int], today: dt.date) -> list[Problem]:
    """Return every problem across the scenario file and its tables.

    ``lines`` maps each YAML key path to its line; nothing may be dated after ``today``.
    """
    spec, file = scenario.spec, str(scenario.path)
    problems: list[Problem] = []

    def yaml_problem(loc, fld, msg, hint=None):
        problems.append(Problem(file, lines.get(loc), fld, msg, hint))

    hy, hm = spec.horizon_month
    if (hy, hm) < (spec.as_of.year, spec.as_of.month):
        yaml_problem(("horizon",), "horizon", "horizon is before the as-of date")
    post_clubs = [p.club for p in spec.posts]
    incumbents = {p.coach: p.club for p in spec.posts}
    for i, post in enumerate(spec.posts):
        if post_clubs.count(post.club) > 1:
            yaml_problem(("posts", i, "club"), "club", f"club {post.club!r} is tracked twice")
        if post.contract_end < spec.as_of:
            yaml_problem(
                ("posts", i, "contract_end"), "contract_end", "contract ends before the as-of date"
            )
        if post.appointed and post.contract_end < post.appointed:
            yaml_problem(("posts", i, "contract_end"), "contract_end",
                         f"contract ends before the appointment ({post.appointed})")
    linked: dict[str, str] = {}
    for i, q in enumerate(spec.questions):
        if q.kind == "successor" and q.club not in post_clubs:
            yaml_problem(
                ("questions", i, "club"), "club", f"{q.club!r} is not a tracked post",
                _closest(q.club, post_clubs),
            )
        if q.kind == "departure" and q.coach not in incumbents:
            yaml_problem(
                ("questions", i, "coach"), "coach", f"{q.coach!r} is not a tracked incumbent",
                _closest(q.coach, list(incumbents)),
            )
        vacancies = {v.club for v in spec.questions if v.kind == "successor"}
        if q.kind == "departure" and any(v.kind == "departure" and v.coach == q.coach
                                         for v in spec.questions[:i]):
            yaml_problem(("questions", i, "coach"), "coach",
                         f"a departure question about {q.coach} is already asked")
        if q.destinations and incumbents.get(q.coach or "") in vacancies:
            yaml_problem(("questions", i, "destinations"), "destinations",
                         f"{incumbents[q.coach]} has a successor question: where {q.coach} goes "
                         "is asked only of a post without one")
        for j, club in enumerate(q.destinations):
            if club in (ELSEWHERE, IN_POST):
                yaml_problem(("questions", i, "destinations", j), "destinations",
                             f"{club!r} is an outcome the forecast names itself, not a club")
            elif club == incumbents.get(q.coach or ""):
                yaml_problem(("questions", i, "destinations", j), "destinations",
                             f"{club!r} is {q.coach}'s own club")
            elif club in vacancies:
                yaml_problem(("questions", i, "destinations", j), "destinations",
                             f"{club!r} has a successor question: a move there is its answer, "
                             f"not a destination (list {q.coach} among its candidates)")
            elif club in post_clubs:
                yaml_problem(("questions", i, "destinations", j), "destinations",
                             f"{club!r} is a tracked post: a move there ends its coach's spell, "
                             f"so ask its successor question with {q.coach} as a candidate")
        names = [c.name for c in q.candidates]
        for j, cand in enumerate(q.candidates):
            loc = ("questions", i, "candidates", j)
            if names.count(cand.name) > 1:
                yaml_problem((*loc, "name"), "name", f"candidate {cand.name!r} listed twice")
            if cand.name == incumbents.get(q.club or ""):
                yaml_problem((*loc, "name"), "name", "the incumbent cannot succeed himself")
            if cand.club in post_clubs and incumbents.get(cand.name) != cand.club:
                yaml_problem(
                    (*loc, "club"), "club",
                    f"{cand.club!r} is tracked with another coach; a candidate there must be its "
                    "incumbent",
                )
            if cand.own_staff and cand.name in incumbents:
                yaml_problem((*loc, "own_staff"), "own_staff",
                             f"{cand.name} coaches a tracked post, so he is not this club's own staff")
            if cand.name in incumbents:
                if cand.name in linked and linked[cand.name] != q.club:
                    yaml_problem(
                        (*loc, "name"), "name",
                        f"{cand.name} is a candidate for two tracked vacancies "
                        f"({linked[cand.name]}, {q.club}); this is not supported yet",
                    )
                linked[cand.name] = q.club or ""
    for name in spec.priors:
        if name not in KNOWN_PRIORS:
            yaml_problem(("priors", name), f"priors.{name}", "unknown prior",
                         _closest(name, list(KNOWN_PRIORS)) or f"known: {', '.join(KNOWN_PRIORS)}")
    problems += _check_cycles(scenario, linked, incumbents, file)
    problems += _check_sources(scenario)
    problems += check_rumours(scenario, scenario.rumours, today)
    problems += _check_removals(scenario, today)
    problems += _check_track_record(scenario, today)
    problems += _check_facts(scenario, today)
    problems += _check_results(scenario)
    problems += _check_odds(scenario, today)
    return problems

def _check_cycles(scenario, linked, incumbents, file) -> list[Problem]:
    # linked: coach -> club whose vacancy he may fill; following it must not return to a club.
    for start in linked:
        seen, coach = set(), start
        while coach in linked:
            club = linked[coach]
            if club in seen:
                return [Problem(file, None, "questions", f"candidate links form a cycle via {club}")]
            seen.add(club)
            coach = next((c for c, k in incumbents.items() if k == club), None)
    return []

def _check_sources(scenario) -> list[Problem]:
    # One name (or alias) must mean one outlet: otherwise its tier depends on row order.
    file, problems = str(scenario.files["sources"]), []
    owner: dict[str, str] = {}
    for row in scenario.sources[["line", "name", "aliases"]].itertuples():
        # A row's own spellings count once (an alias may repeat its name in another case).
        spellings = {n.lower(): n for n in reversed([row.name, *SourceRow.alias_list(row.aliases)])}
        for key, name in spellings.items():  # type: ignore[arg-type]
            if key in owner and owner[key] != row.name:
                problems.append(Problem(file, row.line, "aliases", f"{name!r} already names "
                                        f"{owner[key]!r}"))
            elif key in owner:
                problems.append(Problem(file, row.line, "name", f"source {name!r} listed twice"))
            owner.setdefault(key, row.name)
    return problems

def _check_track_record(scenario, today: dt.date) -> list[Problem]:
    if "track_record" not in scenario.files:
        return []
    file, problems = str(scenario.files["track_record"]), []
    sources = scenario.source_names()
    ids = collections.Counter(scenario.track_record["id"])
    columns = ["line", "id", "source", "claim_date", "resolution_date", "echo_of"]
    for row in scenario.track_record[columns].itertuples():
        if ids[row.id] > 1:
            problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
        if row.source.lower() not in sources:
            problems.append(Problem(file, row.line, "source", f"unknown source {row.source!r}",
                                    _closest(row.source, list(scenario.sources["name"]))))
        if row.resolution_date < row.claim_date:
            problems.append(Problem(file, row.line, "resolution_date",
                                    "resolved before the claim was made"))
        if row.resolution_date > today:
            problems.append(Problem(file, row.line, "resolution_date",
                                    f"{row.resolution_date} is in the future"))
        if row.echo_of and row.echo_of not in ids:
            problems.append(Problem(file, row.line, "echo_of", f"no claim {row.echo_of!r}"))
    return problems

def _check_removals(scenario, today: dt.date) -> list[Problem]:
    if "removals" not in scenario.files:
        return []
    file, ids = str(scenario.files["removals"]), set(scenario.rumours["id"])
    problems = []
    for row in scenario.removals.itertuples():
        if row.id not in ids:
            problems.append(Problem(file, row.line, "id", f"no rumour {row.id!r} to remove"))
        if row.date > today:
            problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
    return problems

def check_rumours(scenario, rumours: pd.DataFrame, today: dt.date) -> list[Problem]:
    """Check rumour rows against the scenario (sources, coaches, clubs, dates, ids, cites)."""
    file = str(scenario.files["rumours"])
    problems = []
    sources = scenario.source_names()
    coaches, clubs = sorted(scenario.coaches()), sorted(scenario.clubs())
    ids = collections.Counter(rumours["id"])
    for row in rumours.itertuples():
        if ids[row.id] > 1:
            problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
        if row.source.lower() not in sources:
            problems.append(
                Problem(file, row.line, "source", f"unknown source {row.source!r}",
                        _closest(row.source, [s for s in scenario.sources["name"]]))
            )
        if row.subject not in coaches:
            problems.append(
                Problem(file, row.line, "subject", f"unknown coach {row.subject!r}",
                        _closest(row.subject, coaches) or "add him to the scenario")
            )
        if row.club not in clubs:
            problems.append(
                Problem(file, row.line, "club", f"unknown club {row.club!r}",
                        _closest(row.club, clubs) or "add it to other_clubs in the scenario")
            )
        if row.date > today:
            problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
        if row.cites and row.cites not in ids and row.cites.lower() not in sources:
            problems.append(
                Problem(file, row.line, "cites",
                        f"{row.cites!r} is neither a rumour id nor a known source")
            )
        if row.cites in ids:
            cited = rumours.loc[rumours["id"] == row.cites, "date"].iloc[0]
            if cited > row.date:
                problems.append(
                    Problem(file, row.line, "cites", f"cites {row.cites}, which is dated later")
                )
    return problems

def _check_facts(scenario, today: dt.date) -> list[Problem]:
    if "facts" not in scenario.files:
        return []
    file = str(scenario.files["facts"])
    problems = []
    ids = collections.Counter(scenario.facts["id"])
    for row in scenario.facts.itertuples():
        if ids[row.id] > 1:
            problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
        if row.kind == "extended" and row.value is None:
            problems.append(Problem(file, row.line, "value", "an extension needs the new end date"))
        if row.kind == "extended" and row.value is not None and row.value < row.date:
            problems.append(Problem(file, row.line, "value",
                                    "the extended contract ends before the extension was announced"))
        if row.date > today:
            problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
        if row.kind == "reversed" and not len(scenario.facts.query(
                "kind == 'left' and coach == @row.coach and club == @row.club and date <= @row.date")):
            problems.append(Problem(file, row.line, "kind", f"no earlier departure of {row.coach} "
                                    f"from {row.club} to reverse", "add its 'left' fact first"))
    return problems

def _check_results(scenario) -> list[Problem]:
    problems = []
    mapped = set(scenario.team_names["canonical"]) if len(scenario.team_names) else set()
    for club in (p.club for p in scenario.spec.posts):
        names = {club} | set(scenario.team_names.loc[scenario.team_names["canonical"] == club, "name"])
        if len(scenario.results) and not (
            scenario.results["HomeTeam"].isin(names).any() or scenario.results["AwayTeam"].isin(names).any()
        ):
            problems.append(
                Problem(str(scenario.path), None, "data.results",
                        f"no match of {club!r} in the results files",
                        "map its spelling in team_names" if club not in mapped else None)
            )
    results = scenario.results
    unnamed = results[results["Competition"].isna() & results["Div"].isna()]
    problems += [Problem(row.file, row.line, "Competition", "a match needs Competition or Div")
                 for row in unnamed.itertuples()]
    return problems

def _check_odds(scenario, today: dt.date) -> list[Problem]:
    """Check that each snapshot is one market on one day (date, bookmaker, club, page), 2+ names."""
    if "odds" not in scenario.files:
        return []
    file, problems = str(scenario.files["odds"]), []
    vacancies = [q.club for q in scenario.spec.questions if q.kind == "successor"]
    for snapshot, rows in scenario.odds.groupby("snapshot", sort=False):
        first = rows.iloc[0]
        for fld in ("date", "bookmaker", "club", "url"):
            for row in rows[rows[fld] != first[fld]].itertuples():
                problems.append(Problem(file, row.line, fld, f"snapshot {snapshot!r} has another "
                                        f"{fld} on line {first.line}", "one snapshot is one market "
                                        "on one day from one page"))
        for row in rows[rows["name"].duplicated()].itertuples():
            problems.append(Problem(file, row.line, "name", f"{row.name!r} is priced twice in "
                                    f"snapshot {snapshot!r}"))
        if len(rows) < 2:
            problems.append(Problem(file, first.line, "snapshot",
                                    f"snapshot {snapshot!r} prices one name; a market needs two"))
        if first.club not in vacancies:
            problems.append(Problem(file, first.line, "club", f"{first.club!r} has no successor "
                                    "question in this scenario", _closest(first.club, vacancies)))
        if first.date > today:
            problems.append(Problem(file, first.line, "date", f"{first.date} is in the future"))
    return problems


def _closest(name: str | None, known: list[str]) -> str | None:
    if not name:
        return None
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if not match:
        lowered = {k.lower(): k for k in known}
        match = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)]
    return f"did you mean {match[0]!r}?" if match else None
