"""Model inputs: a scenario cut at an as-of date, turned into fixed arrays.

Nothing dated after the as-of date reaches the arrays: rumours, facts and results are filtered
here, in one place.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from forecast.data.scenario import Scenario
from forecast.dims import SPARE, STRENGTH_LEVELS
from forecast.errors import DataValidationError, Problem
from forecast.features.arrays import ModelInputs, PostInputs, size_bucket
from forecast.features.facts import apply_facts
from forecast.features.form import club_form
from forecast.features.links import check_links, tree_order
from forecast.features.market import latest_market, market_shift
from forecast.features.periods import MonthGrid, month_end
from forecast.features.propositions import CodingContext, classify_rumours, post_reports
from forecast.features.ranks import set_ranks, unit_scores
from forecast.priors import DISCOUNT, SOON_OFFSET, STRENGTH_OFFSET, TIE_WEIGHTS, resolve_priors


def build_inputs(scenario: Scenario, as_of: dt.date | None = None, reliability=None) -> ModelInputs:
    """Cut a scenario at ``as_of`` and build the model's arrays.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    as_of : date, optional
        Forecast date; default the scenario's own. Nothing dated after it is used.
    reliability : forecast.inference.reliability.ReliabilityFit, optional
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
        form, n = club_form(results, names_of(post.club), as_of)
        end = contract[post.coach]
        expiry = np.array([(y, m) == (end.year, end.month) for y, m in grid.months], dtype=float)
        months_left = np.array([(end.year - y) * 12 + end.month - m for y, m in grid.months])
        final_year = season_end * ((months_left > 0) & (months_left <= 13))
        posts.append(PostInputs(post.club, post.coach, end, [], expiry, final_year, form, n,
                                caretaker=post.caretaker))

    index_of_club = {p.club: i for i, p in enumerate(posts)}
    index_of_coach = {p.coach: i for i, p in enumerate(posts)}
    for q in spec.questions:
        if q.kind == "departure":
            posts[index_of_coach[q.coach]].destinations = list(q.destinations)
    markets = []
    for q in spec.questions:
        if q.kind != "successor":
            continue
        p = posts[index_of_club[q.club]]
        p.asks_successor = True
        p.appointment_lag = q.appointment_months
        p.candidates = [c.name for c in q.candidates]
        K = len(p.candidates)
        p.employed = np.zeros((T, K))
        for k, cand in enumerate(q.candidates):
            end = contract.get(cand.name, cand.contract_end)
            for m, (y, mo) in enumerate(grid.months):
                # Under contract elsewhere: neither free nor on the club's own staff.
                employed = (not cand.free_agent and not cand.own_staff
                            and (end is None or end >= month_end(y, mo)))
                p.employed[m, k] = float(employed)
            if cand.name in index_of_coach:
                p.children.append((index_of_coach[cand.name], k))
                child = posts[index_of_coach[cand.name]]
                child.pulled_to = q.club if child.destinations else None
        p.buyout = np.array([float(c.buyout) for c in q.candidates])
        p.ties = np.array([sum(TIE_WEIGHTS[t] for t in c.ties) for c in q.candidates], dtype=float)
        p.appeal_mu = np.array([c.appeal or 0.0 for c in q.candidates])
        market = latest_market(scenario.odds, q.club, as_of, p.coach)
        p.market_shift = np.zeros(K)
        if market is not None and K:
            p.market_shift = market_shift(market, p.candidates)
            markets.append(market)
        p.cand_form = np.array([
            club_form(results, names_of(c.club), as_of)[0] if c.club else 0.0
            for c in q.candidates
        ])

    journalists = set(scenario.sources.loc[scenario.sources["kind"] == "journalist", "name"])
    ctx = CodingContext(
        clubs=[p.club for p in posts],
        post_of_incumbent=index_of_coach,
        successor_post={p.club: i for i, p in enumerate(posts) if p.has_successor},
        candidates={i: p.candidates for i, p in enumerate(posts)},
        source_alias=scenario.source_names(),
        journalists=journalists,
        season_end_months=tuple(spec.season_end_months),
        appointment_lag={i: p.appointment_lag for i, p in enumerate(posts)},
        destinations={i: p.destinations for i, p in enumerate(posts) if p.destinations},
    )
    rumours, coding = _classify(scenario, ctx, grid, as_of)
    counted = [e for e in coding if e.status == "counted"]
    # Shapes come from every rumour in the file (at its latest date) plus spare room, rounded up
    # to a size bucket, so one compiled model serves every as-of date, a few added rumours and
    # other scenarios of similar size (forecast.features.padding pads months and candidates).
    latest = max([as_of, *scenario.rumours["date"]])
    everything = [e for e in _classify(scenario, ctx, grid, latest)[1] if e.status == "counted"]
    units = sorted({e.unit for e in everything} | {e.unit for e in counted})
    units += [f"{SPARE} {j + 1}" for j in range(size_bucket(len(units) + 2, 16) - len(units))]
    tier_of = dict(zip(scenario.sources["name"], scenario.sources["tier"], strict=True))
    unit_tier = np.array([tier_of.get(u, 4) - 1 for u in units], dtype=int)
    unit_prior = np.zeros((len(units), 3))
    unit_prior[:, 2] = 1.0
    for j, unit in enumerate(units):
        learned = reliability.unit_prior(unit) if reliability is not None else None
        if learned is not None:
            unit_prior[j] = (1.0, *learned)
    offsets, discount, soon = (reliability.report_weights() if reliability is not None
                               else (np.asarray(STRENGTH_OFFSET), DISCOUNT, SOON_OFFSET))
    priors = resolve_priors(spec.priors, str(scenario.path))
    unit_score = unit_scores(unit_prior, unit_tier, priors)

    for i, p in enumerate(posts):
        mine = post_reports(coding, i)
        cap = size_bucket(sum(e.proposition.post == i for e in everything) + 4, 16)
        p.truth = np.zeros((cap, p.n_obs(T)))
        p.term_unit = np.zeros(cap, dtype=int)
        p.term_strength = np.zeros(cap, dtype=int)
        p.term_weight = np.zeros(cap)
        p.term_soon = np.zeros(cap)
        for j, e in enumerate(mine):
            p.truth[j] = p.truth_of(e.proposition, T)
            p.term_unit[j] = units.index(e.unit)
            p.term_strength[j] = STRENGTH_LEVELS.index(e.strength)
            p.term_weight[j] = 1.0
            p.term_soon[j] = float(e.soon)
        set_ranks(p, [e.proposition for e in mine], [e.date for e in mine],
                  [unit_score[p.term_unit[j]] + offsets[p.term_strength[j]] + soon * p.term_soon[j]
                   for j in range(len(mine))])
        p.mask = np.ones(p.n_obs(T))

    apply_facts(scenario, facts, posts, grid, as_of)
    _assume(scenario, coding, posts, T)
    order, roots = tree_order(posts)
    check_links(posts, order, roots, season_end, str(scenario.files.get("facts", scenario.path)),
                assumed=bool(scenario.assumed))
    return ModelInputs(as_of, grid, season_end, posts, order, roots, units, unit_tier, coding,
                       rumours, unit_prior, np.asarray(offsets, dtype=float), float(discount),
                       markets, soon_offset=float(soon))


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


def _classify(scenario: Scenario, ctx: CodingContext, grid: MonthGrid, as_of: dt.date):
    rumours = scenario.active_rumours()
    rumours = rumours[rumours["date"] <= as_of]
    rumours = rumours.sort_values(["date", "line"], kind="stable")
    return rumours, classify_rumours(rumours, ctx, grid)


def club_spellings(scenario: Scenario):
    """Return a function giving every spelling of a club in the scenario's results tables."""
    table = scenario.team_names

    def names_of(club: str | None) -> set[str]:
        if not club:
            return set()
        return {club} | set(table.loc[table["canonical"] == club, "name"]) if len(table) else {club}

    return names_of


def _assume(scenario: Scenario, coding: list, posts: list[PostInputs], T: int) -> None:
    """Rule out the outcomes in which an assumed claim would not hold (or would, if assumed false).

    Raises
    ------
    DataValidationError
        For a rumour whose claim the model does not read, or an assumption that leaves its post
        no possible outcome (it contradicts the facts or another assumption).
    """
    problems = []
    coded = {e.rumour_id: e for e in coding}
    for rid, holds in scenario.assumed.items():
        item = coded.get(rid)
        if item is None or item.proposition is None:
            problems.append(Problem("what-if", None, "rumour",
                                    f"{rid!r} is not a claim the model reads as of {scenario.spec.as_of}"))
            continue
        post = posts[item.proposition.post]
        truth = post.truth_of(item.proposition, T)
        post.fact_mask = post.mask if post.fact_mask is None else post.fact_mask
        post.mask = post.mask * (truth if holds else 1.0 - truth)
        if not post.mask.any():
            problems.append(Problem("what-if", None, "rumour", f"assuming {rid} "
                                    f"{'holds' if holds else 'is false'} leaves {post.club} no "
                                    "possible outcome: it contradicts the facts or another assumption"))
    if problems:
        raise DataValidationError(problems)
