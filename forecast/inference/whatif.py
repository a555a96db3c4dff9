"""What-if questions: the forecast on an edited copy of a scenario, stored data untouched.

"What if Real Madrid lose the next two matches?", "what if this outlet were ignored?", "what if
this rumour had never been reported?", "what if its claim were true (or false)?": each is the
same scenario with some rows added or taken out, or a claim assumed, in memory. The answer
reweights the forecast's draws on the edited data (:func:`forecast.inference.update.update`,
which refits when too few draws keep weight), so it is as exact as ``rumour add``'s refresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd

from forecast.data.scenario import Scenario
from forecast.errors import DataValidationError, Problem
from forecast.features.form import MAX_AGE_DAYS, current_run, team_points
from forecast.features.inputs import build_inputs, club_spellings
from forecast.inference.update import update
from forecast.results.result import ForecastResult

#: Goals of a hypothetical match, by result for the club.
SCORES = {"win": (1, 0), "draw": (0, 0), "loss": (0, 1)}


PLURAL = {"win": "wins", "draw": "draws", "loss": "losses"}


@dataclass(frozen=True)
class WhatIf:
    """An edit of a scenario.

    Attributes
    ----------
    drop_sources : tuple of str
        Outlets (names or aliases) whose reports are set aside.
    drop_rumours : tuple of str
        Rumour ids set aside.
    matches : tuple of (str, str)
        Hypothetical league matches ``(club, "win" | "draw" | "loss")``, played on the as-of
        date in this order after every real match; they enter the club's form.
    assume_true, assume_false : tuple of str
        Rumour ids whose claim is taken to hold (or to be false): the forecast becomes the one
        conditional on it, every outcome that contradicts the assumption ruled out.
    """

    drop_sources: tuple[str, ...] = ()
    drop_rumours: tuple[str, ...] = ()
    matches: tuple[tuple[str, str], ...] = ()
    assume_true: tuple[str, ...] = ()
    assume_false: tuple[str, ...] = ()

    def describe(self) -> str:
        """Say the edit in words."""
        parts = []
        by_club: dict[str, list[str]] = {}
        for club, outcome in self.matches:
            by_club.setdefault(club, []).append(outcome)
        for club, outcomes in by_club.items():
            counts = ", ".join(f"{outcomes.count(o)} {o if outcomes.count(o) == 1 else PLURAL[o]}"
                               for o in SCORES if o in outcomes)
            parts.append(f"{club} play {len(outcomes)} more league match(es) ({counts})")
        parts += [f"reports from {s} set aside" for s in self.drop_sources]
        parts += [f"rumour {r} set aside" for r in self.drop_rumours]
        parts += [f"the claim of rumour {r} holds" for r in self.assume_true]
        parts += [f"the claim of rumour {r} is false" for r in self.assume_false]
        return "; ".join(parts) or "no change"


def edit_scenario(scenario: Scenario, question: WhatIf, as_of: dt.date) -> Scenario:
    """Return a copy of ``scenario`` with the edit applied (nothing is written).

    Raises
    ------
    DataValidationError
        For an unknown outlet, rumour or club, an outlet with no reports, or a club with no
        current run of results in the scenario (a match could not change its form:
        :func:`forecast.features.form.current_run`).
    """
    problems: list[Problem] = []
    rumours = scenario.active_rumours()
    rumours = rumours[rumours["date"] <= as_of]
    counted = set(rumours["id"])
    drop: set[str] = set()
    for name in question.drop_sources:
        source = scenario.canonical_source(name)
        if source is None:
            problems.append(Problem("--drop-source", None, "source", f"unknown source {name!r}"))
            continue
        ids = set(rumours.loc[rumours["source"] == source, "id"])
        if not ids:
            problems.append(Problem("--drop-source", None, "source",
                                    f"{source} has no counted report as of {as_of}"))
        drop |= ids
    for rid in question.drop_rumours:
        if rid not in counted:
            problems.append(Problem("--drop-rumour", None, "id",
                                    f"{rid!r} is not a counted rumour as of {as_of}"))
        drop.add(rid)
    assumed = {**{r: True for r in question.assume_true}, **{r: False for r in question.assume_false}}
    for rid in assumed:
        if rid not in counted or rid in drop:
            problems.append(Problem("--assume", None, "id", f"{rid!r} is not a rumour known as of "
                                    f"{as_of}" + (" (and set aside)" if rid in drop else "")))
    if set(question.assume_true) & set(question.assume_false):
        problems.append(Problem("--assume", None, "id", "a rumour assumed both true and false"))
    rows = []
    names_of = club_spellings(scenario)
    for club, outcome in question.matches:
        if club not in scenario.clubs():
            problems.append(Problem("--club", None, "club", f"unknown club {club!r}"))
            continue
        if outcome not in SCORES:
            problems.append(Problem("--club", None, "result", f"{outcome!r} is not win, draw or loss"))
            continue
        if not len(current_run(team_points(scenario.results, names_of(club), as_of), as_of)):
            problems.append(Problem("--club", None, "club",
                                    f"the scenario reads no results of {club} in the "
                                    f"{MAX_AGE_DAYS} days before {as_of}, so a match cannot "
                                    "change its form"))
            continue
        home, away = SCORES[outcome]
        rows.append({"Date": as_of, "HomeTeam": club, "AwayTeam": "(what-if opponent)",
                     "FTHG": home, "FTAG": away, "Competition": "what-if", "line": 0})
    if problems:
        raise DataValidationError(problems)
    removals = pd.concat([scenario.removals, pd.DataFrame(
        {"line": 0, "id": sorted(drop), "date": as_of, "reason": "what-if"})], ignore_index=True)
    results = pd.concat([scenario.results, pd.DataFrame(rows)], ignore_index=True) if rows \
        else scenario.results
    return dataclasses.replace(scenario, removals=removals, results=results,
                               assumed={**scenario.assumed, **assumed})


def check_edit(scenario: Scenario, question: WhatIf, as_of: dt.date) -> Scenario:
    """Apply the edit and run every model-input check on the result, before any sampling."""
    edited = edit_scenario(scenario, question, as_of)
    build_inputs(edited, as_of)
    return edited


def whatif(base: ForecastResult, scenario: Scenario, question: WhatIf,
           as_of: dt.date | None = None, seed: int | None = None, cache_dir=None,
           say=None) -> ForecastResult:
    """Return the forecast as if the edit were true, from ``base``, the forecast without it.

    Parameters
    ----------
    base : ForecastResult
        The forecast of ``scenario`` as of ``as_of`` (a full fit or an update of one).
    scenario : Scenario
        The scenario as stored.
    question : WhatIf
        The edit.
    as_of : date, optional
        Forecast date (default the scenario's).
    seed, cache_dir, say
        As for :func:`forecast.inference.update.update`.

    Examples
    --------
    >>> base = forecast.fit(scenario)                                   # doctest: +SKIP
    >>> question = WhatIf(matches=(("Real Madrid", "loss"),) * 2)       # doctest: +SKIP
    >>> after = whatif(base, scenario, question)                        # doctest: +SKIP
    >>> after.headline_table()                                          # doctest: +SKIP
    """
    as_of = as_of or scenario.spec.as_of
    # update() builds (and so checks) the model inputs of the edited scenario itself.
    edited = edit_scenario(scenario, question, as_of)
    return update(base, edited, as_of, seed=seed, cache_dir=cache_dir, say=say)
