"""The monthly grid a forecast runs on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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


def month_end(year: int, month: int) -> dt.date:
    """Return the last day of a month."""
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)
