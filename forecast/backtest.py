"""Backtests: replay resolved cases at their cutoff and score the forecasts against what happened.

Each case is a scenario whose ``as_of`` is the cutoff; nothing dated after it is used (rumours,
facts, results and the track record alike). The truth is read from the case's facts: the outcome
states its facts allow once everything is known (a forecast as of the day after the horizon).
Scores (higher log score is better; lower Brier and RPS are better):

- who: the next coach among the named candidates, "not listed" and "no vacancy";
- when: the incumbent's departure month, or "after horizon" (ordered, so RPS applies; the who
  outcomes have no order, so RPS is reported for when only).

Baselines: uniform over the outcomes; the most-rumoured candidate (0.6 on him, the rest shared);
and the model's own prior without rumours (exact: the same marginalisation with every rumour's
weight set to zero, averaged over prior draws), which isolates what the rumours add.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.inputs import NOT_LISTED

MOST_RUMOURED_MASS = 0.6
JOIN_CLAIMS = ("joins", "talks", "agreement", "shortlisted")


@dataclass
class CaseForecast:
    """Probabilities of one case by method, and the true outcome."""

    case: str
    cutoff: str
    who_labels: list[str]
    who: dict[str, np.ndarray]  # method -> probabilities over who_labels
    who_truth: np.ndarray  # 0/1 per label (several 1s if the facts leave it open)
    when_labels: list[str]
    when: dict[str, np.ndarray]
    when_truth: np.ndarray
    diagnostics: dict


def case_paths(cases_dir: Path) -> list[Path]:
    """Return every ``<case>/scenario.yaml`` under ``cases_dir``."""
    return sorted(Path(cases_dir).glob("*/scenario.yaml"))


def check_cases(cases_dir: Path) -> list[Path]:
    """Validate every case up front (as ``forecast validate`` does); return their paths.

    Raises
    ------
    DataValidationError
        With the problems of every broken case, before any case is fitted.
    """
    from forecast.errors import DataValidationError, Problem
    from forecast.inputs import check_model_inputs
    from forecast.scenario import Scenario

    paths = case_paths(cases_dir)
    if not paths:
        raise DataValidationError([Problem(str(cases_dir), None, None,
                                           "no <case>/scenario.yaml in this folder")])
    problems = []
    for path in paths:
        try:
            check_model_inputs(Scenario.load(path))
        except DataValidationError as exc:
            problems += exc.problems
    if problems:
        raise DataValidationError(problems)
    return paths


def _truth(scenario, post_index: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the states the facts allow once everything is known: what really happened."""
    from forecast.inputs import build_inputs
    from forecast.periods import month_end

    y, m = scenario.spec.horizon_month
    later = month_end(y, m) + dt.timedelta(days=1)
    inputs = build_inputs(scenario, max(later, scenario.spec.as_of))
    post = inputs.posts[post_index]
    allowed = post.mask > 0
    dep, succ = post.states(inputs.T)
    return dep[allowed], succ[allowed]


def _prior_marginals(inputs, priors, draws: int, seed: int) -> list[np.ndarray]:
    from forecast.inputs import model_data
    from forecast.outcomes import cached_state_posterior
    from forecast.simulate import draw_params

    evaluate = cached_state_posterior(inputs)
    data = model_data(inputs)
    for key in data:
        if key.startswith("weight_"):
            data[key] = np.zeros_like(data[key])
    rng = np.random.default_rng(seed)
    prior = [draw_params(rng, priors, inputs) for _ in range(draws)]
    _, margs = evaluate({n: np.stack([p[n] for p in prior]) for n in prior[0]}, data)
    return [m.mean(axis=0) for m in margs]


def scored_post(scenario, posts) -> int:
    """Return the index in ``posts`` (model inputs) of the post a case is scored on.

    Its vacancy when it asks who succeeds, else the post of the coach its departure question
    is about.
    """
    questions = scenario.spec.questions
    club = next((q.club for q in questions if q.kind == "successor"), None)
    if club is None:
        coach = next(q.coach for q in questions if q.kind == "departure")
        return next(j for j, p in enumerate(posts) if p.coach == coach)
    return next(j for j, p in enumerate(posts) if p.club == club)


def forecast_case(path: Path, draws: int = 500, seed: int = 1,
                  cache_dir: Path | None = None) -> CaseForecast:
    """Fit one case at its cutoff and collect every method's probabilities."""
    from forecast.fit import SamplerSettings, fit
    from forecast.outcomes import AFTER, NO_VACANCY
    from forecast.scenario import Scenario

    scenario = Scenario.load(path)
    result = fit(scenario, settings=SamplerSettings(draws=draws, tune=draws, seed=seed),
                 cache_dir=cache_dir)
    inputs = result.inputs
    i = scored_post(scenario, inputs.posts)
    post = inputs.posts[i]
    T = inputs.T
    when_labels = [*inputs.grid.labels, AFTER]
    dep_true, succ_true = _truth(scenario, i)
    when_truth = np.zeros(T + 1)
    when_truth[np.unique(dep_true)] = 1
    model_when = result.departure[result.departure["coach"] == post.coach]["mean"].to_numpy()
    prior = _prior_marginals(inputs, result.priors, 500, seed)[i]
    dep, succ = post.states(T)
    prior_when = np.array([prior[dep == m].sum() for m in range(T + 1)])
    uniform_when = np.full(T + 1, 1.0 / (T + 1))
    # A case that asks only when a coach leaves (a rumoured exit) has no "who" question.
    who_labels, who, who_truth = [], {}, np.zeros(0)
    if post.has_successor:
        who_labels = [*post.candidates, NOT_LISTED, NO_VACANCY]
        who_truth = np.zeros(len(who_labels))
        for d, s in zip(dep_true, succ_true, strict=True):
            who_truth[len(who_labels) - 1 if d == T else s] = 1
        table = result.successor[result.successor["club"] == post.club]
        prior_who = np.array([prior[(succ == k) & (dep < T)].sum() for k in range(post.n_cand + 1)]
                             + [prior[dep == T].sum()])
        rumours = inputs.rumours
        counts = rumours[(rumours["club"] == post.club) & rumours["claim"].isin(JOIN_CLAIMS)
                         ]["subject"].value_counts()
        most = np.full(len(who_labels), 1.0 / len(who_labels))
        named = [c for c in post.candidates if c in counts.index]
        if named:
            top = max(named, key=lambda c: counts[c])
            most = np.full(len(who_labels), (1 - MOST_RUMOURED_MASS) / (len(who_labels) - 1))
            most[post.candidates.index(top)] = MOST_RUMOURED_MASS
        who = {"model": table["mean"].to_numpy(), "prior only": prior_who, "most rumoured": most,
               "uniform": np.full(len(who_labels), 1.0 / len(who_labels))}
    return CaseForecast(
        case=scenario.id, cutoff=scenario.spec.as_of.isoformat(), who_labels=who_labels,
        who=who, who_truth=who_truth, when_labels=when_labels,
        when={"model": model_when, "prior only": prior_when, "uniform": uniform_when},
        when_truth=when_truth, diagnostics=result.diagnostics,
    )


def log_score(p: np.ndarray, truth: np.ndarray) -> float:
    """Log probability of the true outcome (of the set of outcomes the facts allow)."""
    return float(np.log(max(float(p @ truth), 1e-12)))


def brier(p: np.ndarray, truth: np.ndarray) -> float:
    """Multi-category Brier score against the (normalised) truth."""
    y = truth / truth.sum()
    return float(np.sum((p - y) ** 2))


def rps(p: np.ndarray, truth: np.ndarray) -> float:
    """Ranked probability score of an ordered forecast."""
    y = truth / truth.sum()
    return float(np.sum((np.cumsum(p) - np.cumsum(y)) ** 2) / max(len(p) - 1, 1))


def score_table(forecasts: list[CaseForecast]) -> pd.DataFrame:
    """Return one row per case, question and method with its scores."""
    rows = []
    for f in forecasts:
        for method, p in f.who.items():
            rows.append({"case": f.case, "question": "who", "method": method,
                         "p_truth": float(p @ f.who_truth), "log_score": log_score(p, f.who_truth),
                         "brier": brier(p, f.who_truth), "rps": np.nan,
                         "truth": "/".join(np.array(f.who_labels)[f.who_truth > 0])})
        for method, p in f.when.items():
            rows.append({"case": f.case, "question": "when", "method": method,
                         "p_truth": float(p @ f.when_truth), "log_score": log_score(p, f.when_truth),
                         "brier": brier(p, f.when_truth), "rps": rps(p, f.when_truth),
                         "truth": "/".join(np.array(f.when_labels)[f.when_truth > 0])})
    return pd.DataFrame(rows)


def overall(scores: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean score per question and method with a 90% bootstrap interval over cases."""
    rng = np.random.default_rng(seed)
    rows = []
    for (question, method), t in scores.groupby(["question", "method"], sort=False):
        for metric in ("log_score", "brier", "rps"):
            values = t[metric].to_numpy()
            if np.all(np.isnan(values)):
                continue
            boots = [values[rng.integers(0, len(values), len(values))].mean() for _ in range(n_boot)]
            lo, hi = np.quantile(boots, [0.05, 0.95])
            rows.append({"question": question, "method": method, "metric": metric,
                         "mean": float(values.mean()), "lo": float(lo), "hi": float(hi),
                         "cases": int(len(values))})
    return pd.DataFrame(rows)


#: Modelling choices are made on cases with cutoffs before this date and confirmed on the later ones.
CONFIRM_FROM = "2023-01-01"


def paired_differences(scores: pd.DataFrame, forecasts: list[CaseForecast]) -> pd.DataFrame:
    """Return the model's log score minus each baseline's, paired over cases, with its SE.

    One row per question, baseline and period: cases with cutoffs before :data:`CONFIRM_FROM`
    (where choices are made), from it on (where they are confirmed), and all.
    """
    later = {f.case: f.cutoff >= CONFIRM_FROM for f in forecasts}
    wide = scores.pivot_table(index=["question", "case"], columns="method", values="log_score")
    rows = []
    for question, table in wide.groupby(level="question", sort=False):
        table = table.droplevel("question")
        for baseline in [m for m in table.columns if m != "model"]:
            diff = (table["model"] - table[baseline]).dropna()
            if diff.empty:  # a baseline that does not answer this question
                continue
            for period, keep in (("before 2023", [not later[c] for c in diff.index]),
                                 ("2023 on", [later[c] for c in diff.index]),
                                 ("all", [True] * len(diff))):
                d = diff[np.asarray(keep, dtype=bool)]
                rows.append({"question": question, "baseline": baseline, "period": period,
                             "cases": int(len(d)), "difference": float(d.mean()) if len(d) else np.nan,
                             "se": float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else np.nan})
    return pd.DataFrame(rows)


def expected_calibration_error(bins: pd.DataFrame) -> float:
    """Return the count-weighted mean gap between forecast and observed frequency over bins."""
    used = bins[bins["count"] > 0]
    gaps = (used["mean_forecast"] - used["observed"]).abs()
    return float((gaps * used["count"]).sum() / used["count"].sum())


def not_listed_check(forecasts: list[CaseForecast]) -> dict:
    """Return the model's mean "not listed" probability and how often the winner was not listed."""
    # Labels end with "not listed", then "no vacancy".
    rows = [(f.who["model"][-2], f.who_truth[-2]) for f in forecasts
            if "model" in f.who and f.who_labels[-2:-1] == [NOT_LISTED]]
    if not rows:
        return {"cases": 0, "mean_forecast": np.nan, "frequency": np.nan}
    p, y = np.array(rows).T
    return {"cases": len(rows), "mean_forecast": float(p.mean()), "frequency": float(y.mean())}


def calibration_bins(forecasts: list[CaseForecast], bins: int = 5) -> pd.DataFrame:
    """Pool every outcome probability of the model; observed frequency and count per bin."""
    p, y = [], []
    for f in forecasts:
        p += list(f.who.get("model", [])) + list(f.when["model"])
        y += list(f.who_truth > 0) + list(f.when_truth > 0)
    p, y = np.array(p), np.array(y, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    return pd.DataFrame([{"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "mean_forecast":
                          float(p[idx == b].mean()) if (idx == b).any() else np.nan,
                          "observed": float(y[idx == b].mean()) if (idx == b).any() else np.nan,
                          "count": int((idx == b).sum())} for b in range(bins)])


def run_backtest(cases_dir: Path, draws: int = 500, seed: int = 1, cache_dir: Path | None = None,
                 progress=None, workers: int | None = None,
                 scheduler: str | None = None) -> list[CaseForecast]:
    """Forecast every case on Dask (:func:`forecast.batch.run_batch`), in case order, once all are valid.

    ``workers=0`` runs the cases serially in this process; a ``scheduler`` address (or
    ``$FORECAST_SCHEDULER``) runs them on that cluster. Every case uses ``seed``, so the numbers
    do not depend on where or in what order it runs.
    """
    from functools import partial

    from forecast.batch import run_batch

    paths = check_cases(cases_dir)
    task = partial(forecast_case, draws=draws, seed=seed, cache_dir=cache_dir)
    return run_batch(task, paths, workers=workers, scheduler=scheduler, progress=progress,
                     label=lambda p: p.parent.name)


def write_backtest(forecasts: list[CaseForecast], out: Path) -> Path:
    """Write scores, overall scores, calibration bins, the reliability diagram and report.html."""
    import base64

    from forecast.report.plots import plot_calibration
    from forecast.report.render import template_env
    from forecast.results import atomic_write, write_csv

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scores = score_table(forecasts)
    summary = overall(scores)
    bins = calibration_bins(forecasts)
    paired = paired_differences(scores, forecasts)
    for name, table in (("scores", scores), ("overall", summary), ("calibration", bins),
                        ("paired", paired)):
        write_csv(table, out / f"{name}.csv")
    checks = {"expected_calibration_error": expected_calibration_error(bins),
              "not_listed": not_listed_check(forecasts), "confirm_from": CONFIRM_FROM}
    atomic_write(out / "checks.json", lambda p: Path(p).write_text(json.dumps(checks, indent=1)))
    ax = plot_calibration(bins)
    atomic_write(out / "reliability.png", lambda p: ax.figure.savefig(p, dpi=110))
    failed = [f.case for f in forecasts if not f.diagnostics["passed"]]
    note = (f"Convergence checks failed for: {', '.join(failed)}." if failed
            else "Every case passed its convergence checks.")
    html = template_env().get_template("backtest.html").render(
        n_cases=len(forecasts), overall=summary, calibration=bins, scores=scores, note=note,
        paired=paired, checks=checks,
        diagram=base64.b64encode((out / "reliability.png").read_bytes()).decode())
    atomic_write(out / "report.html", lambda p: Path(p).write_text(html, encoding="utf-8"))
    return out
