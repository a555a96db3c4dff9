"""Model inputs as fixed arrays: one post's and the whole scenario's, and the flat data dict.

:func:`forecast.features.inputs.build_inputs` fills them; the model, the exact outcome
computation and the importance update read them through :func:`model_data`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecast.dims import (
    CANDIDATE,
    DESTINATION,
    SOURCE,
    VACANCY,
)
from forecast.features.periods import MonthGrid, choice_season_end, lag_matrix
from forecast.features.propositions import CodedRumour
from forecast.priors import DISCOUNT, STRENGTH_OFFSET


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
    ties: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) weighted by TIE_WEIGHTS
    cand_form: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,)
    appeal_mu: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) from the scenario
    market_shift: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (K,) from odds
    truth: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (n_terms, n_obs)
    term_unit: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    term_strength: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    term_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))  # 0: padding
    term_rank: np.ndarray = field(default_factory=lambda: np.zeros(0))  # place among its claim's reports
    term_surprise: np.ndarray | None = None  # forecast.features.surprise; None: 0 for every report
    term_soon: np.ndarray | None = None  # 1 for a report about the next weeks; None: 0 for every report
    term_prior: np.ndarray | None = None  # each report's proposition's probability without rumours
    term_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # same claim; -1 none
    term_score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # expected reliability logit
    mask: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (n_obs,) 0 where a fact rules out
    fact_mask: np.ndarray | None = None  # the mask before a what-if assumption (None: none made)
    children: list[tuple[int, int]] = field(default_factory=list)  # (child post, candidate index)
    caretaker: bool = False  # in charge only until someone is appointed
    appointment_lag: int = 0  # months after the vacancy the appointee may still leave his post
    asks_successor: bool | None = None  # a successor question, named candidates or not; None: K > 0
    destinations: list[str] = field(default_factory=list)  # named clubs he may move to
    pulled_to: str | None = None  # the tracked vacancy whose candidate he is, with destinations
    n_spare: int = 0  # trailing candidates that only pad the shapes (forecast.features.padding)

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
    horizon: int | None = None  # real months; later ones only pad the shapes (None: all T)
    soon_offset: float = 0.0  # reliability offset of a report about the next weeks

    @property
    def T(self) -> int:
        """Return the number of months."""
        return self.grid.size

    @property
    def live(self) -> np.ndarray:
        """Return 1 for each month a coach may leave in, 0 for months that only pad the grid."""
        return (np.arange(self.T) < (self.T if self.horizon is None else self.horizon)).astype(float)

    def structure_key(self) -> tuple:
        """Return what compiled functions of these inputs depend on besides their data values.

        The data's shapes and how posts are linked: months, season ends, candidates' names,
        ties and buy-outs are data, so scenarios of one shape share compiled functions.
        """
        return (
            tuple((k, v.shape) for k, v in model_data(self).items()),
            tuple(self.posts_links()),
            tuple((p.has_successor, len(p.destinations), p.pulled_to is not None,
                   p.appointment_lag > 0) for p in self.posts),
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


#: Added to a spare candidate's choice logit: his probability underflows to exactly 0.
SPARE_LOGIT = -1e4


def round_up(n: int, step: int) -> int:
    """Return the smallest positive multiple of ``step`` that is at least ``n``: a size bucket."""
    return max(step, -(-n // step) * step)


def size_bucket(n: int, smallest: int) -> int:
    """Return the smallest power of two that is at least ``n`` and ``smallest``: a size bucket."""
    return max(smallest, 1 << max(n - 1, 0).bit_length())


def model_data(inputs: ModelInputs) -> dict[str, np.ndarray]:
    """Return the arrays that may change between forecasts of one scenario, by data name.

    Per month ``season_end`` and ``live`` (0: a month that only pads the grid). Per post ``i``:
    ``form_i``, ``caretaker_i``, ``expiry_i``, ``final_year_i``, ``mask_i``, ``truth_i``,
    ``unit_i``, ``strength_i``, ``weight_i``, ``rank_i``, ``surprise_i``, ``soon_i``; ``lag_i``
    (:func:`forecast.features.periods.lag_matrix`) where an appointee may leave later; for a vacancy
    also ``employed_i``, ``cand_form_i``, ``appeal_shift_i`` (each candidate's appeal centre),
    ``ties_i`` (ties to the club, each kind weighted by :data:`forecast.priors.TIE_WEIGHTS`),
    ``buyout_i``, ``spare_i`` (0, or -1e4 for a spare candidate, who is then never chosen),
    ``choice_end_i`` (:func:`forecast.features.periods.choice_season_end`) and ``named_i`` (log of
    the number of named candidates "not listed" stands for); per reliability unit ``unit_tier``,
    ``unit_learned`` (1 when the track record gives its reliability), ``unit_mu`` and ``unit_sd``
    (that learned logit's mean and sd); and ``strength_offset`` (weak, medium, strong), ``discount``
    and ``soon_offset`` (added to the logit of a report about the next weeks, ``soon_i`` 1), learned
    from the track record.
    Their shapes depend only on the scenario's structure.
    """
    data: dict[str, np.ndarray] = {
        "unit_tier": np.asarray(inputs.unit_tier, dtype=int),
        "unit_learned": np.asarray(inputs.unit_prior[:, 0], dtype=float),
        "unit_mu": np.asarray(inputs.unit_prior[:, 1], dtype=float),
        "unit_sd": np.asarray(inputs.unit_prior[:, 2], dtype=float),
        "strength_offset": np.asarray(inputs.strength_offset, dtype=float),
        "discount": np.asarray(inputs.discount, dtype=float),
        "soon_offset": np.asarray(inputs.soon_offset, dtype=float),
        "season_end": np.asarray(inputs.season_end, dtype=float),
        "live": inputs.live,
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
        data[f"surprise_{i}"] = (np.zeros(len(p.term_weight)) if p.term_surprise is None
                                 else np.asarray(p.term_surprise, dtype=float))
        data[f"soon_{i}"] = (np.zeros(len(p.term_weight)) if p.term_soon is None
                             else np.asarray(p.term_soon, dtype=float))
        if p.appointment_lag:
            data[f"lag_{i}"] = lag_matrix(inputs.T, p.appointment_lag, inputs.season_end,
                                          inputs.horizon)
        if p.has_successor:
            data[f"employed_{i}"] = np.asarray(p.employed, dtype=float)
            data[f"cand_form_{i}"] = np.asarray(p.cand_form, dtype=float)
            data[f"appeal_shift_{i}"] = p.appeal_centre
            data[f"ties_{i}"] = np.asarray(p.ties, dtype=float)
            data[f"buyout_{i}"] = np.asarray(p.buyout, dtype=float)
            data[f"spare_{i}"] = np.where(np.arange(p.n_cand) < p.n_cand - p.n_spare, 0.0, SPARE_LOGIT)
            data[f"choice_end_{i}"] = choice_season_end(p.appointment_lag, inputs.season_end)
            data[f"named_{i}"] = np.asarray(np.log(max(p.n_cand - p.n_spare, 1)))
    return data
