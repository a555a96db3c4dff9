"""Figures. Each function takes ``ax=None``, draws on it and returns the axes; none shows or saves."""

from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

PALETTE = {"main": "#1f5fa8", "light": "#9dbde3", "prior": "#b0b0b0", "accent": "#d1495b",
           "text": "#222222"}
STYLE = {
    "axes.spines.top": False, "axes.spines.right": False, "axes.titleweight": "bold",
    "axes.titlesize": 11, "axes.labelsize": 9, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "font.family": "DejaVu Sans", "figure.dpi": 110,
}


def _axes(ax, size=(7, 3.5)):
    if ax is None:
        with plt.rc_context(STYLE):
            _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def plot_successor(table: pd.DataFrame, club: str, ax=None):
    """Bar chart of who is the next coach of ``club``, with 90% intervals."""
    with plt.rc_context(STYLE):
        ax = _axes(ax, (7, 0.45 * len(table) + 1.2))
        t = table.sort_values("mean")
        y = np.arange(len(t))
        ax.barh(y, t["mean"], color=PALETTE["main"], alpha=0.85)
        ax.errorbar(t["mean"], y, xerr=[t["mean"] - t["lo"], t["hi"] - t["mean"]], fmt="none",
                    ecolor=PALETTE["text"], capsize=3, lw=1)
        for yi, m in zip(y, t["mean"], strict=True):
            ax.text(min(m + 0.01, 0.93), yi + 0.2, f"{m:.0%}", fontsize=8, color=PALETTE["text"])
        ax.set_yticks(y, t["outcome"])
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("posterior probability (bar: mean; line: 90% interval)")
        ax.set_title(f"Who is the next coach of {club}?")
    return ax


def plot_departure(table: pd.DataFrame, coach: str, contract_end: str | None = None, ax=None):
    """Monthly departure probability (bars) and cumulative probability (line, 90% band)."""
    with plt.rc_context(STYLE):
        ax = _axes(ax, (8, 3.4))
        t = table[table["coach"] == coach].reset_index(drop=True)
        after = t.iloc[-1]  # "after horizon": not a month, stated in words instead
        t = t.iloc[:-1]
        months = t["month"].tolist()
        x = np.arange(len(months))
        ax.bar(x, t["mean"], color=PALETTE["light"], label="leaves in this month")
        ax.plot(x, t["cum_mean"], color=PALETTE["main"], lw=2, label="has left by this month")
        ax.fill_between(x, t["cum_lo"], t["cum_hi"], color=PALETTE["main"], alpha=0.15,
                        label="90% interval (cumulative)")
        if contract_end in months:
            xe = months.index(contract_end)
            ax.axvline(xe, color=PALETTE["accent"], ls="--", lw=1)
            ax.text(xe, 1.02, "contract ends", color=PALETTE["accent"], fontsize=8, ha="center")
        ax.set_xticks(x, [m if m[-2:] in ("01", "06") or i == 0 else "" for i, m in
                          enumerate(months)], rotation=45, ha="right")
        ax.text(0.99, 0.5, f"still in post after {months[-1]}:\n{after['mean']:.0%} "
                f"(90% interval {after['lo']:.0%}-{after['hi']:.0%})", transform=ax.transAxes,
                ha="right", va="center", fontsize=8, color=PALETTE["text"])
        ax.set_ylim(0, 1.08)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        club = t["club"].iloc[0] if len(t) else ""
        ax.set_title(f"When does {coach} leave {club}?")
        ax.legend(loc="upper left", fontsize=8, frameon=False)
    return ax


def _interval_rows(ax, y, lo, hi, mean, color, lw, ms, label=None):
    """Draw one forest-plot row per ``y``: a line from ``lo`` to ``hi`` and a dot at ``mean``."""
    ax.hlines(y, lo, hi, color=color, lw=lw, label=label)
    ax.plot(mean, y, "o", color=color, ms=ms)


def plot_sources(table: pd.DataFrame, ax=None):
    """Forest plot of each cited source's reliability: prior (grey) against posterior (blue)."""
    with plt.rc_context(STYLE):
        ax = _axes(ax, (7, 0.35 * max(len(table), 1) + 1.3))
        t = table.sort_values("mean").reset_index(drop=True)
        y = np.arange(len(t))
        _interval_rows(ax, y - 0.15, t["prior_lo"], t["prior_hi"], t["prior_mean"],
                       PALETTE["prior"], 3, 4, "prior (track record or tier), 90%")
        _interval_rows(ax, y + 0.15, t["lo"], t["hi"], t["mean"], PALETTE["main"], 3, 4,
                       "posterior, 90%")
        ax.set_yticks(y, [f"{s} (tier {k})" for s, k in zip(t["source"], t["tier"], strict=True)])
        ax.set_xlim(0.5, 1.0)
        ax.set_xlabel("probability a medium-strength claim (not about the next weeks) is right")
        ax.set_title("Source reliability")
        ax.legend(loc="lower right", fontsize=8, frameon=False)
    return ax


def plot_timeline(history: pd.DataFrame, rumours: pd.DataFrame | None = None, ax=None):
    """Headline probabilities as of each date, with rumour dates marked."""
    with plt.rc_context(STYLE):
        ax = _axes(ax, (8, 3.6))
        for metric, t in history.groupby("metric", sort=False):
            dates = pd.to_datetime(t["as_of"])
            line = ax.plot(dates, t["mean"], marker="o", ms=3, lw=1.8, label=metric,
                           drawstyle="steps-post")[0]
            ax.fill_between(dates, t["lo"], t["hi"], color=line.get_color(), alpha=0.07,
                            step="post")
        if rumours is not None:
            for d in pd.to_datetime(rumours["date"]).unique():
                ax.axvline(d, color=PALETTE["prior"], lw=0.5, alpha=0.6)
        ax.set_ylim(0, 1)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title("How the forecast moved (grey lines: rumour dates; bands: 90% intervals)")
        ax.legend(fontsize=7, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12),
                  ncol=2)
    return ax


def plot_reliability(table: pd.DataFrame, ax=None):
    """Forest plot of learned reliabilities with each source's number of resolved claims."""
    with plt.rc_context(STYLE):
        ax = _axes(ax, (7, 0.22 * max(len(table), 1) + 1.2))
        t = table.sort_values("rho_mean").reset_index(drop=True)
        y = np.arange(len(t))
        _interval_rows(ax, y, t["rho_lo"], t["rho_hi"], t["rho_mean"], PALETTE["main"], 2, 3)
        ax.set_yticks(y, [f"{s} ({n})" for s, n in zip(t["source"], t["claims"], strict=True)],
                      fontsize=6)
        ax.set_xlim(0.5, 1.0)
        ax.set_xlabel("probability a medium-strength claim (not about the next weeks) is right\n"
                      "(90% interval)")
        ax.set_title("Source reliability from the track record (resolved claims)")
    return ax


def plot_calibration(bins: pd.DataFrame, ax=None):
    """Calibration diagram: observed frequency against mean forecast, with the count per bin.

    One line per value of the ``question`` column ("all", "who", "when"), the pooled one
    labelled with its counts.
    """
    with plt.rc_context(STYLE):
        ax = _axes(ax, (4.8, 4.2))
        ax.plot([0, 1], [0, 1], color=PALETTE["prior"], ls="--", lw=1, label="perfect calibration")
        styles = {"all": ("o-", PALETTE["main"]), "who": ("s--", "#d95f02"),
                  "when": ("^:", "#1b9e77")}
        for question, table in bins.groupby("question", sort=False):
            t = table.dropna()
            if t.empty:
                continue
            marker, colour = styles[question]
            label = "model, both questions" if question == "all" else f"model, {question} only"
            ax.plot(t["mean_forecast"], t["observed"], marker, color=colour, label=label,
                    ms=5 if question == "all" else 4, lw=1.5 if question == "all" else 1)
            if question == "all":
                for r in t.itertuples():
                    ax.annotate(f"n={r.count}", (r.mean_forecast, r.observed),
                                textcoords="offset points", xytext=(5, -10), fontsize=7)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_xlabel("forecast probability")
        ax.set_ylabel("observed frequency")
        ax.set_title("Backtest calibration diagram")
        ax.legend(fontsize=8, frameon=False, loc="upper left")
    return ax


def plot_prior_posterior(prior: np.ndarray, posterior: np.ndarray, name: str, ax=None):
    """Density of one parameter's prior (grey) and posterior (blue) draws (ArviZ KDE)."""
    import arviz as az

    with plt.rc_context(STYLE):
        ax = _axes(ax, (2.6, 1.8))
        for draws, color, width in ((prior, PALETTE["prior"], 1.2), (posterior, PALETTE["main"], 1.5)):
            grid, density = az.kde(np.asarray(draws, dtype=float))
            ax.plot(grid, density, color=color, lw=width)
        ax.set_title(name, fontsize=8)
        ax.set_yticks([])
        ax.tick_params(labelsize=7)
    return ax


def plot_claims_check(table: pd.DataFrame, ax=None):
    """Observed share of claims that came true against the track-record model's prediction.

    One point per group of claims (size: events), with the 90% interval of the share the model
    predicts for that many events; points on the diagonal are well predicted.
    """
    with plt.rc_context(STYLE):
        ax = _axes(ax, (5, 4.4))
        ax.plot([0, 1], [0, 1], color=PALETTE["prior"], ls="--", lw=1)
        inside = (table["observed"] >= table["lo"]) & (table["observed"] <= table["hi"])
        for ok, color, label in ((True, PALETTE["main"], "inside its 90% predictive interval"),
                                 (False, PALETTE["accent"], "outside")):
            t = table[inside == ok]
            ax.vlines(t["predicted"], t["lo"], t["hi"], color=color, alpha=0.35, lw=1)
            ax.scatter(t["predicted"], t["observed"], s=12 + 4 * t["events"], color=color,
                       alpha=0.8, label=f"{label} ({len(t)})")
        ax.set_xlim(0, 1)
        ax.set_ylim(-0.02, 1.02)
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_xlabel("predicted share true (track-record model)")
        ax.set_ylabel("observed share true")
        ax.set_title("Claims check: the track record against its model")
        ax.legend(fontsize=7, frameon=False, loc="upper left")
    return ax
