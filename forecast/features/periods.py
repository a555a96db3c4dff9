"""The monthly grid a forecast runs on, and how season ends shape the months an appointee moves in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class MonthGrid:
    """Months from the as-of month to the horizon month, inclusive.

    Index ``m`` in ``0..T-1`` is a calendar month; index ``T`` means "after the horizon"
    (the coach is still in post when the forecast window closes).
    """

    start: tuple[int, int]
    end: tuple[int, int]

    @classmethod
    def between(cls, as_of: dt.date, horizon: tuple[int, int]) -> MonthGrid:
        """Build the grid from an as-of date to a horizon (year, month)."""
        return cls((as_of.year, as_of.month), horizon)

    @property
    def months(self) -> list[tuple[int, int]]:
        """Return the (year, month) pairs of the grid."""
        out, (y, m) = [], self.start
        while (y, m) <= self.end:
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    @property
    def size(self) -> int:
        """Return T, the number of months."""
        return len(self.months)

    @property
    def labels(self) -> list[str]:
        """Return month labels ``YYYY-MM``."""
        return [f"{y:04d}-{m:02d}" for y, m in self.months]

    def index(self, when: dt.date | tuple[int, int]) -> int | None:
        """Return the grid index of a date or (year, month); None when outside the grid."""
        key = (when.year, when.month) if isinstance(when, dt.date) else when
        months = self.months
        return months.index(key) if key in months else None

    def window(self, bounds: tuple[tuple[int, int], tuple[int, int]] | None) -> list[int]:
        """Return the grid indices inside inclusive (year, month) bounds (all months if None)."""
        if bounds is None:
            return list(range(self.size))
        lo, hi = bounds
        return [i for i, ym in enumerate(self.months) if lo <= ym <= hi]


def add_months(month: tuple[int, int], n: int) -> tuple[int, int]:
    """Return the (year, month) ``n`` months after ``month``."""
    y, m = month
    return y + (m - 1 + n) // 12, (m - 1 + n) % 12 + 1


def month_end(year: int, month: int) -> dt.date:
    """Return the last day of a month."""
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def lag_matrix(T: int, lag: int, season_end: np.ndarray, horizon: int | None = None) -> np.ndarray:
    """Return the (T+1, T+1) distribution of the month an appointee leaves his post.

    Row ``d`` is the vacancy month (``T``: no vacancy). When a season ends within ``d`` ...
    ``d+lag`` he leaves at the first such season end (named in spring, he sees out his season:
    Ancelotti, named by Brazil in May 2025, left Real Madrid after its last match); otherwise in
    month ``d``, ``d+1``, ... ``d+lag``, each equally likely, a month at or past the ``horizon``
    (default ``T``; less on a grid padded with months no one leaves in) counting as ``T`` (in
    post throughout). ``lag = 0`` is the identity up to the horizon: he leaves the month the
    vacancy opens.
    """
    horizon = T if horizon is None else horizon
    out = np.zeros((T + 1, T + 1))
    for d in range(T):
        ends = [m for m in range(d, min(d + lag + 1, horizon)) if season_end[m]]
        if ends:
            out[d, ends[0]] = 1.0
            continue
        for step in range(lag + 1):
            month = d + step
            out[d, month if month < horizon else T] += 1.0 / (lag + 1)
    out[T, T] = 1.0
    return out


def choice_season_end(lag: int, season_end: np.ndarray) -> np.ndarray:
    """Return, per vacancy month, whether a coach under contract elsewhere can join at a season end.

    Without an appointment ``lag`` that is the vacancy month's own season-end flag; with one, a
    coach named in a month can still see out his season if one ends within the lag (Ancelotti,
    named by Brazil in May 2025, finished Real Madrid's season first).
    """
    T = len(season_end)
    return np.array([max(season_end[d:min(d + lag + 1, T)]) for d in range(T)])
