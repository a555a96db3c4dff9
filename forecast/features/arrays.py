"""Model inputs as fixed arrays: one post's and the whole scenario's, and the flat data dict.

:func:`forecast.features.inputs.build_inputs` fills them; the model, the exact outcome
computation and the importance update read them through :func:`model_data`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import xarray as xr

from forecast.dims import CANDIDATE, DESTINATION, MONTH, SOURCE, STRENGTH, STRENGTH_LEVELS, VACANCY, slug
from forecast.features.periods import MonthGrid
from forecast.features.propositions import CodedRumour
from forecast.priors import DISCOUNT, STRENGTH_OFFSET

#: Reports of one claim more than this many days after the first one of their group start a new
#: group: later news is more often new information than an echo.
GROUP_DAYS = 90


@dataclass
class PostInputs:
    """Arrays for one tracked post.

    Observable states ``o`` of the post: for a post with a successor question,
    ``o = d * (K + 1) + s`` for departure month ``d < T`` and successor ``s`` (``K`` = not
    listed), and ``o = T * (K + 1)`` for "still in post after the horizon"; for a post whose
    departure question names ``D`` destinations, ``o = d * n_dest + k`` with ``k`` a named
    destination (``k < D``), anywhere else (``k = D``) or, for an incumbent who is a candidate
    of a tracked vacancy, that vacancy (``k = D + 1``: he was pulled there), and ``o = T * n_dest``
    for "still in post"; otherwise ``o = d``.
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
    appeal_mu: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) from the scenario
    market_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) from odds
    truth: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n_terms, n_obs)
    term_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    term_strength: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    term_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 0: padding
    term_rank: np.ndarray = field(default_factory=lambda: np.zeros(0))  # place among its claim's reports
    term_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # same claim; -1 none
    term_score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # expected reliability logit
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_obs,) 0 where a fact rules out
    children: list[tuple[int, int]] = field(default_factory=list)  # (child post, candidate index)
    caretaker: bool = False  # in charge only until someone is appointed
    appointment_lag: int = 0  # months after the vacancy the appointee may still leave his post
    asks_successor: bool | None = None  # a successor question, named candidates or not; None: K > 0
    destinations: list[str] = field(default_factory=list)  # named clubs he may move to
    pulled_to: str | None = None  # the tracked vacancy whose candidate he is, with destinations

    @property
    def n_cand(self) -> int:
        """Return K, the number of named candidates."""
        return len(self.candidates)

    @property
    def has_successor(self) -> bool:
        """Return True when the scenario asks who succeeds at this post.

        A successor question with no names yet has only "not listed" as its named outcome.
        """
        return self.n_cand > 0 if self.asks_successor is None else self.asks_successor

    @property
    def appeal_centre(self) -> np.ndarray:
        """Return each candidate's prior appeal centre shift: the scenario's plus the market's."""
        market = self.market_shift if len(self.market_shift) else 0.0
        return np.asarray(self.appeal_mu, dtype=float) + market

    @property
    def n_dest(self) -> int:
        """Return the number of destination slots: named, anywhere else, pulled (0: none asked)."""
        if not self.destinations:
            return 0
        return len(self.destinations) + 1 + (self.pulled_to is not None)

    def n_obs(self, T: int) -> int:
        """Return the number of observable states."""
        if self.has_successor:
            return T * (self.n_cand + 1) + 1
        return T * self.n_dest + 1 if self.n_dest else T + 1

    def states(self, T: int) -> tuple[np.ndarray, np.ndarray]:
        """Return departure month and successor index (-1: none) of every observable state."""
        if not self.has_successor:
            dep = np.append(np.repeat(np.arange(T), self.n_dest), T) if self.n_dest else np.arange(T + 1)
            return dep, np.full(len(dep), -1)
        K1 = self.n_cand + 1
        dep = np.append(np.repeat(np.arange(T), K1), T)
        succ = np.append(np.tile(np.arange(K1), T), -1)
        return dep, succ

    def destination_states(self, T: int) -> np.ndarray:
        """Return the destination slot of every observable state (-1: none asked, or in post)."""
        if not self.n_dest:
            return np.full(self.n_obs(T), -1)
        return np.append(np.tile(np.arange(self.n_dest), T), -1)

    def truth_of(self, proposition, T: int) -> np.ndarray:
        """Return the 0/1 truth of ``proposition`` (about this post) in each observable state."""
        return proposition.truth(*self.states(T), self.destination_states(T))


@dataclass
class ModelInputs:
    """Everything :func:`forecast.model.succession.build_model` needs, as plain arrays."""

    as_of: dt.date
    grid: MonthGrid
    season_end: np.ndarray  # (T,)
    posts: list[PostInputs]
    order: list[int]  # post indices, children before parents
    roots: list[int]
    units: list[str]  # sources that carry counted evidence, then spare placeholders
    unit_tier: np.ndarray  # (J,) 0-based tier
    coding: list[CodedRumour]  # how each rumour entered the model
    rumours: pd.DataFrame  # rumours known at the as-of date
    unit_prior: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # learned, mu, sd
    strength_offset: np.ndarray = field(default_factory=lambda: np.asarray(STRENGTH_OFFSET))
    discount: float = DISCOUNT  # weight factor of each further report of one claim
    markets: list = field(default_factory=list)  # forecast.features.market.Market used, by post

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
            tuple(tuple(p.buyout) + tuple(p.ties) for p in self.posts),
            tuple(p.appointment_lag for p in self.posts),
            tuple((tuple(p.destinations), p.pulled_to) for p in self.posts),
        )

    def coords(self) -> dict[str, list[str]]:
        """Return the labels of the succession model's dimensions (:mod:`forecast.dims`)."""
        return {
            CANDIDATE: [f"{p.club}: {c}" for p in self.posts if p.has_successor for c in p.candidates],
            VACANCY: [p.club for p in self.posts if p.has_successor],
            DESTINATION: [f"{p.coach}: {d}" for p in self.posts for d in p.destinations],
            SOURCE: list(self.units),
        }

    def posts_links(self) -> list[tuple[int, int, int]]:
        """Return ``(parent, child, candidate index)`` for every candidate who is an incumbent."""
        return [(i, c, k) for i, p in enumerate(self.posts) for c, k in p.children]


def unit_scores(unit_prior: np.ndarray, unit_tier: np.ndarray, priors: dict) -> np.ndarray:
    """Return each reliability unit's expected logit: learned, else its tier prior's centre.

    ``unit_prior`` and ``unit_tier`` are as in :class:`ModelInputs`; with the strength offsets,
    what orders reports of one claim (:func:`set_ranks`).
    """
    tier_mu = np.array([priors[f"tier{t}"].mu for t in (1, 2, 3, 4)])
    return np.where(unit_prior[:, 0] == 1, unit_prior[:, 1], tier_mu[unit_tier])


def set_ranks(post: PostInputs, props: list, dates: list | None = None,
              scores: list | None = None) -> None:
    """Rank each of a post's reports among the reports of the same claim.

    Reports make the same claim when they assert the same thing (leaves; candidate k joins;
    leaves for destination k) in the same direction, whatever their windows, within
    :data:`GROUP_DAYS` of the first report of the group. Within a group the most reliable
    report (highest ``score``; earliest on ties) has rank 0, the next rank 1, and so on; the
    likelihood weights the report of rank ``k`` by ``discount**k``, so agreeing reports add
    less and less and one report can never switch another off. Without dates every report of
    a claim is in one group; without scores they rank in order.
    """
    cap = post.truth.shape[0]
    post.term_group = np.full(cap, -1)
    post.term_score = np.zeros(cap)
    opened: dict[tuple, list] = {}  # claim -> [(opening date, group number)]
    n_groups = 0
    for j, prop in enumerate(props):
        key = (prop.kind, prop.candidate, prop.destination, prop.negated)
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


def model_data(inputs: ModelInputs) -> dict[str, np.ndarray]:
    """Return the arrays that may change between forecasts of one scenario, by data name.

    Per post ``i``: ``form_i``, ``caretaker_i``, ``expiry_i``, ``final_year_i``, ``mask_i``,
    ``truth_i``, ``unit_i``, ``strength_i``, ``weight_i``, ``rank_i``; for a vacancy also ``employed_i``,
    ``cand_form_i`` and ``appeal_shift_i`` (each candidate's appeal centre); per reliability
    unit ``unit_tier``, ``unit_learned`` (1 when the track record gives its reliability),
    ``unit_mu`` and ``unit_sd`` (that learned logit's mean and sd); and ``strength_offset``
    (weak, medium, strong) and ``discount``, learned from the track record.
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
        data[f"caretaker_{i}"] = np.asarray(float(p.caretaker))
        data[f"mask_{i}"] = np.asarray(p.mask, dtype=float)
        data[f"truth_{i}"] = np.asarray(p.truth, dtype=float)
        data[f"unit_{i}"] = np.asarray(p.term_unit, dtype=int)
        data[f"strength_{i}"] = np.asarray(p.term_strength, dtype=int)
        data[f"weight_{i}"] = np.asarray(p.term_weight, dtype=float)
        data[f"rank_{i}"] = np.asarray(p.term_rank, dtype=float)
        if p.has_successor:
            data[f"employed_{i}"] = np.asarray(p.employed, dtype=float)
            data[f"cand_form_{i}"] = np.asarray(p.cand_form, dtype=float)
            data[f"appeal_shift_{i}"] = p.appeal_centre
    return data


def data_dims(inputs: ModelInputs) -> tuple[dict[str, tuple[str, ...]], dict[str, list]]:
    """Return the labelled dimensions of every array of :func:`model_data`, and their coordinates.

    The arrays keep positional names (``form_0``) inside the model, so that scenarios of one
    shape share one compiled function; saved, each axis is named by what it indexes.
    """
    dims: dict[str, tuple[str, ...]] = {
        "unit_tier": (SOURCE,), "unit_learned": (SOURCE,), "unit_mu": (SOURCE,),
        "unit_sd": (SOURCE,), "strength_offset": (STRENGTH,), "discount": (),
    }
    coords: dict[str, list] = {SOURCE: list(inputs.units), STRENGTH: list(STRENGTH_LEVELS),
                               MONTH: list(inputs.grid.labels)}
    for i, p in enumerate(inputs.posts):
        s = slug(p.club)
        report, state, choice = f"report_{s}", f"state_{s}", f"candidate_{s}"
        dims.update({f"form_{i}": (), f"caretaker_{i}": (), f"expiry_{i}": (MONTH,),
                     f"final_year_{i}": (MONTH,),
                     f"mask_{i}": (state,), f"truth_{i}": (report, state)})
        dims.update({f"{k}_{i}": (report,) for k in ("unit", "strength", "weight", "rank")})
        if p.has_successor:
            dims.update({f"employed_{i}": (MONTH, choice), f"cand_form_{i}": (choice,),
                         f"appeal_shift_{i}": (choice,)})
            coords[choice] = list(p.candidates)
    return dims, coords


def constant_data(inputs: ModelInputs, data: dict[str, np.ndarray] | None = None) -> xr.Dataset:
    """Return the model's data arrays (``data``, default :func:`model_data`) as a labelled Dataset."""
    dims, coords = data_dims(inputs)
    data = model_data(inputs) if data is None else data
    used = {d for name in data for d in dims[name]}
    return xr.Dataset({name: xr.DataArray(value, dims=dims[name]) for name, value in data.items()},
                      coords={d: v for d, v in coords.items() if d in used})
