"""The model-health part of the report, as data: what the data taught, prior sensitivity, claims check."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from forecast.dims import PARAMETERS
from forecast.inference.health import (
    GROUPS,
    MIN_WEIGHT_ESS,
    SCALES,
    SURPRISE_FACTORS,
    SURPRISE_GROUP,
    prior_posterior,
    prior_sensitivity,
    surprise_sensitivity,
)
from forecast.model.draws import prior_draws
from forecast.priors import SURPRISE_EXPONENTS
from forecast.results.result import ForecastResult

#: Contraction above which a parameter counts as learned from the data.
LEARNED = 0.1


@dataclass
class HealthContent:
    """Tables and sentences of the model-health section.

    Attributes
    ----------
    parameters : pandas.DataFrame
        Prior and posterior mean and sd of every parameter, and the contraction.
    sensitivity : pandas.DataFrame
        One row per headline, one column per prior group and scale, and per weight of the
        reports' surprise: the change in percentage points (``*`` where the weights are too few
        to trust it).
    claims_check : pandas.DataFrame or None
        Observed against predicted share of claims that came true, per tier, kind and strength.
    notes : list of str
        What the tables say, in words.
    densities : list of tuple
        ``(label, prior draws, posterior draws)`` of the parameters the figure shows.
    """

    parameters: pd.DataFrame
    sensitivity: pd.DataFrame
    claims_check: pd.DataFrame | None
    notes: list[str]
    densities: list[tuple]


def _column(group: str, scale: float) -> str:
    if group == SURPRISE_GROUP:
        return f"surprise exponents x{scale:g}"
    return f"{group}, sd x{scale:g}"


def _sensitivity_table(long: pd.DataFrame) -> pd.DataFrame:
    cells = long.assign(
        column=[_column(g, s) for g, s in zip(long["group"], long["scale"], strict=True)],
        cell=[f"{c:+.1f}" + ("" if ok else "*")
              for c, ok in zip(long["change_pp"], long["trusted"], strict=True)])
    table = cells.pivot(index="metric", columns="column", values="cell")
    order = [_column(g, s) for g in GROUPS for s in SCALES]
    order += [c for c in (_column(SURPRISE_GROUP, f) for f in SURPRISE_FACTORS) if c in table]
    before = long.groupby("metric")["before"].first().map(lambda v: f"{v:.0%}")
    return table[order].assign(now=before).reset_index()[["metric", "now", *order]]


def build_health(result: ForecastResult) -> HealthContent:
    """Compute the model-health content of a fitted result."""
    params = prior_posterior(result)
    long = pd.concat([prior_sensitivity(result), surprise_sensitivity(result)], ignore_index=True)
    notes = []
    learned = params[params["contraction"] > LEARNED]
    notes.append(
        f"The data narrowed {len(learned)} of {len(params)} parameters by more than "
        f"{LEARNED:.0%} of their prior variance"
        + (f" ({', '.join(learned['parameter'])})" if 0 < len(learned) <= 8 else "")
        + "; the others are set by their priors, so the forecast rests on the priors' citations "
          "and on the rumours.")
    if len(long):
        trusted = long[long["trusted"] & (long["group"] != SURPRISE_GROUP)]
        if len(trusted):
            worst = trusted.loc[trusted["change_pp"].abs().idxmax()]
            notes.append(
                f"Largest prior sensitivity: {worst.metric} moves {worst.change_pp:+.1f} points "
                f"when the {worst.group} priors' sd is multiplied by {worst.scale:g}.")
        surprise = long[long["group"] == SURPRISE_GROUP]
        if len(surprise):
            first = surprise[surprise["metric"] == surprise["metric"].iloc[0]]
            chosen = " / ".join(f"{k} {v:g}" for k, v in SURPRISE_EXPONENTS.items())
            notes.append(
                f"Weight of the unexpected (each report's surprise, exponent by strength: {chosen}): "
                f"{first['metric'].iloc[0]} is {first['before'].iloc[0]:.0%} now; "
                + "; ".join(f"{r.after:.0%} with every exponent x{r.scale:g}"
                            for r in first.itertuples()) + ".")
        shaky = long.loc[~long["trusted"], ["group", "scale"]].drop_duplicates()
        if len(shaky):
            notes.append(f"Marked *: fewer than {MIN_WEIGHT_ESS} draws keep weight under "
                         + "; ".join(f"{r.group} x{r.scale:g}" for r in shaky.itertuples())
                         + ", so those numbers need a refit to be trusted.")
    check = None
    if result.reliability is not None and "claims_check" in result.reliability.diagnostics:
        check = pd.DataFrame(result.reliability.diagnostics["claims_check"])
        inside = (check["observed"] >= check["lo"]) & (check["observed"] <= check["hi"])
        events = int(check.loc[check["group"].str.startswith("tier "), "events"].sum())
        notes.append(
            f"Claims check: in {int(inside.sum())} of {len(check)} groups of the track record's "
            f"{events} resolved events (by source tier and strength, by claim kind, and within weeks "
            "or later) the "
            "share that came true lies inside the 90% interval the track-record model predicts "
            "for that many events.")
    return HealthContent(params, _sensitivity_table(long) if len(long) else long, check, notes,
                         densities(result))


def densities(result: ForecastResult, limit: int = 24) -> list[tuple]:
    """Return ``(label, prior draws, posterior draws)`` of the parameters the figure shows.

    Every scalar, then each vacancy's "not listed" and the candidates' appeal, up to ``limit``.
    """
    post = result.idata.posterior
    coords = result.inputs.coords()
    dims = dict(PARAMETERS)
    out = []
    for name, prior in prior_draws(result.priors, result.inputs, 4000, result.settings.seed).items():
        if name == "source_z" or name not in post or not post[name].size:
            continue  # source_z: one per source, the sources section shows their reliability
        values = post[name].values
        flat = values.reshape(values.shape[0] * values.shape[1], -1)
        labels = [name] if dims[name] is None else [f"{name}[{x}]" for x in coords[dims[name]]]
        prior2 = prior.reshape(prior.shape[0], -1)
        out += [(label, prior2[:, j], flat[:, j]) for j, label in enumerate(labels)]
    return out[:limit] if len(out) > limit else out

