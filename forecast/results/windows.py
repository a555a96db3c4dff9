"""Months and football windows in words: ``August 2025``, ``summer 2025``, ``2024-25 season``."""

from __future__ import annotations

import datetime as dt

from forecast.dims import AFTER


def month_words(label: str) -> str:
    """Return a month label ``2025-08`` as ``August 2025``."""
    return dt.date(*map(int, label.split("-")), 1).strftime("%B %Y")


def window_of(label: str) -> str:
    """Name the football window of a month label: ``summer 2025`` (May-Aug) or ``2024-25 season``."""
    if label == AFTER:
        return AFTER
    year, month = map(int, label.split("-"))
    if 5 <= month <= 8:
        return f"summer {year}"
    start = year if month >= 9 else year - 1
    return f"{start}-{str(start + 1)[-2:]} season"
