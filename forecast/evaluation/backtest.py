"""Backtests: replay resolved cases at their cutoff and score the forecasts against what happened.

Each case is a scenario whose ``as_of`` is the cutoff; nothing dated after it is used (rumours,
facts, results and the track record alike). The truth is read from the case's facts: the outcome
states its facts allow once everything is known (a forecast as of the day after the horizon).
Scores (higher log score is better; lower Brier and RPS are better):

- who: the next coach among the named candidates, "not listed" and "no vacancy";
- when: the incumbent's departure month, or "after horizon" (ordered, so RPS applies; the who
  outcomes have no order, so RPS is reported for when only);
- where, for a departure question that names destinations: each named club, anywhere else, the
  tracked vacancy he may be pulled to, or still in post at the horizon;
- when, other post: where a departure question asks about another tracked post (often a
  candidate's own club, which he leaves if appointed: the coupling), the month its coach
  leaves, as for when.

Baselines: uniform over the outcomes; the most-rumoured candidate (0.6 on him, the rest shared);
the model's own prior without rumours (exact: the same marginalisation with every rumour's
weight set to zero, averaged over prior draws; a case's odds are part of that prior), which
isolates what the rumours add; and, where
a case lists odds, the betting market (who, given a change, with the model's own chance of no
change, since a "next manager" market does not price that).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from forecast.data.spec import TIES
from forecast.dims import NOT_LISTED
from forecast.features.market import MAX_AGE_DAYS, market_choice

MOST_RUMOURED_MASS = 0.6


JOIN_CLAIMS = ("joins", "talks", "agreement", "shortlisted")

#: What each baseline forecasts, as the backtest report states it next to its scores.
BASELINES = {
    "prior only": "the model without its rumours (facts, contracts, results and odds kept)",
    "most rumoured": (f"{MOST_RUMOURED_MASS:.0%} on the candidate named in the most reports of a "
                      "move there (shared when names tie), the rest spread evenly over the other "
                      "outcomes, no change included"),
    "uniform": "every outcome equally likely",
    "market": ("bookmakers' prices with the margin removed (Shin's method), given a change, with "
               f"the model's own chance of no change; only cases with odds at most {MAX_AGE_DAYS} "
               "days old at the cutoff"),
}


@dataclass
class CaseForecast:
    """Probabilities of one case by method, and the true outcome."""

    case: str
    cutoff: str
    who_labels: list[str]
    who: dict[str, np.ndarray]  # method -> probabilities over who_labels
    who_truth: np.ndarray  # 0/1 per label (several 1s if the facts leave it open)
    when_labels: list[str]
    when: dict[str, np.ndarray]
    when_truth: np.ndarray
    diagnostics: dict
    where_labels: list[str] = field(default_factory=list)
    where: dict[str, np.ndarray] = field(default_factory=dict)
    where_truth: np.ndarray = field(default_factory=lambda: np.zeros(0))
    who_features: list[dict[str, bool]] = field(default_factory=list)  # per candidate
    # When the coach of another post a departure question asks about leaves it (the first such
    # post; no case has two), over the months of when_labels.
    other_coach: str = ""
    other_when: dict[str, np.ndarray] = field(default_factory=dict)
    other_truth: np.ndarray = field(default_factory=lambda: np.zeros(0))
    case_set: str = ""  # the scenario's ``case_set``: cases chosen by one rule


def candidate_features(candidates: list, counts: dict[str, int]) -> list[dict[str, bool]]:
    """Return what the backtest checks the successor choice by, for each candidate spec.

    ``counts``: reports of a move there per name, as the "most rumoured" baseline counts them.
    Each candidate has the same keys, in the same order
    (:func:`forecast.evaluation.scores.feature_calibration`).
    """
    top = max(counts.values(), default=0)
    return [{"most reported": top > 0 and counts.get(c.name, 0) == top,
             "in no report of a move there": counts.get(c.name, 0) == 0,
             **{f"tie: {tie}": tie in c.ties for tie in TIES},
             "free agent": c.free_agent, "own staff": c.own_staff,
             "under contract elsewhere": not (c.free_agent or c.own_staff)} for c in candidates]


def most_rumoured(candidates: list[str], counts: dict[str, int], n_labels: int) -> np.ndarray:
    """Return the "most rumoured" baseline over ``n_labels`` outcomes (candidates first).

    :data:`MOST_RUMOURED_MASS` goes to the candidate named in the most reports of a move there,
    shared equally when several tie (the order of a case's candidate list is its author's, who
    knew the outcome, so it must not break ties); the rest is spread evenly over the other
    outcomes. With no candidate named in any report, every outcome gets the same.
    """
    if not counts:
        return np.full(n_labels, 1.0 / n_labels)
    top = max(counts.values())
    tied = [candidates.index(c) for c, n in counts.items() if n == top]
    most = np.full(n_labels, (1 - MOST_RUMOURED_MASS) / (n_labels - len(tied)))
    most[tied] = MOST_RUMOURED_MASS / len(tied)
    return most


def case_paths(cases_dir: Path) -> list[Path]:
    """Return every ``<case>/scenario.yaml`` under ``cases_dir``."""
    return sorted(Path(cases_dir).glob("*/scenario.yaml"))


def check_cases(cases_dir: Path) -> list[Path]:
    """Validate every case up front (as ``forecast validate`` does); return their paths.

    Raises
    ------
    DataValidationError
        With the problems of every broken case, before any case is fitted.
    """
    from forecast.data.scenario import Scenario
    from forecast.errors import DataValidationError, Problem
    from forecast.features.inputs import check_model_inputs

    paths = case_paths(cases_dir)
    if not paths:
        raise DataValidationError([Problem(str(cases_dir), None, None,
                                           "no <case>/scenario.yaml in this folder")])
    problems = []
    for path in paths:
        try:
            check_model_inputs(Scenario.load(path))
        except DataValidationError as exc:
            problems += exc.problems
    if problems:
        raise DataValidationError(problems)
    return paths


def true_states(scenario, post_index: int, destination: bool = False) -> tuple[np.ndarray, ...]:
    """Return the states the facts allow once everything is known: what really happened.

    Returns their departure months and successors, and with ``destination`` their
    destination slots too (-1: still in post).
    """
    from forecast.evaluation.claims import resolved_inputs

    inputs = resolved_inputs(scenario)
    post = inputs.posts[post_index]
    allowed = post.mask > 0
    dep, succ = post.states(inputs.T)
    if destination:
        return dep[allowed], succ[allowed], post.destination_states(inputs.T)[allowed]
    return dep[allowed], succ[allowed]


def who_truth_columns(post, dep: np.ndarray, succ: np.ndarray, T: int) -> list[int]:
    """Return the successor outcomes that the true states ``dep, succ`` of a post answer.

    Outcomes are numbered as in the successor tables: the candidates, not listed (``K``), no
    vacancy (``K + 1``).
    """
    return sorted({post.n_cand + 1 if d == T else s for d, s in zip(dep, succ, strict=True)})


def scored_post(scenario, posts) -> int:
    """Return the index in ``posts`` (model inputs) of the post a case is scored on.

    Its vacancy when it asks who succeeds, else the post of the coach its departure question
    is about.
    """
    questions = scenario.spec.questions
    club = next((q.club for q in questions if q.kind == "successor"), None)
    if club is None:
        coach = next(q.coach for q in questions if q.kind == "departure")
        return next(j for j, p in enumerate(posts) if p.coach == coach)
    return next(j for j, p in enumerate(posts) if p.club == club)


def forecast_case(path: Path, draws: int = 500, seed: int = 1,
                  cache_dir: Path | None = None) -> CaseForecast:
    """Fit one case at its cutoff and collect every method's probabilities."""
    from forecast.data.scenario import Scenario
    from forecast.dims import AFTER, NO_VACANCY
    from forecast.inference.fit import fit
    from forecast.inference.settings import SamplerSettings
    from forecast.inference.states import prior_marginals

    scenario = Scenario.load(path)
    result = fit(scenario, settings=SamplerSettings(draws=draws, tune=draws, seed=seed),
                 cache_dir=cache_dir)
    inputs = result.inputs
    i = scored_post(scenario, inputs.posts)
    post = inputs.posts[i]
    T = inputs.T
    prior_states = prior_marginals(inputs, result.priors)
    dep_true, succ_true = true_states(scenario, i)
    when, when_truth = departure_question(result, prior_states, i, dep_true)
    # Another post a departure question asks about: often a candidate's own club, which he
    # leaves if appointed (the coupling).
    asked = {q.coach for q in scenario.spec.questions if q.kind == "departure"}
    other = next((j for j, p in enumerate(inputs.posts) if j != i and p.coach in asked), None)
    other_when, other_truth = ({}, np.zeros(0)) if other is None else departure_question(
        result, prior_states, other, true_states(scenario, other)[0])
    prior = prior_states[i]
    dep, succ = post.states(T)
    # A case that asks only when a coach leaves (a rumoured exit) has no "who" question.
    who_labels, who, who_truth, who_features = [], {}, np.zeros(0), []
    if post.has_successor:
        who_labels = [*post.candidates, NOT_LISTED, NO_VACANCY]
        who_truth = np.zeros(len(who_labels))
        who_truth[who_truth_columns(post, dep_true, succ_true, T)] = 1
        table = result.successor[result.successor["club"] == post.club]
        prior_who = np.array([prior[(succ == k) & (dep < T)].sum() for k in range(post.n_cand + 1)]
                             + [prior[dep == T].sum()])
        rumours = inputs.rumours
        counts = rumours[(rumours["club"] == post.club) & rumours["claim"].isin(JOIN_CLAIMS)
                         ]["subject"].value_counts()
        named = {c: int(counts[c]) for c in post.candidates if c in counts.index}
        question = next(q for q in scenario.spec.questions
                        if q.kind == "successor" and q.club == post.club)
        spec = {c.name: c for c in question.candidates}
        who_features = candidate_features([spec[c] for c in post.candidates], named)
        who = {"model": table["mean"].to_numpy(), "prior only": prior_who,
               "most rumoured": most_rumoured(post.candidates, named, len(who_labels)),
               "uniform": np.full(len(who_labels), 1.0 / len(who_labels))}
        market = next((m for m in inputs.markets if m.club == post.club), None)
        if market is not None:
            # The market prices who, given a change; it borrows the model's chance of none.
            no_change = who["model"][-1]
            who["market"] = np.append((1 - no_change) * market_choice(market, post.candidates),
                                      no_change)
    where_labels, where, where_truth = [], {}, np.zeros(0)
    if post.n_dest:
        # Slots as in the destination table: named clubs, anywhere else, pulled; then in post.
        table = result.destination()
        where_labels = list(table.loc[table["coach"] == post.coach, "outcome"])
        slots = post.destination_states(T)
        where_truth = np.zeros(len(where_labels))
        where_truth[true_states(scenario, i, destination=True)[2]] = 1  # -1: in post, the last
        where = {"model": table.loc[table["coach"] == post.coach, "mean"].to_numpy(),
                 "prior only": np.array([prior[slots == k].sum() for k in range(post.n_dest)]
                                        + [prior[dep == T].sum()]),
                 "uniform": np.full(len(where_labels), 1.0 / len(where_labels))}
    return CaseForecast(
        case=scenario.id, cutoff=scenario.spec.as_of.isoformat(), who_labels=who_labels,
        who=who, who_truth=who_truth, when_labels=[*inputs.grid.labels, AFTER],
        when=when, when_truth=when_truth, diagnostics=result.diagnostics,
        where_labels=where_labels, where=where, where_truth=where_truth, who_features=who_features,
        other_coach="" if other is None else inputs.posts[other].coach, other_when=other_when,
        other_truth=other_truth, case_set=scenario.spec.case_set,
    )


def departure_question(result, prior_states: list, index: int,
                       dep_true: np.ndarray) -> tuple[dict, np.ndarray]:
    """Return the methods' forecasts of the month post ``index``'s coach leaves, and the truth.

    Over the forecast months and "after horizon": the model's, the model's own prior without
    rumours (``prior_states``: :func:`forecast.inference.states.prior_marginals`) and uniform.
    ``dep_true``: the departure months of the post's true states (:func:`true_states`).
    """
    T = result.inputs.T
    post = result.inputs.posts[index]
    truth = np.zeros(T + 1)
    truth[np.unique(dep_true)] = 1
    dep = post.states(T)[0]
    return {"model": result.departure[result.departure["coach"] == post.coach]["mean"].to_numpy(),
            "prior only": np.array([prior_states[index][dep == m].sum() for m in range(T + 1)]),
            "uniform": np.full(T + 1, 1.0 / (T + 1))}, truth


def run_backtest(cases_dir: Path, draws: int = 500, seed: int = 1, cache_dir: Path | None = None,
                 progress=None, workers: int | None = None,
                 scheduler: str | None = None) -> list[CaseForecast]:
    """Forecast every case on Dask, in case order, once all are valid.

    The cases run through :func:`forecast.inference.batch.run_batch`.

    ``workers=0`` runs the cases serially in this process; a ``scheduler`` address (or
    ``$FORECAST_SCHEDULER``) runs them on that cluster. Every case uses ``seed``, so the numbers
    do not depend on where or in what order it runs.
    """
    from functools import partial

    from forecast.inference.batch import run_batch

    paths = check_cases(cases_dir)
    task = partial(forecast_case, draws=draws, seed=seed, cache_dir=cache_dir)
    return run_batch(task, paths, workers=workers, scheduler=scheduler, progress=progress,
                     label=lambda p: p.parent.name)
