"""The backtest's files: score tables, checks, the calibration diagram and report.html."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from forecast.evaluation.backtest import BASELINES, CaseForecast
from forecast.evaluation.scores import (
    CONFIRM_FROM,
    calibration_bins,
    expected_calibration_error,
    feature_calibration,
    not_listed_check,
    overall,
    paired_differences,
    score_table,
)


def write_backtest(forecasts: list[CaseForecast], out: Path) -> Path:
    """Write the backtest's files to ``out`` and return it.

    Scores, overall scores, calibration bins, paired differences and the check by candidate
    feature as CSV; the checks as JSON; the calibration diagram; report.html.
    """
    import base64

    from forecast.io.files import atomic_write, write_csv
    from forecast.report.plots import plot_calibration
    from forecast.report.render import template_env

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    scores = score_table(forecasts)
    summary = overall(scores)
    bins = pd.concat([calibration_bins(forecasts, question=q).assign(question=q or "all")
                      for q in (None, "who", "when")], ignore_index=True)
    paired = paired_differences(scores, forecasts)
    features = feature_calibration(forecasts)
    for name, table in (("scores", scores), ("overall", summary), ("calibration", bins),
                        ("paired", paired), ("features", features)):
        write_csv(table, out / f"{name}.csv")
    ece = {q: expected_calibration_error(b) for q, b in bins.groupby("question")}
    checks = {"expected_calibration_error": ece.pop("all"),
              "expected_calibration_error_by_question": ece,
              "not_listed": not_listed_check(forecasts), "confirm_from": CONFIRM_FROM}
    atomic_write(out / "checks.json",
                 lambda p: Path(p).write_text(json.dumps(_json_safe(checks), indent=1)))
    ax = plot_calibration(bins)
    atomic_write(out / "calibration.png", lambda p: ax.figure.savefig(p, dpi=110))
    failed = [f.case for f in forecasts if not f.diagnostics["passed"]]
    note = (f"Convergence checks failed for: {', '.join(failed)}." if failed
            else "Every case passed its convergence checks.")
    html = template_env().get_template("backtest.html").render(
        n_cases=len(forecasts), overall=summary, calibration=bins, scores=scores, note=note,
        paired=paired, features=features, checks=checks, baselines=BASELINES,
        diagram=base64.b64encode((out / "calibration.png").read_bytes()).decode())
    atomic_write(out / "report.html", lambda p: Path(p).write_text(html, encoding="utf-8"))
    return out


def _json_safe(value):
    """Return ``value`` with every NaN float replaced by None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value
