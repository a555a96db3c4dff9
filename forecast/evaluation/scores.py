"""Scores of backtest forecasts against what happened.

Log score, Brier and RPS per case, bootstrap means, paired differences against each baseline,
calibration bins, the "not listed" check and the successor choice by candidate feature.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecast.dims import NOT_LISTED
from forecast.evaluation.backtest import CaseForecast

#: The question of when the coach of a case's other tracked post leaves it.
OTHER_POST = "when, other post"


def log_score(p: np.ndarray, truth: np.ndarray) -> float:
    """Log probability of the true outcome (of the set of outcomes the facts allow)."""
    return float(np.log(max(float(p @ truth), 1e-12)))


def brier(p: np.ndarray, truth: np.ndarray) -> float:
    """Multi-category Brier score; the outcomes the facts allow count as one, which happened.

    (Spreading the truth over them would make that spread, not the outcome, the best forecast.)
    """
    probs, happened = _events(p, truth)
    return float(np.sum((np.asarray(probs) - np.asarray(happened, dtype=float)) ** 2))


def rps(p: np.ndarray, truth: np.ndarray) -> float:
    """Ranked probability score of an ordered forecast.

    NaN when the facts allow several outcomes: the true cumulative distribution is then unknown
    between them.
    """
    if np.count_nonzero(truth) != 1:
        return float("nan")
    return float(np.sum((np.cumsum(p) - np.cumsum(truth)) ** 2) / max(len(p) - 1, 1))


def score_table(forecasts: list[CaseForecast]) -> pd.DataFrame:
    """Return one row per case, question and method with its scores."""
    rows = []
    for f in forecasts:
        for method, p in f.who.items():
            rows.append({"case": f.case, "question": "who", "method": method,
                         "p_truth": float(p @ f.who_truth), "log_score": log_score(p, f.who_truth),
                         "brier": brier(p, f.who_truth), "rps": np.nan,
                         "truth": "/".join(np.array(f.who_labels)[f.who_truth > 0])})
        for method, p in f.where.items():
            rows.append({"case": f.case, "question": "where", "method": method,
                         "p_truth": float(p @ f.where_truth),
                         "log_score": log_score(p, f.where_truth),
                         "brier": brier(p, f.where_truth), "rps": np.nan,
                         "truth": "/".join(np.array(f.where_labels)[f.where_truth > 0])})
        for question, forecast, truth in (("when", f.when, f.when_truth),
                                          (OTHER_POST, f.other_when, f.other_truth)):
            for method, p in forecast.items():
                rows.append({"case": f.case, "question": question, "method": method,
                             "p_truth": float(p @ truth), "log_score": log_score(p, truth),
                             "brier": brier(p, truth), "rps": rps(p, truth),
                             "truth": "/".join(np.array(f.when_labels)[truth > 0])})
    return pd.DataFrame(rows)


def overall(scores: pd.DataFrame, n_boot: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Mean score per question and method with a 90% bootstrap interval over cases."""
    rng = np.random.default_rng(seed)
    rows = []
    for (question, method), t in scores.groupby(["question", "method"], sort=False):
        for metric in ("log_score", "brier", "rps"):
            values = t[metric].to_numpy()
            values = values[~np.isnan(values)]  # RPS: cases with one true outcome only
            if not len(values):
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
    (where choices are made), from it on (where they are confirmed), and all; then one per
    case set (``"<name> set"``: the cases whose scenario names that ``case_set``).
    """
    later = {f.case: f.cutoff >= CONFIRM_FROM for f in forecasts}
    sets = {f.case: f.case_set for f in forecasts}
    wide = scores.pivot_table(index=["question", "case"], columns="method", values="log_score")
    rows = []
    for question, table in wide.groupby(level="question", sort=False):
        table = table.droplevel("question")
        for baseline in [m for m in table.columns if m != "model"]:
            diff = (table["model"] - table[baseline]).dropna()
            if diff.empty:  # a baseline that does not answer this question
                continue
            for period, keep in partitions(np.array([later[c] for c in diff.index], dtype=bool),
                                           [sets[c] for c in diff.index]):
                d = diff[keep]
                rows.append({"question": question, "baseline": baseline, "period": period,
                             "cases": int(len(d)), "difference": float(d.mean()) if len(d) else np.nan,
                             "se": float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else np.nan})
    return pd.DataFrame(rows)


def partitions(later: np.ndarray, case_sets=()):
    """Yield each period's name and mask, then each case set's.

    Periods: before :data:`CONFIRM_FROM`, from it on, and all. ``case_sets`` gives each case's
    ``case_set`` (``""``: none); every named set yields ``"<name> set"`` and its mask.
    """
    yield from (("before 2023", ~later), ("2023 on", later), ("all", np.ones(len(later), bool)))
    labels = np.asarray(case_sets, dtype=object)
    yield from ((f"{s} set", labels == s) for s in sorted(set(labels.tolist()) - {""}))


#: Bins of the months from a case's cutoff to its vacancy (first month, last month or None),
#: by which the feature check splits "not listed".
MONTHS_AHEAD = ((0, 2), (3, 5), (6, None))


def months_ahead_label(first: int, last: int | None) -> str:
    """Return the feature check's name for "not listed" where the vacancy came in those months."""
    span = f"{first} months or more" if last is None else f"{first}-{last} months"
    return f"{NOT_LISTED}, vacancy {span} after the cutoff"


def _months_ahead_bin(when_truth: np.ndarray) -> str | None:
    """Return the "not listed" bin of the month the vacancy came, or None.

    ``when_truth``: the truth over the months and "after horizon". None if the facts leave
    months of two bins open, or no month.
    """
    months = np.flatnonzero(when_truth[:-1])
    labels = {months_ahead_label(lo, hi) for m in months for lo, hi in MONTHS_AHEAD
              if m >= lo and (hi is None or m <= hi)}
    return labels.pop() if len(labels) == 1 else None


def feature_calibration(forecasts: list[CaseForecast]) -> pd.DataFrame:
    r"""Return the model's expected against observed wins of the candidates with each feature.

    Scored where the vacancy came and one outcome is known: each candidate's probability is
    taken given the vacancy (the "who" forecast without "no vacancy", renormalised), so this
    checks the successor choice alone, whatever the chance of a change. Features are those of
    :func:`forecast.evaluation.backtest.candidate_features`, plus every named candidate and
    "not listed", and "not listed" again by the calendar months from the cutoff's month
    (month 0) to the vacancy's (:data:`MONTHS_AHEAD`; a case whose facts leave the vacancy's
    month open across two bins is in none, so the bins may sum to fewer). ``se`` is the standard
    deviation of the number of wins if the forecasts were right (independent outcomes,
    :math:`\sqrt{\sum p(1-p)}`), so a gap of two or more flags a feature the successor prior
    under- or over-weights; one row per feature and period.
    """
    rows, order = [], ["every named candidate"]
    for f in forecasts:
        if not f.who_features or f.who_truth[-1] > 0 or f.who_truth.sum() != 1:
            continue
        order += [name for name in f.who_features[0] if name not in order]
        p = f.who["model"][:-1] / (1.0 - f.who["model"][-1])
        later = f.cutoff >= CONFIRM_FROM
        for k, features in enumerate(f.who_features):
            names = ["every named candidate", *(name for name, has in features.items() if has)]
            rows += [(name, later, p[k], f.who_truth[k]) for name in names]
        rows.append((NOT_LISTED, later, p[-1], f.who_truth[-2]))
        ahead = _months_ahead_bin(f.when_truth)
        if ahead is not None:
            rows.append((ahead, later, p[-1], f.who_truth[-2]))
    table = pd.DataFrame(rows, columns=["feature", "later", "p", "won"])
    out = []
    for feature in [*order, NOT_LISTED, *(months_ahead_label(*b) for b in MONTHS_AHEAD)]:
        t = table[table["feature"] == feature]
        for period, keep in partitions(t["later"].to_numpy(dtype=bool)):
            d = t[keep]
            out.append({"feature": feature, "period": period, "candidates": len(d),
                        "expected": float(d["p"].sum()), "observed": int(d["won"].sum()),
                        "se": float(np.sqrt((d["p"] * (1 - d["p"])).sum()))})
    return pd.DataFrame(out, columns=["feature", "period", "candidates", "expected", "observed", "se"])


def expected_calibration_error(bins: pd.DataFrame) -> float:
    """Return the count-weighted mean gap between forecast and observed frequency over bins.

    NaN when the bins hold no outcome (a backtest with no question of that kind).
    """
    used = bins[bins["count"] > 0]
    if used.empty:
        return float("nan")
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


def _events(p: np.ndarray, truth: np.ndarray) -> tuple[list[float], list[bool]]:
    """Return one question's outcomes as events, the states the facts leave open pooled into one.

    When the facts allow several states (he left some month after May), only their union is
    known to have happened: counting each as an event that happened would overstate how often
    small probabilities come true.
    """
    hit = truth > 0
    if hit.sum() <= 1:
        return list(p), list(hit)
    return [float(p[hit].sum()), *p[~hit]], [True] + [False] * int((~hit).sum())


def calibration_bins(forecasts: list[CaseForecast], bins: int = 5,
                     question: str | None = None) -> pd.DataFrame:
    """Pool every outcome probability of the model; observed frequency and count per bin.

    ``question`` ("who" or "when") keeps that question's outcomes only; by default both are
    pooled.

    Raises
    ------
    ValueError
        For any other ``question``.
    """
    if question not in (None, "who", "when"):
        raise ValueError(f"question must be 'who', 'when' or None, not {question!r}")
    p, y = [], []
    for f in forecasts:
        for name, probs, truth in (("who", f.who.get("model"), f.who_truth),
                                   ("when", f.when["model"], f.when_truth)):
            if probs is not None and question in (None, name):
                probs, happened = _events(np.asarray(probs), np.asarray(truth))
                p += probs
                y += happened
    p, y = np.array(p), np.array(y, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    return pd.DataFrame([{"bin": f"{edges[b]:.1f}-{edges[b + 1]:.1f}", "mean_forecast":
                          float(p[idx == b].mean()) if (idx == b).any() else np.nan,
                          "observed": float(y[idx == b].mean()) if (idx == b).any() else np.nan,
                          "count": int((idx == b).sum())} for b in range(bins)])
