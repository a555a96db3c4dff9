"""Model inputs padded to size buckets, so that scenarios of similar size share one compiled model.

A compiled model depends on its data's shapes and on how posts are linked
(:meth:`forecast.features.arrays.ModelInputs.structure_key`). Padding the months to a multiple
of :data:`MONTH_STEP` and each vacancy's candidates to a multiple of :data:`CANDIDATE_STEP` makes
scenarios that differ by a few months or a candidate the same structure (rumours and sources are
already padded with spare rows by :func:`forecast.features.inputs.build_inputs`).

The padding changes no probability: no one leaves in a padded month (``live`` 0), a spare
candidate is never chosen (``spare_i``), and facts rule out every state that only padding
creates (mask 0), so the log evidence and each real state's probability are those of the
unpadded inputs (``tests/test_padding.py`` checks both). :class:`Padded` maps data, parameter
values and state distributions between the two layouts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from forecast.dims import CANDIDATE, SPARE
from forecast.features.arrays import SPARE_LOGIT, ModelInputs, PostInputs, model_data, round_up
from forecast.features.periods import MonthGrid, add_months

#: Months are padded to a multiple of this.
MONTH_STEP = 4
#: Each vacancy's named candidates are padded to a multiple of this (at least this many).
CANDIDATE_STEP = 2


@dataclasses.dataclass
class Padded:
    """Real inputs, their padded twin, and the maps between the two layouts."""

    real: ModelInputs
    inputs: ModelInputs  # padded
    states: list[np.ndarray]  # per post: the padded index of each real observable state

    def data(self, data: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Return the real layout's arrays (default: the real inputs' own) in the padded layout.

        Any arrays of the real structure may be given, for example with a rumour's weight set
        to 0 or the arrays of another as-of date.
        """
        data = model_data(self.real) if data is None else data
        T, T2 = self.real.T, self.inputs.T
        out = {}
        for name, value in data.items():
            base, _, index = name.rpartition("_")
            i = int(index) if index.isdigit() else None
            if i is None:
                base = name
            K2 = self.inputs.posts[i].n_cand if i is not None else 0
            value = np.asarray(value)
            if base in ("season_end", "live", "expiry", "final_year", "choice_end"):
                value = _pad(value, (T2,))
            elif base == "employed":
                value = _pad(value, (T2, K2))
            elif base in ("cand_form", "appeal_shift", "ties", "buyout"):
                value = _pad(value, (K2,))
            elif base == "spare":
                value = _pad(value, (K2,), SPARE_LOGIT)
            elif base in ("mask", "truth"):
                value = _scatter(value, self.states[i], self.inputs.posts[i].n_obs(T2))
            elif base == "lag":
                value = _pad_lag(value, T, T2)
            out[name] = value
        return out

    def values(self, values: dict) -> dict:
        """Return parameter draws of the real model (first axis: draw) for the padded one.

        A spare candidate's appeal is 0: it never enters a probability.
        """
        real = self.real.coords()[CANDIDATE]
        padded = self.inputs.coords()[CANDIDATE]
        out = dict(values)
        if padded:
            n = np.asarray(next(iter(values.values()))).shape[0]
            appeal = np.zeros((n, len(padded)))
            if real:
                where = [padded.index(c) for c in real]
                appeal[:, where] = np.asarray(values["appeal"], dtype=float)
            out["appeal"] = appeal
        return out

    def marginals(self, marginals: list[np.ndarray]) -> list[np.ndarray]:
        """Return each post's state distributions (last axis: padded states) over its real states."""
        return [m[..., index] for m, index in zip(marginals, self.states, strict=True)]

    def posterior(self, posterior: xr.Dataset) -> xr.Dataset:
        """Return the padded model's draws without the spare candidates' appeals."""
        if CANDIDATE not in posterior.dims:
            return posterior
        real = self.real.coords()[CANDIDATE]
        return posterior.sel({CANDIDATE: real}) if real else posterior.drop_dims(CANDIDATE)


def pad_inputs(inputs: ModelInputs) -> Padded:
    """Pad ``inputs`` to their size bucket; see :mod:`forecast.features.padding`.

    Parameters
    ----------
    inputs : ModelInputs
        From :func:`forecast.features.inputs.build_inputs`.

    Returns
    -------
    Padded
        ``inputs`` as ``real``, the padded twin as ``inputs`` (build and compile the model on
        it), and the maps between their data, parameter draws and state distributions.
    """
    T = inputs.T
    T2 = round_up(T, MONTH_STEP)
    posts, states = [], []
    for post in inputs.posts:
        padded = _pad_post(post, T, T2)
        posts.append(padded)
        states.append(state_index(post, T, padded, T2))
    for post, padded, index in zip(inputs.posts, posts, states, strict=True):
        padded.truth = _scatter(post.truth, index, padded.n_obs(T2))
        padded.mask = _scatter(post.mask, index, padded.n_obs(T2))
        if post.fact_mask is not None:
            padded.fact_mask = _scatter(post.fact_mask, index, padded.n_obs(T2))
    grid = MonthGrid(inputs.grid.start, add_months(inputs.grid.end, T2 - T))
    padded_inputs = dataclasses.replace(
        inputs, grid=grid, season_end=_pad(np.asarray(inputs.season_end, dtype=float), (T2,)),
        posts=posts, horizon=T if inputs.horizon is None else inputs.horizon)
    return Padded(inputs, padded_inputs, states)


def state_index(post: PostInputs, T: int, padded: PostInputs, T2: int) -> np.ndarray:
    """Return the index, among ``padded``'s observable states, of each of ``post``'s states."""
    dep, succ = post.states(T)
    if post.has_successor:
        width, column = padded.n_cand + 1, np.where(succ == post.n_cand, padded.n_cand, succ)
    elif post.n_dest:
        width, column = post.n_dest, post.destination_states(T)
    else:
        width, column = 1, np.zeros(len(dep), dtype=int)
    return np.where(dep == T, T2 * width, dep * width + column)


def _pad_post(post: PostInputs, T: int, T2: int) -> PostInputs:
    """Return ``post`` with months to ``T2`` and spare candidates (truth and mask set later)."""
    extra = dict(expiry=_pad(post.expiry, (T2,)), final_year=_pad(post.final_year, (T2,)))
    if post.has_successor:
        K = post.n_cand
        K2 = round_up(K, CANDIDATE_STEP)
        spare = [f"{SPARE} {j + 1}" for j in range(K2 - K)]
        extra.update(
            candidates=[*post.candidates, *spare], n_spare=len(spare), asks_successor=True,
            employed=_pad(post.employed, (T2, K2)), buyout=_pad(post.buyout, (K2,)),
            ties=_pad(post.ties, (K2,)), cand_form=_pad(post.cand_form, (K2,)),
            appeal_mu=_pad(post.appeal_mu, (K2,)),
            market_shift=_pad(post.market_shift, (K2,)) if len(post.market_shift) else post.market_shift)
    return dataclasses.replace(post, **extra)


def _pad(value: np.ndarray, shape: tuple[int, ...], fill: float = 0.0) -> np.ndarray:
    """Return ``value`` in the top-left corner of an array of ``shape`` filled with ``fill``."""
    value = np.asarray(value, dtype=float)
    out = np.full(shape, fill)
    out[tuple(slice(0, n) for n in value.shape)] = value
    return out


def _scatter(value: np.ndarray, index: np.ndarray, n_obs: int) -> np.ndarray:
    """Return ``value`` (last axis: real states) on the padded states, 0 on the others."""
    value = np.asarray(value, dtype=float)
    out = np.zeros((*value.shape[:-1], n_obs))
    out[..., index] = value
    return out


def _pad_lag(value: np.ndarray, T: int, T2: int) -> np.ndarray:
    """Return a (T+1, T+1) lag matrix on the padded months ("past the horizon" is ``T2``).

    A vacancy in a padded month (which cannot happen) sends the appointee past the horizon,
    as :func:`forecast.features.periods.lag_matrix` does.
    """
    where = [*range(T), T2]
    out = np.zeros((T2 + 1, T2 + 1))
    out[np.ix_(where, where)] = value
    out[T:T2, T2] = 1.0
    return out
