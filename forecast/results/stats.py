"""Posterior summaries of a probability: mean and 90% interval."""

from __future__ import annotations

import numpy as np

INTERVAL = (0.05, 0.95)


def interval_stats(draws: np.ndarray) -> tuple[float, float, float]:
    """Return the mean and the 90% interval of a probability's draws."""
    # Probabilities, summed in floating point: a -1e-17 is a 0 (never printed as "-0%").
    flat = np.clip(draws.reshape(-1), 0.0, 1.0)
    lo, hi = np.quantile(flat, INTERVAL)
    return float(flat.mean()), float(lo), float(hi)
