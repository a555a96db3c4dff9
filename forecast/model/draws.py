"""Parameter draws from the priors, without PyMC (a refresh after ``rumour add`` never imports it)."""

from __future__ import annotations

import numpy as np

from forecast.dims import PARAMETERS
from forecast.features.arrays import ModelInputs
from forecast.priors import Prior


def appeal_shift(inputs: ModelInputs) -> np.ndarray:
    """Return each named candidate's appeal centre: the scenario's appeal plus the market's shift."""
    return np.concatenate([p.appeal_centre for p in inputs.posts if p.has_successor] or [[]])


def draw_params(rng: np.random.Generator, priors: dict[str, Prior], inputs: ModelInputs) -> dict:
    """Draw every parameter of :data:`forecast.dims.PARAMETERS` from its prior.

    ``source_z`` is drawn even with no reliability units (an empty vector), so that draws keep
    one structure.
    """
    sizes = {dim: len(labels) for dim, labels in inputs.coords().items()}
    shifts = {"appeal": appeal_shift(inputs)}
    return {name: priors[name].draw(rng, None if dim is None else sizes[dim], shifts.get(name, 0.0))
            for name, dim in PARAMETERS}
