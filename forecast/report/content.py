"""Everything the report says, computed as data first (tested without drawing anything)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import arviz as az
import numpy as np
import pandas as pd

from forecast.dims import SPARE
from forecast.features.facts import describe_fact
from forecast.features.surprise import report_priors
from forecast.inference.influence import (
    INFLUENCE_DRAWS,
    default_metrics,
    fact_influence,
    rumour_influence,
)
from forecast.report.health import HealthContent, build_health
from forecast.results.result import ForecastResult
from forecast.results.windows import window_of
from forecast.version import __version__


@dataclass
class ReportContent:
    """Tables and text of a report; :mod:`forecast.report.render` only lays them out."""

    title: str
    scenario_id: str
    as_of: dt.date
    description: str
    headlines: list[str]
    diagnostics: dict
    successor: pd.DataFrame
    departure: pd.DataFrame
    departure_windows: pd.DataFrame
    joint_windows: pd.DataFrame
    rumours: pd.DataFrame
    sources: pd.DataFrame
    param_summary: pd.DataFrame
    priors: pd.DataFrame
    provenance: dict
    data_sources: list[dict]
    contract_end: dict[str, str] = field(default_factory=dict)
    timeline: pd.DataFrame | None = None
    movers: pd.DataFrame | None = None  # the rumours that moved the first headline most
    health: HealthContent | None = None  # what the data taught, prior sensitivity, claims check
    destination: pd.DataFrame | None = None  # where coaches with named destinations go


def build_content(result: ForecastResult, scenario,
                  influence_draws: int = INFLUENCE_DRAWS) -> ReportContent:
    """Compute the report's content from a fitted result and its scenario."""
    inputs = result.inputs
    spec = scenario.spec
    metrics = default_metrics(result)
    influence = rumour_influence(inputs, result.idata.posterior, metrics, influence_draws)

    reliability = {}
    if "reliability" in result.idata.posterior:
        rel = result.idata.posterior["reliability"]
        for unit in rel["source"].values:
            if str(unit).startswith(SPARE):
                continue
            draws = rel.sel(source=unit).values.reshape(-1)
            reliability[str(unit)] = (float(draws.mean()), *np.quantile(draws, [0.05, 0.95]))

    rumour_rows = []
    by_id = {e.rumour_id: e for e in inputs.coding}
    priors = report_priors(inputs)
    for row in inputs.rumours.itertuples():
        item = by_id[row.id]
        rel = reliability.get(item.unit)
        effects = influence[influence["rumour_id"] == row.id]
        rumour_rows.append({
            "id": row.id, "date": row.date.isoformat(), "source": row.source,
            "journalist": row.journalist or "", "subject": row.subject, "claim": row.claim,
            "club": row.club, "window": row.window or "", "strength": item.strength,
            "status": item.status, "how_it_counts": item.note, "reliability_unit": item.unit,
            "reliability": f"{rel[0]:.2f}" if rel else "",
            "prior": f"{100 * priors[row.id]:.1f}%" if row.id in priors else "",
            "effect": "; ".join(f"{m}: {c:+.1f} pp" for m, c in
                                zip(effects["metric"], effects["change_pp"], strict=True)),
            "url": row.url, "summary": row.summary,
        })
    rumours = pd.DataFrame(rumour_rows)
    headline = result.headline_table().set_index("metric")["mean"]
    first = metrics[0][0] if metrics else None
    coded = rumours[["id", "date", "source", "how_it_counts"]] if len(rumours) else \
        pd.DataFrame(columns=["id", "date", "source", "how_it_counts"])
    facts = fact_influence(scenario, inputs, result.reliability, result.priors,
                           result.idata.posterior, metrics,
                           influence_draws)
    known = scenario.facts.set_index("id") if len(scenario.facts) else None
    effects = pd.concat([
        influence.rename(columns={"rumour_id": "id"}).merge(
            coded.rename(columns={"how_it_counts": "coded_as"}), on="id"),
        facts.rename(columns={"fact_id": "id"}).assign(
            date=[known.loc[f, "date"].isoformat() for f in facts["fact_id"]],
            source="fact", coded_as=[describe_fact(known.loc[f]) for f in facts["fact_id"]]),
    ], ignore_index=True)
    movers = top_movers(effects, first, headline.get(first))

    priors = result.priors
    source_rows = []
    kinds = dict(zip(scenario.sources["name"], scenario.sources["kind"], strict=True))
    countries = dict(zip(scenario.sources["name"], scenario.sources["country"], strict=True))
    rng = np.random.default_rng(result.settings.seed)
    learned = result.reliability.table.set_index("source") if result.reliability is not None else None
    for unit, (mean, lo, hi) in reliability.items():
        j = inputs.units.index(unit)
        tier = int(inputs.unit_tier[j]) + 1  # a speaker's words (no row in sources.csv): tier 4
        track = learned.loc[unit] if learned is not None and unit in learned.index else None
        if inputs.unit_prior[j, 0]:
            # Prior from the track record (claims resolved before the as-of date).
            x = rng.normal(inputs.unit_prior[j, 1], inputs.unit_prior[j, 2], 4000)
        else:
            prior = priors[f"tier{tier}"]
            x = rng.normal(prior.mu, prior.sigma, 4000) + np.abs(
                rng.normal(0, priors["source_sd"].sigma, 4000)) * rng.normal(0, 1, 4000)
        prior_draws = 0.5 + 0.5 / (1 + np.exp(-(x + inputs.strength_offset[1])))
        n = int((rumours["reliability_unit"] == unit).sum()) if len(rumours) else 0
        counted = int(((rumours["reliability_unit"] == unit) & (rumours["status"] == "counted")).sum())
        source_rows.append({
            "source": unit, "kind": kinds.get(unit, "quoted words"), "country": countries.get(unit, ""),
            "tier": tier,
            "prior": ("tier" if not inputs.unit_prior[j, 0] else
                      "track record" if track is not None and track["claims"] else
                      "track record of its groups"),
            "resolved_claims": int(track["claims"]) if track is not None else 0,
            "came_true": int(track["true"]) if track is not None else 0,
            "prior_mean": float(prior_draws.mean()), "prior_lo": float(np.quantile(prior_draws, 0.05)),
            "prior_hi": float(np.quantile(prior_draws, 0.95)),
            "mean": mean, "lo": float(lo), "hi": float(hi), "reports": n, "counted": counted,
        })
    sources = pd.DataFrame(source_rows)

    joint = result.joint.copy()
    joint_windows = pd.DataFrame(columns=["club", "candidate"])  # no successor question: empty
    if len(joint):
        joint["window"] = joint["month"].map(window_of)
        joint_windows = (joint.groupby(["club", "candidate", "window"], sort=False)["mean"].sum()
                         .unstack("window").reset_index())

    var_names = [v for v in result.idata.posterior.data_vars
                 if v not in ("departure", "reliability") and not v.startswith(("joint_", "successor_"))]
    param_summary = az.summary(result.idata, var_names=var_names, round_to=3).reset_index(
        names="parameter")

    prior_table = pd.DataFrame([
        {"name": p.name, "distribution": (f"HalfNormal({p.sigma})" if p.positive
                                          else f"Normal({p.mu}, {p.sigma})"),
         "meaning": p.meaning, "citation": p.citation} for p in priors.values()
    ])
    data_sources = [{"what": key, "file": str(path)} for key, path in scenario.files.items()]
    for post in spec.posts:
        for url in post.sources:
            data_sources.append({"what": f"{post.coach} at {post.club}", "file": url})
    for q in spec.questions:
        for cand in q.candidates:
            for url in cand.sources:
                data_sources.append({"what": f"candidate {cand.name}", "file": url})
    for market in inputs.markets:
        data_sources.append({"what": f"odds: {market.bookmaker}, {market.date}", "file": market.url})
    provenance = {
        "forecast version": __version__,
        "scenario": scenario.id,
        "as of": result.as_of.isoformat(),
        "seed": str(result.settings.seed),
        "sampler": f"{result.settings.sampler}, {result.settings.chains} chains x "
                   f"{result.settings.draws} draws ({result.settings.tune} tuning)",
        "input hash (SHA-256)": result.scenario_hash,
        "written": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    contract_end = {p.coach: p.contract_end.strftime("%Y-%m") for p in inputs.posts}
    return ReportContent(
        title=spec.title, scenario_id=scenario.id, as_of=result.as_of,
        description=spec.description, headlines=result.headlines(),
        diagnostics=result.diagnostics, successor=result.successor,
        departure=result.departure, departure_windows=result.departure_windows(),
        joint_windows=joint_windows, rumours=rumours, sources=sources,
        param_summary=param_summary, priors=prior_table, provenance=provenance,
        data_sources=data_sources, contract_end=contract_end, movers=movers,
        health=build_health(result), destination=result.destination(),
    )


def top_movers(effects: pd.DataFrame, metric: str | None, now: float | None = None,
               n: int = 5) -> pd.DataFrame:
    """Return the ``n`` counted rumours or facts whose removal would move ``metric`` most.

    ``effects`` has a row per rumour or fact and metric (``id, date, source, coded_as, metric,
    with, without, change_pp``); each comes with what the model read from it, so a reader can
    spot a miscoded row. The change is estimated on thinned draws; with ``now`` (the headline's
    value over every draw) it is shown from that value, so the table agrees with the answers
    above it.
    """
    columns = ["id", "date", "source", "coded_as", "p_with", "p_without", "change_pp"]
    if metric is None or not len(effects):
        return pd.DataFrame(columns=columns)
    rows = effects[effects["metric"] == metric]
    rows = rows.reindex(rows["change_pp"].abs().sort_values(ascending=False).index).head(n)
    return pd.DataFrame({
        "id": rows["id"].to_numpy(), "date": rows["date"].to_numpy(),
        "source": rows["source"].to_numpy(), "coded_as": rows["coded_as"].to_numpy(),
        "p_with": rows["with"].to_numpy(float) if now is None else np.full(len(rows), now),
        "p_without": (rows["without"].to_numpy(float) if now is None
                      else now - rows["change_pp"].to_numpy(float) / 100),
        "change_pp": rows["change_pp"].to_numpy(float),
    }, columns=columns).assign(metric=metric)
