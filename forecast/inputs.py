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
from forecast.priors import DISCOUNT, STRENGTH_OFFSET, resolve_priors
from forecast.scenario import Scenario

NOT_LISTED = "not listed"
SPARE = "(spare)"  # placeholder reliability units that keep shapes fixed when sources are added
STRENGTH_LEVELS = ("weak", "medium", "strong")
#: Reports of one claim more than this many days after the first one of their group start a new
#: group: later news is more often new information than an echo.
GROUP_DAYS = 90


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
    term_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 0: padding
    term_rank: np.ndarray = field(default_factory=lambda: np.zeros(0))  # place among its claim's reports
    term_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # same claim; -1 none
    term_score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # expected reliability logit
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
    units: list[str]  # sources that carry counted evidence, then spare placeholders
    unit_tier: np.ndarray  # (J,) 0-based tier
    evidence: list[EvidenceItem]
    rumours: pd.DataFrame  # rumours known at the as-of date
    unit_prior: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # learned, mu, sd
    strength_offset: np.ndarray = field(default_factory=lambda: np.asarray(STRENGTH_OFFSET))
    discount: float = DISCOUNT  # weight factor of each further report of one claim

    @property
    def T(self) -> int:
        """Return the number of months."""
        return self.grid.size

    def structure_key(self) -> tuple:
        """Return what compiled functions of these inputs depend on besides their data values."""
        return (
            tuple((k, v.shape) for k, v in model_data(self).items()),
            tuple(self.grid.labels), tuple(float(x) for x in self.season_end),
            tuple(self.posts_links()), tuple(tuple(p.candidates) for p in self.posts),
            tuple(tuple(p.buyout) + tuple(p.ties) + tuple(p.appeal_mu) for p in self.posts),
        )

    def posts_links(self) -> list[tuple[int, int, int]]:
        """Return ``(parent, child, candidate index)`` for every candidate who is an incumbent."""
        return [(i, c, k) for i, p in enumerate(self.posts) for c, k in p.children]


@dataclass
class EvidenceContext:
    """Names the evidence mapping needs: which post each coach and club belongs to."""

    clubs: list[str]
    post_of_incumbent: dict[str, int]
    successor_post: dict[str, int]
    candidates: dict[int, list[str]]
    source_alias: dict[str, str]
    journalists: set[str]
    season_end_months: tuple[int, ...] = ()

    def unit_for(self, source: str, journalist: str | None) -> str:
        """Return the reliability unit: the named journalist if known as a source, else the outlet."""
        if journalist and journalist.lower() in self.source_alias:
            name = self.source_alias[journalist.lower()]
            if name in self.journalists:
                return name
        return self.source_alias.get(source.lower(), source)


def build_inputs(scenario: Scenario, as_of: dt.date | None = None, reliability=None) -> ModelInputs:
    """Cut a scenario at ``as_of`` and build the model's arrays.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    as_of : date, optional
        Forecast date; default the scenario's own. Nothing dated after it is used.
    reliability : forecast.reliability.ReliabilityFit, optional
        Learned source reliabilities (from claims resolved before ``as_of``); sources without
        one keep their tier prior.
    """
    spec = scenario.spec
    as_of = as_of or spec.as_of
    # The question's window is fixed by the scenario (its as-of month to its horizon); another
    # as-of date only changes what is known. Before the window opens, the forecast is for the
    # window, given the coaches are still in post when it opens.
    grid = MonthGrid.between(spec.as_of, spec.horizon_month)
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

    names_of = club_spellings(scenario)
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

    journalists = set(scenario.sources.loc[scenario.sources["kind"] == "journalist", "name"])
    ctx = EvidenceContext(
        clubs=[p.club for p in posts],
        post_of_incumbent=index_of_coach,
        successor_post={p.club: i for i, p in enumerate(posts) if p.has_successor},
        candidates={i: p.candidates for i, p in enumerate(posts)},
        source_alias=scenario.source_names(),
        journalists=journalists,
        season_end_months=tuple(spec.season_end_months),
    )
    rumours, evidence = _classify(scenario, ctx, grid, as_of)
    counted = [e for e in evidence if e.status == "counted"]
    # Shapes come from every rumour in the file (at its latest date) plus spare room, so one
    # compiled model serves every as-of date and a few added rumours.
    latest = max([as_of, *scenario.rumours["date"]])
    everything = [e for e in _classify(scenario, ctx, grid, latest)[1] if e.status == "counted"]
    units = sorted({e.unit for e in everything} | {e.unit for e in counted})
    units += [f"{SPARE} {j + 1}" for j in range(_round_up(len(units) + 2, 4) - len(units))]
    tier_of = dict(zip(scenario.sources["name"], scenario.sources["tier"], strict=True))
    unit_tier = np.array([tier_of.get(u, 4) - 1 for u in units], dtype=int)
    unit_prior = np.zeros((len(units), 3))
    unit_prior[:, 2] = 1.0
    for j, unit in enumerate(units):
        learned = reliability.unit_prior(unit) if reliability is not None else None
        if learned is not None:
            unit_prior[j] = (1.0, *learned)
    offsets, discount = (reliability.evidence_weights() if reliability is not None
                         else (np.asarray(STRENGTH_OFFSET), DISCOUNT))
    priors = resolve_priors(spec.priors, str(scenario.path))
    # Expected reliability logit of each unit: what orders reports of one claim.
    unit_score = np.where(unit_prior[:, 0] == 1, unit_prior[:, 1],
                          [priors[f"tier{t + 1}"].mu for t in unit_tier])

    for i, p in enumerate(posts):
        dep, succ = p.states(T)
        mine = [e for e in counted if e.proposition.post == i]
        cap = _round_up(sum(e.proposition.post == i for e in everything) + 4, 8)
        p.truth = np.zeros((cap, p.n_obs(T)))
        p.term_unit = np.zeros(cap, dtype=int)
        p.term_strength = np.zeros(cap, dtype=int)
        p.term_weight = np.zeros(cap)
        for j, e in enumerate(mine):
            p.truth[j] = e.proposition.truth(dep, succ)
            p.term_unit[j] = units.index(e.unit)
            p.term_strength[j] = STRENGTH_LEVELS.index(e.strength)
            p.term_weight[j] = 1.0
        set_ranks(p, [e.proposition for e in mine], [e.date for e in mine],
                  [unit_score[p.term_unit[j]] + offsets[p.term_strength[j]] for j in range(len(mine))])
        p.mask = np.ones(p.n_obs(T))

    _apply_facts(scenario, facts, posts, grid, index_of_club, as_of)
    order, roots = _tree_order(posts)
    return ModelInputs(as_of, grid, season_end, posts, order, roots, units, unit_tier, evidence,
                       rumours, unit_prior, np.asarray(offsets, dtype=float), float(discount))


def check_model_inputs(scenario: Scenario, as_of: dt.date | None = None) -> ModelInputs:
    """Run every check a fit makes before sampling: prior overrides and the model's inputs.

    ``forecast validate`` calls it so that it refuses whatever ``forecast run`` would refuse,
    and ``forecast run`` calls it before the (slow) reliability fit.

    Raises
    ------
    DataValidationError
        For an unknown prior, or facts that contradict each other or the scenario's months.
    """
    resolve_priors(scenario.spec.priors, str(scenario.path))
    return build_inputs(scenario, as_of)


def set_ranks(post: PostInputs, props: list, dates: list | None = None,
              scores: list | None = None) -> None:
    """Rank each of a post's reports among the reports of the same claim.

    Reports make the same claim when they assert the same thing (leaves; or candidate k joins)
    in the same direction, whatever their windows, within :data:`GROUP_DAYS` of the first report
    of the group. Within a group the most reliable report (highest ``score``; earliest on ties)
    has rank 0, the next rank 1, and so on; the likelihood weights the report of rank ``k`` by
    ``discount**k``, so agreeing reports add less and less and one report can never switch
    another off. Without dates every report of a claim is in one group; without scores they
    rank in order.
    """
    cap = post.truth.shape[0]
    post.term_group = np.full(cap, -1)
    post.term_score = np.zeros(cap)
    opened: dict[tuple, list] = {}  # claim -> [(opening date, group number)]
    n_groups = 0
    for j, prop in enumerate(props):
        key = (prop.kind, prop.candidate, prop.negated)
        date = dates[j] if dates is not None else None
        groups = opened.setdefault(key, [])
        if not groups or (date is not None and (date - groups[-1][0]).days > GROUP_DAYS):
            groups.append((date, n_groups))
            n_groups += 1
        post.term_group[j] = groups[-1][1]
        post.term_score[j] = scores[j] if scores is not None else -j
    post.term_rank = term_ranks(post.term_group, post.term_score, post.term_weight)


def term_ranks(group: np.ndarray, score: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return each counted term's rank in its group by score (0: highest; ties: earlier first).

    Terms with weight 0 (padding, or a report left out) take no rank, so leaving out a group's
    strongest report moves the next one up, as if it had never been made.
    """
    ranks = np.zeros(len(group))
    for g in np.unique(group[(group >= 0) & (weight > 0)]):
        members = np.flatnonzero((group == g) & (weight > 0))
        order = members[np.argsort(-score[members], kind="stable")]
        ranks[order] = np.arange(len(order))
    return ranks


def _round_up(n: int, step: int) -> int:
    return max(step, -(-n // step) * step)


def _classify(scenario: Scenario, ctx: EvidenceContext, grid: MonthGrid, as_of: dt.date):
    rumours = scenario.active_rumours()
    rumours = rumours[rumours["date"] <= as_of]
    rumours = rumours.sort_values(["date", "line"], kind="stable")
    return rumours, classify_rumours(rumours, ctx, grid)


def model_data(inputs: ModelInputs) -> dict[str, np.ndarray]:
    """Return the arrays that may change between forecasts of one scenario, by data name.

    Per post ``i``: ``form_i``, ``expiry_i``, ``final_year_i``, ``mask_i``, ``truth_i``,
    ``unit_i``, ``strength_i``, ``weight_i``, ``rank_i``; for a vacancy also ``employed_i`` and
    ``cand_form_i``; per reliability unit ``unit_tier``, ``unit_learned`` (1 when the track
    record gives its reliability), ``unit_mu`` and ``unit_sd`` (that learned logit's mean and
    sd); and ``strength_offset`` (weak, medium, strong) and ``discount``, learned from the
    track record.
    Their shapes depend only on the scenario's structure.
    """
    data: dict[str, np.ndarray] = {
        "unit_tier": np.asarray(inputs.unit_tier, dtype=int),
        "unit_learned": np.asarray(inputs.unit_prior[:, 0], dtype=float),
        "unit_mu": np.asarray(inputs.unit_prior[:, 1], dtype=float),
        "unit_sd": np.asarray(inputs.unit_prior[:, 2], dtype=float),
        "strength_offset": np.asarray(inputs.strength_offset, dtype=float),
        "discount": np.asarray(inputs.discount, dtype=float),
    }
    for i, p in enumerate(inputs.posts):
        data[f"form_{i}"] = np.asarray(p.form, dtype=float)
        data[f"expiry_{i}"] = np.asarray(p.expiry, dtype=float)
        data[f"final_year_{i}"] = np.asarray(p.final_year, dtype=float)
        data[f"mask_{i}"] = np.asarray(p.mask, dtype=float)
        data[f"truth_{i}"] = np.asarray(p.truth, dtype=float)
        data[f"unit_{i}"] = np.asarray(p.term_unit, dtype=int)
        data[f"strength_{i}"] = np.asarray(p.term_strength, dtype=int)
        data[f"weight_{i}"] = np.asarray(p.term_weight, dtype=float)
        data[f"rank_{i}"] = np.asarray(p.term_rank, dtype=float)
        if p.has_successor:
            data[f"employed_{i}"] = np.asarray(p.employed, dtype=float)
            data[f"cand_form_{i}"] = np.asarray(p.cand_form, dtype=float)
    return data


def club_spellings(scenario: Scenario):
    """Return a function giving every spelling of a club in the scenario's results tables."""
    table = scenario.team_names

    def names_of(club: str | None) -> set[str]:
        if not club:
            return set()
        return {club} | set(table.loc[table["canonical"] == club, "name"]) if len(table) else {club}

    return names_of


def _apply_facts(scenario, facts, posts, grid, index_of_club, as_of) -> None:
    """Constrain each post's outcome by the official facts known at ``as_of``.

    A tracked coach with no departure fact by ``as_of`` was still in post then (or until the
    month a successor's appointment was announced, if one was); a departure that takes effect
    after the horizon means he stayed throughout; the first non-interim appointment of someone
    else at a vacancy resolves its successor question.
    """
    T = grid.size
    file = str(scenario.files.get("facts", scenario.path))
    now = grid.index(as_of)
    if now is None:
        now = T if as_of > month_end(*grid.months[-1]) else 0
    appointed = {p.club: p.appointed for p in scenario.spec.posts}
    for p in posts:
        dep, succ = p.states(T)
        since = appointed.get(p.club) or dt.date.min
        mine = facts[(facts["club"] == p.club) & (facts["date"] >= since)] if len(facts) else facts
        left = mine[(mine["kind"] == "left") & (mine["coach"] == p.coach)] if len(mine) else mine
        if len(left):
            fact = left.sort_values("date").iloc[0]
            # A departure takes effect on its value date, else at the announcement. One that
            # takes effect before the window opens is pending until the contract ends if that
            # is inside the window (announced early), else the post is vacant when it opens.
            effective = fact.value or fact.date
            if (effective.year, effective.month) < grid.months[0]:
                ends = grid.index(p.contract_end)
                effective = p.contract_end if ends is not None else dt.date(*grid.months[0], 1)
            month = grid.index(effective)
            if month is None:  # takes effect after the horizon: in post throughout the window
                month = T
            p.mask *= dep == month
        hires = mine[(mine["kind"] == "appointed") & (mine["interim"] == 0)
                     & (mine["coach"] != p.coach)] if len(mine) else mine
        if not len(left):
            # Still in post at the as-of date, or at least until a successor's appointment was
            # announced when one was (the incumbent's own exit is often not announced apart).
            first_hire = grid.index(hires["date"].min()) if len(hires) else None
            p.mask *= dep >= (now if first_hire is None else min(now, first_hire))
        if p.has_successor and len(mine):
            if len(hires):
                fact = hires.sort_values("date").iloc[0]
                # A successor is often announced before the incumbent's exit takes effect, so
                # the appointment fixes who, and only that the post falls vacant in the window.
                k = p.candidates.index(fact.coach) if fact.coach in p.candidates else p.n_cand
                p.mask *= (succ == k) & (dep < T)
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
