"""``forecast new``: scaffold a scenario for a club, asking on a terminal for what is not known."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from forecast.errors import DataValidationError, OptionError

#: Post fields a scenario cannot do without, and how to ask for each.
REQUIRED = {"coach": "head coach now", "league": "league", "contract_end": "contract end (YYYY-MM-DD)"}


def _ask_missing(new) -> None:
    """Ask on a terminal for each required field still missing; refuse without a terminal."""
    interactive = sys.stdin.isatty()
    missing = []
    for name, question in REQUIRED.items():
        if getattr(new, name) is not None:
            continue
        if not interactive:
            missing.append(f"--{name.replace('_', '-')}")
            continue
        answer = input(f"{new.club}: {question}: ").strip()
        if name == "contract_end":
            try:
                answer = dt.date.fromisoformat(answer)
            except ValueError:
                raise OptionError(f"contract end {answer!r} is not a date YYYY-MM-DD") from None
        setattr(new, name, answer or None)
        if not answer:
            missing.append(f"--{name.replace('_', '-')}")
    if missing:
        raise OptionError(f"not known for {new.club}: give {', '.join(missing)} (the fact table "
                          "has no appointment or extension to read them from)")


def _shown(path: Path) -> str:
    """Return ``path`` relative to the current folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def cmd_new(args) -> int:
    """Write a new scenario into the data folder, validate it and print the next commands."""
    from forecast.data.paths import builtin_data, new_data_dir
    from forecast.data.scaffold import NewScenario, club_results, known_facts, scaffold
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import check_model_inputs

    data = new_data_dir()
    new = NewScenario(club=args.club, coach=args.coach, league=args.league,
                      contract_end=args.contract_end, appointed=args.appointed,
                      as_of=args.as_of or dt.date.today(), horizon=args.horizon, id=args.id,
                      title=args.title, candidates=args.candidate or [],
                      own_staff=args.own_staff or [], successor=args.successor,
                      destinations=args.destination or [],
                      results=args.results or [],
                      team_names=args.team_name or [])
    facts = (data if (data / "facts.csv").exists() else builtin_data() or data) / "facts.csv"
    found = known_facts(facts.parent, new.club, new.coach, new.as_of)
    for name, fact in (("coach", None), ("appointed", "appointed_fact"),
                       ("contract_end", "contract_fact")):
        if name in found and getattr(new, name) is None:
            setattr(new, name, found[name])
            print(f"{name}: {found[name]} (from {facts}" + (f", fact {found[fact]})" if fact else ")"))
    results = club_results(new) if new.results else None
    if new.league is None and results and results[0]:
        new.league = results[0][0].competition  # club_results keeps the club's league only
        print(f"league: {new.league} (the competition of its matches in the results files)")
    _ask_missing(new)
    path, written = scaffold(new, data, results)
    try:
        scenario = Scenario.load(path)
        check_model_inputs(scenario)
    except DataValidationError:
        for path in written:  # only files this command created; nothing existing was touched
            path.unlink(missing_ok=True)
        raise
    matches = len(scenario.results)
    print(f"wrote {_shown(path)}: {new.coach} at {new.club} ({new.league}), contract to "
          f"{new.contract_end}, as of {new.as_of}, horizon {scenario.spec.horizon}; "
          f"{len(scenario.spec.questions)} question(s), {matches} matches of results")
    for other in written:
        if other != path:
            print(f"  and {_shown(other)}")
    print("next:")
    print(f"  forecast rumour add --scenario {scenario.id}   (asks for each field on a terminal)")
    print(f"  forecast run {scenario.id}")
    return 0
