"""Model inputs: a scenario cut at an as-of date, turned into fixed arrays.

Nothing dated after the as-of date reaches the arrays: rumours, facts and results are filtered
here, in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.errors import DataValidationError, Problem
from forecast.evidence import EvidenceItem, classify_rumours
from forecast.form import form_against_expectation, team_points
from forecast.periods import MonthGrid, month_end
from forecast.scenario import Scenario

NOT_LISTED = "not listed"
STRENGTH_LEVELS = ("weak", "medium", "strong")


@dataclass
class PostInputs:
    """Arrays for one tracked post.

    Observable states ``o`` of the post: for a post with a successor question,
    ``o = d * (K + 1) + s`` for departure month ``d < T`` and successor ``s`` (``K`` = not
    listed), and ``o = T * (K + 1)`` for "still in post after the horizon"; otherwise ``o = d``.
    """

    club: str
    coach: str
    contract_end: dt.date
    candidates: list[str]  # named candidates; empty without a successor question
    expiry: np.ndarray  # (T,) 1 in the month the contract ends
    final_year: np.ndarray  # (T,) 1 in season-end months within a year before expiry
    form: float
    form_matches: int
    employed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, K)
    buyout: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    ties: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    cand_form: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    appeal_mu: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    truth: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n_terms, n_obs)
    term_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    term_strength: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_obs,) 0 where a fact rules out
    children: list[tuple[int, int]] = field(default_factory=list)  # (child post, candidate index)

    @property
    def n_cand(self) -> int:
        """Return K, the number of named candidates."""
        return len(self.candidates)

    @property
    def has_successor(self) -> bool:
        """Return True when the scenario asks who succeeds at this post."""
        return self.n_cand > 0

    def n_obs(self, T: int) -> int:
        """Return the number of observable states."""
        return T * (self.n_cand + 1) + 1 if self.has_successor else T + 1

    def states(self, T: int) -> tuple[np.ndarray, np.ndarray]:
        """Return departure month and successor index (-1: none) of every observable state."""
        if not self.has_successor:
            return np.arange(T + 1), np.full(T + 1, -1)
        K1 = self.n_cand + 1
        dep = np.append(np.repeat(np.arange(T), K1), T)
        succ = np.append(np.tile(np.arange(K1), T), -1)
        return dep, succ


@dataclass
class ModelInputs:
    """Everything :func:`forecast.model.build_model` needs, as plain arrays."""

    as_of: dt.date
    grid: MonthGrid
    season_end: np.ndarray  # (T,)
    posts: list[PostInputs]
    order: list[int]  # post indices, children before parents
    roots: list[int]
    units: list[str]  # sources (outlets or journalists) that carry counted evidence
    unit_tier: np.ndarray  # (J,) 0-based tier
    evidence: list[EvidenceItem]
    rumours: pd.DataFrame  # rumours known at the as-of date

    @property
    def T(self) -> int:
        """Return the number of months."""
        return self.grid.size


@dataclass
class EvidenceContext:
    """Names the evidence mapping needs: which post each coach and club belongs to."""

    clubs: list[str]
    post_of_incumbent: dict[str, int]
    successor_post: dict[str, int]
    candidates: dict[int, list[str]]
    source_alias: dict[str, str]
    journalists: set[str]

    def unit_for(self, source: str, journalist: str | None) -> str:
        """Return the reliability unit: the named journalist if known as a source, else the outlet."""
        if journalist and journalist.lower() in self.source_alias:
            name = self.source_alias[journalist.lower()]
            if name in self.journalists:
                return name
        return self.source_alias.get(source.lower(), source)


def build_inputs(scenario: Scenario, as_of: dt.date | None = None) -> ModelInputs:
    """Cut a scenario at ``as_of`` and build the model's arrays.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    as_of : date, optional
        Forecast date; default the scenario's own. Nothing dated after it is used.
    """
    spec = scenario.spec
    as_of = as_of or spec.as_of
    # The question's window is fixed by the scenario; a later as-of date only adds information.
    grid = MonthGrid.between(min(as_of, spec.as_of), spec.horizon_month)
    if grid.size == 0:
        raise DataValidationError(
            [Problem(str(scenario.path), None, "horizon", f"horizon is before the as-of date {as_of}")]
        )
    T = grid.size
    season_end = np.array([m in spec.season_end_months for _, m in grid.months], dtype=float)
    facts = scenario.facts[scenario.facts["date"] <= as_of] if len(scenario.facts) else scenario.facts
    results = scenario.results[scenario.results["Date"] <= as_of]

    contract = {p.coach: p.contract_end for p in spec.posts}
    for fact in facts.itertuples():
        if fact.kind == "extended" and fact.coach in contract:
            contract[fact.coach] = fact.value

    names_of = _team_names(scenario)
    posts: list[PostInputs] = []
    for post in spec.posts:
        form, n = form_against_expectation(team_points(results, names_of(post.club), as_of))
        end = contract[post.coach]
        expiry = np.array([(y, m) == (end.year, end.month) for y, m in grid.months], dtype=float)
        months_left = np.array([(end.year - y) * 12 + end.month - m for y, m in grid.months])
        final_year = season_end * ((months_left > 0) & (months_left <= 13))
        posts.append(PostInputs(post.club, post.coach, end, [], expiry, final_year, form, n))

    index_of_club = {p.club: i for i, p in enumerate(posts)}
    index_of_coach = {p.coach: i for i, p in enumerate(posts)}
    for q in spec.questions:
        if q.kind != "successor":
            continue
        p = posts[index_of_club[q.club]]
        p.candidates = [c.name for c in q.candidates]
        K = len(p.candidates)
        p.employed = np.zeros((T, K))
        for k, cand in enumerate(q.candidates):
            end = contract.get(cand.name, cand.contract_end)
            for m, (y, mo) in enumerate(grid.months):
                employed = not cand.free_agent and (end is None or end >= month_end(y, mo))
                p.employed[m, k] = float(employed)
            if cand.name in index_of_coach:
                p.children.append((index_of_coach[cand.name], k))
        p.buyout = np.array([float(c.buyout) for c in q.candidates])
        p.ties = np.array([float(len(c.ties)) for c in q.candidates])
        p.appeal_mu = np.array([c.appeal or 0.0 for c in q.candidates])
        p.cand_form = np.array([
            form_against_expectation(team_points(results, names_of(c.club), as_of))[0]
            if c.club else 0.0
            for c in q.candidates
        ])

    rumours = scenario.rumours
    rumours = rumours[(rumours["date"] <= as_of) & (rumours["status"].fillna("active") == "active")]
    rumours = rumours.sort_values(["date", "line"], kind="stable")
    journalists = set(scenario.sources.loc[scenario.sources["kind"] == "journalist", "name"])
    ctx = EvidenceContext(
        clubs=[p.club for p in posts],
        post_of_incumbent=index_of_coach,
        successor_post={p.club: i for i, p in enumerate(posts) if p.has_successor},
        candidates={i: p.candidates for i, p in enumerate(posts)},
        source_alias=scenario.source_names(),
        journalists=journalists,
    )
    evidence = classify_rumours(rumours, ctx, grid)
    counted = [e for e in evidence if e.status == "counted"]
    units = sorted({e.unit for e in counted})
    tier_of = dict(zip(scenario.sources["name"], scenario.sources["tier"], strict=True))
    unit_tier = np.array([tier_of[u] - 1 for u in units], dtype=int)

    for i, p in enumerate(posts):
        dep, succ = p.states(T)
        mine = [e for e in counted if e.proposition.post == i]
        p.truth = np.array([e.proposition.truth(dep, succ) for e in mine]).reshape(len(mine), p.n_obs(T))
        p.term_unit = np.array([units.index(e.unit) for e in mine], dtype=int)
        p.term_strength = np.array([STRENGTH_LEVELS.index(e.strength) for e in mine], dtype=int)
        p.mask = np.ones(p.n_obs(T))

    _apply_facts(scenario, facts, posts, grid, index_of_club, as_of)
    order, roots = _tree_order(posts)
    return ModelInputs(as_of, grid, season_end, posts, order, roots, units, unit_tier, evidence,
                       rumours)


def _team_names(scenario: Scenario):
    table = scenario.team_names

    def names_of(club: str | None) -> set[str]:
        if not club:
            return set()
        return {club} | set(table.loc[table["canonical"] == club, "name"]) if len(table) else {club}

    return names_of


def _apply_facts(scenario, facts, posts, grid, index_of_club, as_of) -> None:
    """Constrain each post's outcome by the official facts known at ``as_of``.

    A tracked coach with no departure fact by ``as_of`` was still in post then; the first
    non-interim appointment of someone else at a vacancy resolves its successor question.
    """
    T = grid.size
    file = str(scenario.files.get("facts", scenario.path))
    now = grid.index(as_of)
    now = T if now is None and as_of > month_end(*grid.months[-1]) else (now or 0)
    appointed = {p.club: p.appointed for p in scenario.spec.posts}
    for p in posts:
        dep, succ = p.states(T)
        since = appointed.get(p.club) or dt.date.min
        mine = facts[(facts["club"] == p.club) & (facts["date"] >= since)] if len(facts) else facts
        left = mine[(mine["kind"] == "left") & (mine["coach"] == p.coach)] if len(mine) else mine
        if len(left):
            fact = left.sort_values("date").iloc[0]
            month = grid.index(fact.date)
            if month is None:
                raise DataValidationError([Problem(
                    file, int(fact.line), "date",
                    f"{fact.coach} left {fact.club} outside the scenario's months "
                    f"{grid.labels[0]}..{grid.labels[-1]}",
                )])
            p.mask *= dep == month
        else:
            p.mask *= dep >= now
        if p.has_successor and len(mine):
            hires = mine[(mine["kind"] == "appointed") & (mine["interim"] == 0)
                         & (mine["coach"] != p.coach)]
            if len(hires):
                fact = hires.sort_values("date").iloc[0]
                k = p.candidates.index(fact.coach) if fact.coach in p.candidates else p.n_cand
                month = grid.index(fact.date)
                p.mask *= (succ == k) & (dep <= (month if month is not None else T))
        if not p.mask.any():
            raise DataValidationError(
                [Problem(file, None, None, f"the facts about {p.club} contradict each other")]
            )


def _tree_order(posts: list[PostInputs]) -> tuple[list[int], list[int]]:
    parent = {child: i for i, p in enumerate(posts) for child, _ in p.children}
    roots = [i for i in range(len(posts)) if i not in parent]
    order: list[int] = []

    def visit(i):
        for child, _ in posts[i].children:
            visit(child)
        order.append(i)

    for r in roots:
        visit(r)
    return order, roots
