r"""Source reliability learned from a track record of resolved claims.

Claims of the same thing (same coach, club and direction, the same outcome, made within
:data:`forecast.features.ranks.GROUP_DAYS` of the first) form an event. An event whose claims came from
sources :math:`j_r` at strengths :math:`g_r`, ranked most reliable first, came true with
probability

.. math:: \operatorname{logit} P(\text{true}) = \beta_k
          + \sum_r \delta^{r} \log\bigl(1 + 2 e^{\psi_{j_r} + \kappa_{g_r} + \lambda s_r}\bigr),

which is Bayes' rule for the succession model's report channel: a source asserts the truth with
probability :math:`\rho = \tfrac12 + \tfrac12\sigma(\psi + \kappa + \lambda s)`, with :math:`s` 1 for a
claim about the next weeks (:func:`forecast.data.readings.is_soon`; such claims came true far more
often), so a report multiplies the odds of its proposition by
:math:`\rho/(1-\rho) = 1 + 2e^{\psi+\kappa+\lambda s}`, each further report of
the same event counts with the weight :math:`\delta^r` (the discount the succession model uses,
learned here from how often events several outlets reported came true), and :math:`\beta_k` is
the log-odds such a proposition has before anyone reports it (in a scenario, a report whose
proposition's prior is not that base rate counts for more or less:
:mod:`forecast.features.surprise`). Sources are partially pooled:

.. math:: \psi_j = \mu_{tier(j)} + a_{kind(j)} + c_{country(j)} + \sigma z_j,

so a source with three claims borrows from its tier, kind and country, and one with fifty speaks
for itself. Only claims resolved before the as-of date are used. The posterior of each
:math:`\psi_j` (or, for a source with no resolved claim, the prediction for a new member of its
groups) becomes the succession model's prior for that source: a cut, so a scenario's own
unresolved rumours do not teach the model that their sources are reliable.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytensor.tensor as pt

from forecast.data.readings import is_soon, read_strength
from forecast.data.schemas import CLAIM_KINDS, SOURCE_KINDS, STRENGTHS
from forecast.features.ranks import GROUP_DAYS
from forecast.priors import RELIABILITY_PRIORS, STRENGTH_OFFSET, Prior, resolve_priors

if TYPE_CHECKING:
    import pymc as pm


@dataclass
class TrackInputs:
    """Claims and the sources they come from, as arrays."""

    sources: pd.DataFrame  # name, kind, country, tier of every source with a claim in the file
    others: pd.DataFrame  # the same of every other source (predicted after the fit)
    claims: pd.DataFrame  # the resolved claims used
    source_idx: np.ndarray
    kind_idx: np.ndarray
    strength_idx: np.ndarray
    came_true: np.ndarray
    countries: list[str]
    used: np.ndarray  # 1 for claims resolved before the as-of date
    claim_event: np.ndarray  # event index of each claim
    claim_rank: np.ndarray  # rank of each claim in its event, most reliable first
    claim_soon: np.ndarray  # 1 for a claim about the next weeks
    event_kind_idx: np.ndarray  # claim kind of each event's top-ranked claim
    event_came_true: np.ndarray
    event_used: np.ndarray  # 1 for events resolved before the as-of date
    event_top: np.ndarray  # each event's top-ranked claim


def read_claims(claims: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Return each claim's strength index and within-weeks flag (1: about the next weeks).

    Read as :func:`forecast.data.readings.read_strength` and :func:`forecast.data.readings.is_soon`
    read them, for rumours and track-record claims alike.
    """
    strength = [read_strength(c, s) for c, s in zip(claims["claim"], claims["strength"], strict=True)]
    soon = [is_soon(d, w) for d, w in zip(claims["claim_date"], claims["window"], strict=True)]
    return np.array([STRENGTHS.index(s) for s in strength], dtype=int), np.array(soon, dtype=float)


def unit_of(row, journalists: set[str], alias: dict[str, str]) -> str:
    """Return the reliability unit of a claim: its journalist if known as a source, else its outlet."""
    if row.journalist and row.journalist.lower() in alias and alias[row.journalist.lower()] in journalists:
        return alias[row.journalist.lower()]
    return alias.get(row.source.lower(), row.source)


def track_inputs(track: pd.DataFrame, sources: pd.DataFrame, as_of: dt.date,
                 alias: dict[str, str]) -> TrackInputs:
    """Index every claim (echoes aside); ``used`` marks those resolved before ``as_of``.

    All claims keep their place whatever the date, so the compiled model is the same for every
    as-of date and only the mask changes. Only sources with a claim in the file (whatever its
    date) and their countries get parameters: a source listed for a scenario's rumours alone
    adds nothing for the claims to learn, and a parameter for it would change every other
    source's draws (:func:`forecast.model.track_posterior.new_source_logits` predicts its
    reliability after the fit).
    """
    claims = track[track["echo_of"].isna()].copy().reset_index(drop=True)
    journalists = set(sources.loc[sources["kind"] == "journalist", "name"])
    claims["unit"] = [unit_of(r, journalists, alias) for r in claims.itertuples()]
    listed = sources[["name", "kind", "country", "tier"]]
    with_claims = listed["name"].isin(set(claims["unit"]))
    table = listed[with_claims].reset_index(drop=True)
    index = {n: i for i, n in enumerate(table["name"])}
    countries = sorted(table["country"].unique())
    source_idx = np.array([index[u] for u in claims["unit"]], dtype=int)
    strength_idx, soon = read_claims(claims)
    kind_idx = np.array([CLAIM_KINDS.index(c) for c in claims["claim"]], dtype=int)
    came_true = claims["came_true"].to_numpy(dtype=int)
    used = (claims["resolution_date"] < as_of).to_numpy(dtype=float)
    # Expected reliability logit before learning (tier centre plus strength): ranks an event's claims.
    tier_mu = {t: p.mu for t in (1, 2, 3, 4) for p in [resolve_priors()[f"tier{t}"]]}
    score = (table["tier"].map(tier_mu).to_numpy()[source_idx]
             + np.asarray(STRENGTH_OFFSET)[strength_idx])
    event, rank, events = events_of(claims, score)
    return TrackInputs(
        sources=table, others=listed[~with_claims].reset_index(drop=True), claims=claims,
        source_idx=source_idx, kind_idx=kind_idx,
        strength_idx=strength_idx, came_true=came_true, countries=countries, used=used,
        claim_event=event, claim_rank=rank, claim_soon=soon,
        event_kind_idx=np.array([kind_idx[j] for j in events], dtype=int),
        event_came_true=came_true[events], event_used=used[events], event_top=events,
    )


def events_of(claims: pd.DataFrame, score: np.ndarray):
    """Group claims into events and rank each event's claims by ``score``, highest first.

    Returns each claim's event index and rank, and each event's top-ranked claim.
    """
    negative = claims["claim"].isin(["stays", "denial"])
    keys = list(zip(claims["subject"], claims["club"], negative, claims["came_true"],
                    claims["resolution_date"], strict=True))
    order = np.argsort(claims["claim_date"].to_numpy(), kind="stable")
    opened: dict[tuple, list] = {}  # key -> [(opening date, [claims])]
    groups = []
    for j in order:
        runs = opened.setdefault(keys[j], [])
        date = claims["claim_date"].iloc[j]
        if not runs or (date - runs[-1][0]).days > GROUP_DAYS:
            runs.append((date, []))
            groups.append(runs[-1][1])
        runs[-1][1].append(j)
    event = np.zeros(len(claims), dtype=int)
    rank = np.zeros(len(claims))
    top = []
    for e, members in enumerate(groups):
        ranked = sorted(members, key=lambda j: -score[j])
        top.append(ranked[0])
        for r, j in enumerate(ranked):
            event[j], rank[j] = e, r
    return event, rank, np.array(top, dtype=int)


def build_reliability_model(inputs: TrackInputs, priors: dict[str, Prior],
                            learn_sources: bool = True) -> pm.Model:
    """Build the track-record model; ``learn_sources=False`` is the tier-prior-only baseline."""
    import pymc as pm  # here, not at the top: a forecast that reuses a cached fit never needs PyMC
    src = inputs.sources
    tier_idx = src["tier"].to_numpy(dtype=int) - 1
    kind_idx = np.array([SOURCE_KINDS.index(k) for k in src["kind"]])
    country_idx = np.array([inputs.countries.index(c) for c in src["country"]])
    rp = {p.name: p for p in RELIABILITY_PRIORS}
    coords = {"source": list(src["name"]), "claim_kind": list(CLAIM_KINDS),
              "source_kind": list(SOURCE_KINDS), "country": inputs.countries, "tier": [1, 2, 3, 4]}
    with pm.Model(coords=coords) as model:
        # Every array is data with a static shape, none a constant: the graph stays small and
        # identical across as-of dates and processes, so its compiled form is reused
        # (forecast.inference.compiled). Constants here made numba's compile exhaust memory.
        data = {name: pm.Data(name, value, shape=np.shape(value)) for name, value in {
            "tier_idx": tier_idx, "source_kind_idx": kind_idx, "country_idx": country_idx,
            "claim_source_idx": inputs.source_idx, "claim_strength_idx": inputs.strength_idx,
            "claim_event": inputs.claim_event, "claim_rank": inputs.claim_rank,
            "claim_soon": inputs.claim_soon,
            "event_kind_idx": inputs.event_kind_idx, "event_came_true": inputs.event_came_true,
            "event_used": inputs.event_used,
        }.items()}
        base = rp["base_rate"].create(dims="claim_kind")
        offset = pm.math.stack([rp["strength_weak"].create(), 0.0, rp["strength_strong"].create()])
        discount = pm.Deterministic("discount", pm.math.sigmoid(rp["discount_logit"].create()))
        soon = rp["soon"].create()
        if learn_sources:
            mu = pm.Normal("tier_mean", [priors[f"tier{t}"].mu for t in (1, 2, 3, 4)],
                           [priors[f"tier{t}"].sigma for t in (1, 2, 3, 4)], dims="tier")
            kind_sd = rp["kind_sd"].create()
            country_sd = rp["country_sd"].create()
            source_sd = priors["source_sd"].create()
            kind = pm.Normal("kind_z", 0, 1, dims="source_kind") * kind_sd
            country = pm.Normal("country_z", 0, 1, dims="country") * country_sd
            z = priors["source_z"].create(dims="source")
            psi = pm.Deterministic("psi", mu[data["tier_idx"]] + kind[data["source_kind_idx"]]
                                   + country[data["country_idx"]] + source_sd * z, dims="source")
        else:
            psi = pm.Data("psi", np.array([priors[f"tier{t}"].mu for t in tier_idx + 1]),
                          dims="source", shape=(len(src),))
        x = psi[data["claim_source_idx"]] + offset[data["claim_strength_idx"]] + soon * data["claim_soon"]
        log_lr = pt.log1p(2 * pt.exp(x)) * discount ** data["claim_rank"]
        n_events = len(inputs.event_came_true)
        logit = base[data["event_kind_idx"]] + pt.inc_subtensor(
            pt.zeros(n_events)[data["claim_event"]], log_lr)
        y = data["event_came_true"]
        # Bernoulli log-likelihood of the events resolved before the as-of date only.
        loglik = y * -pt.softplus(-logit) + (1 - y) * -pt.softplus(logit)
        pm.Potential("claims", pt.sum(data["event_used"] * loglik))
    return model
