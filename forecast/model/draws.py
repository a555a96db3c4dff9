"""Parameter draws from the priors, without PyMC (a refresh after ``rumour add`` never imports it)."""

from __future__ import annotations

import zlib

import numpy as np

from forecast.dims import PARAMETERS
from forecast.features.arrays import ModelInputs
from forecast.priors import Prior


def appeal_shift(inputs: ModelInputs) -> np.ndarray:
    """Return each named candidate's appeal centre: the scenario's appeal plus the market's shift."""
    return np.concatenate([p.appeal_centre for p in inputs.posts if p.has_successor] or [[]])


def _layout(inputs: ModelInputs) -> tuple[dict, dict]:
    """Return each dimension's size and each parameter's centre shift (the candidates' appeal)."""
    return ({dim: len(labels) for dim, labels in inputs.coords().items()},
            {"appeal": appeal_shift(inputs)})


def draw_params(rng: np.random.Generator, priors: dict[str, Prior], inputs: ModelInputs) -> dict:
    """Draw every parameter of :data:`forecast.dims.PARAMETERS` from its prior.

    ``source_z`` is drawn even with no reliability units (an empty vector), so that draws keep
    one structure.
    """
    sizes, shifts = _layout(inputs)
    return {name: priors[name].draw(rng, None if dim is None else sizes[dim], shifts.get(name, 0.0))
            for name, dim in PARAMETERS}


def prior_draws(priors: dict[str, Prior], inputs: ModelInputs, draws: int, seed: int) -> dict:
    """Draw ``draws`` values of every parameter from its prior, each from a stream of its own.

    The streams are seeded by ``seed`` and the parameter's name, so a parameter's draws do not
    depend on how many values the others take: a scenario file that also holds reports dated
    after the as-of date (more reliability units, a longer ``source_z``) gives every other
    parameter the same draws as one without them. Arrays have the draw as first axis.
    """
    sizes, shifts = _layout(inputs)
    out = {}
    for name, dim in PARAMETERS:
        rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
        size = draws if dim is None else (draws, sizes[dim])
        out[name] = priors[name].draw(rng, size, shifts.get(name, 0.0))
    return out
