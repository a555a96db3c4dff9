"""What a track-record posterior says, in NumPy: the twins of :mod:`forecast.model.track_record`.

Each event's probability of coming true under every draw, the claims check that compares them
with what happened, each claim's predictive log score, and the reliability predicted for a
listed source with no claim in the file.
"""

from __future__ import annotations

import zlib

import numpy as np
import pandas as pd

from forecast.data.schemas import CLAIM_KINDS, SOURCE_KINDS, STRENGTHS
from forecast.model.track_record import TrackInputs, read_claims, unit_of


def _flat(posterior, name: str) -> np.ndarray:
    """Return a posterior variable's draws with chains and draws merged into one first axis."""
    values = posterior[name].values
    return values.reshape(values.shape[0] * values.shape[1], *values.shape[2:])


def _report_offsets(posterior, strength_idx: np.ndarray, soon: np.ndarray) -> np.ndarray:
    """Return each claim's reliability offset per draw, (draws, claims).

    Its strength's offset, plus the offset of a claim about the next weeks where it is one.
    """
    weak = _flat(posterior, "strength_weak")
    by_strength = np.stack([weak, np.zeros_like(weak), _flat(posterior, "strength_strong")], axis=1)
    return by_strength[:, strength_idx] + _flat(posterior, "soon")[:, None] * soon


def group_draws(posterior) -> dict[str, np.ndarray]:
    """Return the draws a new source's prediction reads, flattened: what a stored fit keeps.

    Each tier's mean, each source kind's effect, each fitted country's standardised effect and
    the country and source spreads (:func:`new_source_logits`).
    """
    return {"tier_mean": _flat(posterior, "tier_mean"),
            "kind": _flat(posterior, "kind_z") * _flat(posterior, "kind_sd")[:, None],
            "country_z": _flat(posterior, "country_z"),
            "country_sd": _flat(posterior, "country_sd"), "source_sd": _flat(posterior, "source_sd")}


def new_source_logits(groups: dict[str, np.ndarray], others: pd.DataFrame, countries: list[str],
                      seed: int) -> np.ndarray:
    r"""Return draws of the reliability logit of each source in ``others``, (draws, sources).

    The prediction for a new member of its groups (``groups`` from :func:`group_draws`): its
    tier's mean, its kind's effect, its country's (one of the fitted ``countries``, or else a new
    country's) and a new source's deviation,
    :math:`\psi = \mu_{tier} + a_{kind} + c_{country} + \sigma z`, per posterior draw.
    Each new deviation comes from a generator seeded by ``seed`` and the source's (or country's)
    name, so a source's prediction does not depend on which other sources are listed, and a
    stored fit predicts a source listed after it exactly as a new fit would.
    """
    def normal(name: str) -> np.ndarray:
        return np.random.default_rng([seed, zlib.crc32(name.encode())]).standard_normal(n)

    n = groups["source_sd"].shape[0]
    if not len(others):
        return np.zeros((n, 0))
    tier = groups["tier_mean"][:, others["tier"].to_numpy(dtype=int) - 1]
    kind = groups["kind"][:, [SOURCE_KINDS.index(k) for k in others["kind"]]]
    country = np.stack([groups["country_z"][:, countries.index(c)] if c in countries
                        else normal(f"country {c}") for c in others["country"]], axis=1)
    deviation = np.stack([normal(f"source {name}") for name in others["name"]], axis=1)
    return (tier + kind + groups["country_sd"][:, None] * country
            + groups["source_sd"][:, None] * deviation)


def event_probabilities(posterior, inputs: TrackInputs) -> np.ndarray:
    """Return each event's probability of coming true under every posterior draw, (draws, events).

    The NumPy twin of the model's event likelihood: the base rate of the event's claim kind plus
    the discounted log likelihood ratio of each of its reports.
    """
    x = (_flat(posterior, "psi")[:, inputs.source_idx]
         + _report_offsets(posterior, inputs.strength_idx, inputs.claim_soon))
    log_lr = np.log1p(2 * np.exp(x)) * _flat(posterior, "discount")[:, None] ** inputs.claim_rank
    logit = _flat(posterior, "base_rate")[:, inputs.event_kind_idx]
    np.add.at(logit, (slice(None), inputs.claim_event), log_lr)
    return 1 / (1 + np.exp(-logit))


def claims_check(posterior, inputs: TrackInputs, rng: np.random.Generator) -> pd.DataFrame:
    """Compare how often claims came true with what the fitted model predicts.

    Events resolved before the as-of date are grouped by their top-ranked report's source tier
    and strength, separately by claim kind, and by whether that report is about the next weeks
    (:func:`forecast.data.readings.is_soon`); per group: ``events``, the ``observed`` share
    that came true, the model's ``predicted`` share, and the 90% interval of the share it
    predicts for that many events (outcomes drawn from each posterior draw: a posterior-predictive
    check on the data it learned from).
    """
    p = event_probabilities(posterior, inputs)
    simulated = rng.random(p.shape) < p
    top = inputs.event_top
    tiers = inputs.sources["tier"].to_numpy(dtype=int)[inputs.source_idx[top]]
    keys = pd.DataFrame({"tier": tiers, "claim": np.asarray(CLAIM_KINDS)[inputs.event_kind_idx],
                         "strength": np.asarray(STRENGTHS)[inputs.strength_idx[top]],
                         "soon": inputs.claim_soon[top] == 1})
    rows = []
    used = keys[inputs.event_used == 1]
    groups = [(f"tier {t}, {s}", g) for (t, s), g in used.groupby(["tier", "strength"])]
    groups += [(f"{c} claims", g) for c, g in used.groupby("claim")]
    groups += [("claims within weeks" if soon else "claims about later", g)
               for soon, g in used.groupby("soon")]
    for label, group in groups:
        idx = group.index.to_numpy()
        share = p[:, idx].mean(axis=1)
        lo, hi = np.quantile(simulated[:, idx].mean(axis=1), [0.05, 0.95])
        rows.append({"group": label, "events": len(idx),
                     "observed": float(inputs.event_came_true[idx].mean()),
                     "predicted": float(share.mean()), "lo": float(lo), "hi": float(hi)})
    return pd.DataFrame(rows)


def predictive_log_score(idata, inputs: TrackInputs, claims: pd.DataFrame, alias, priors,
                         learn_sources: bool = True) -> np.ndarray:
    """Return each claim's posterior-predictive log probability of its outcome."""
    post = idata.posterior
    journalists = set(inputs.sources.loc[inputs.sources["kind"] == "journalist", "name"])
    index = {n: i for i, n in enumerate(inputs.sources["name"])}
    units = [index[unit_of(r, journalists, alias)] for r in claims.itertuples()]
    kinds = [CLAIM_KINDS.index(c) for c in claims["claim"]]
    g, soon = read_claims(claims)
    base = post["base_rate"].values.reshape(-1, len(CLAIM_KINDS))[:, kinds]
    if learn_sources:
        psi = post["psi"].values.reshape(-1, len(index))[:, units]
    else:
        tiers = inputs.sources["tier"].to_numpy(dtype=int)
        psi = np.array([priors[f"tier{tiers[u]}"].mu for u in units])[None, :]
    offs = _report_offsets(post, g, soon)
    p = 1 / (1 + np.exp(-(base + np.log1p(2 * np.exp(psi + offs)))))
    y = claims["came_true"].to_numpy(dtype=int)
    probs = np.where(y == 1, p, 1 - p).mean(axis=0)
    return np.log(probs)
