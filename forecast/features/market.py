r"""Bookmakers' prices on who a club appoints next, as a shift of the successor prior.

A market's decimal prices over-round (their inverse sums to more than 1) and lean towards
long shots. Shin's method (Shin 1993; the ``shin`` package) removes both and gives the market's
probability of each quoted name. The latest snapshot on or before the as-of date is used.

The model reads a market as a prior on the choice among candidates, given a vacancy (the
question a "next manager" market settles): candidate :math:`k`'s appeal centre moves by

.. math:: \lambda \, \log \frac{q_k}{q_F / n_F},

where :math:`q_F` is the market's probability of anyone the scenario does not price as a
candidate (quoted names that are not candidates, and everyone unquoted; at least the longest
quoted price's probability) and :math:`n_F` counts the field's slots in the model (each
candidate the market does not quote, and :math:`K` for "not listed"). With :math:`\lambda = 1`
and every other choice term at zero the model's choice reproduces the market exactly; the weight
:math:`\lambda` (:data:`forecast.priors.MARKET_WEIGHT`) tempers it, because prices already
reflect the reports the model counts as rumours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.priors import MARKET_WEIGHT

#: A snapshot older than this at the as-of date priced another situation (before a sacking, a
#: U-turn, a new name) and is not used.
MAX_AGE_DAYS = 60


@dataclass(frozen=True)
class Market:
    """One bookmaker's market on one club's next coach, de-vigged.

    Attributes
    ----------
    club, bookmaker, url : str
        What was priced, by whom, and where it was published.
    date : datetime.date
        The day of the prices.
    names : tuple of str
        The quoted names, shortest price first.
    probabilities : tuple of float
        Each name's probability after removing the margin.
    """

    club: str
    date: dt.date
    bookmaker: str
    url: str
    names: tuple[str, ...]
    probabilities: tuple[float, ...]

    def describe(self, top: int = 4) -> str:
        """Return the market in words, its ``top`` names first."""
        pairs = list(zip(self.names, self.probabilities, strict=True))[:top]
        names = ", ".join(f"{n} {q:.0%}" for n, q in pairs)
        return (f"Bookmakers on the next {self.club} coach, given a change ({self.bookmaker}, "
                f"{self.date:%d %B %Y}, margin removed): {names}; the forecast's prior leans on "
                f"these prices with weight {MARKET_WEIGHT:g} (1 would take them at face value).")


def implied_probabilities(prices) -> np.ndarray:
    """Return the market probabilities of decimal ``prices``.

    Shin's method when the prices over-round; when they under-round (a partial book), plain
    inverse prices, which leave the rest to the unquoted names.
    """
    inverse = 1.0 / np.asarray(prices, dtype=float)
    if inverse.sum() <= 1.0:
        return inverse
    import shin

    return np.asarray(shin.calculate_implied_probabilities(list(map(float, prices))), dtype=float)


def latest_market(odds: pd.DataFrame, club: str, as_of: dt.date,
                  incumbent: str | None = None) -> Market | None:
    """Return the latest snapshot of ``club``'s market dated on or before ``as_of``, or None.

    Only snapshots at most :data:`MAX_AGE_DAYS` old count.
    Of several snapshots on that day, the one quoting most names is used. A price on the
    ``incumbent`` (an interim made permanent) is the market's "no change": it is taken out and
    the rest renormalised, which gives the market's view given a change.
    """
    if not len(odds):
        return None
    oldest = as_of - dt.timedelta(days=MAX_AGE_DAYS)
    known = odds[(odds["club"] == club) & (odds["date"] <= as_of) & (odds["date"] >= oldest)]
    if not len(known):
        return None
    day = known[known["date"] == known["date"].max()]
    sizes = day.groupby("snapshot", sort=False).size()
    rows = day[day["snapshot"] == sizes.idxmax()].sort_values("price", kind="stable")
    q = implied_probabilities(rows["price"])
    keep = (rows["name"] != incumbent).to_numpy()
    q = q[keep] / max(1.0 - float(q[~keep].sum()), 1e-9)
    rows = rows[keep]
    if not len(rows):
        return None
    first = rows.iloc[0]
    return Market(club, first.date, first.bookmaker, first.url, tuple(rows["name"]),
                  tuple(float(x) for x in q))


def market_choice(market: Market, candidates: list[str]) -> np.ndarray:
    """Return the market's probability of each candidate, then of "not listed", given a change.

    The field (anyone not quoted as a candidate; at least the longest price's probability) is
    shared by its slots: each unquoted candidate has one, "not listed" ``K``.
    """
    q = dict(zip(market.names, market.probabilities, strict=True))
    field = max(1.0 - sum(q[c] for c in candidates if c in q), min(q.values()))
    per_slot = field / (sum(c not in q for c in candidates) + len(candidates))
    p = np.array([q.get(c, per_slot) for c in candidates] + [len(candidates) * per_slot])
    return p / p.sum()


def market_shift(market: Market, candidates: list[str], weight: float = MARKET_WEIGHT) -> np.ndarray:
    """Return each candidate's appeal shift from ``market`` (0 for those it does not quote)."""
    p = market_choice(market, candidates)
    per_slot = p[-1] / len(candidates)
    quoted = set(market.names)
    return np.array([weight * np.log(p[k] / per_slot) if c in quoted else 0.0
                     for k, c in enumerate(candidates)])
