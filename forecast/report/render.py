"""Render a report: figures to PNG, tables to CSV, and one self-contained HTML file."""

from __future__ import annotations

import base64
import io
import warnings
from pathlib import Path

import arviz as az
import jinja2
import matplotlib
import matplotlib.pyplot as plt

from forecast.data.schemas import is_web_url
from forecast.dims import slug
from forecast.io.files import atomic_write, write_csv
from forecast.report.content import ReportContent, build_content
from forecast.report.plots import (
    STYLE,
    plot_claims_check,
    plot_departure,
    plot_prior_posterior,
    plot_sources,
    plot_successor,
    plot_timeline,
)
from forecast.report.timeline import plotted_metrics

RANK_VARS = ["sack_base", "quit_base", "quit_season_end", "appeal", "not_listed"]


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def draw_figures(content: ReportContent, idata) -> list[dict]:
    """Draw every figure; return ``[{name, title, png}]`` in report order."""
    figures = []
    for club, table in content.successor.groupby("club", sort=False):
        ax = plot_successor(table, club)
        figures.append({"name": f"successor_{slug(club)}", "section": "successor",
                        "title": f"Next coach of {club}", "png": _png(ax.figure)})
    for coach in content.departure["coach"].unique():
        ax = plot_departure(content.departure, coach, content.contract_end.get(coach))
        figures.append({"name": f"departure_{slug(coach)}", "section": "departure",
                        "title": f"Departure of {coach}", "png": _png(ax.figure)})
    if content.timeline is not None and len(content.timeline):
        ax = plot_timeline(plotted_metrics(content.timeline))
        figures.append({"name": "timeline", "section": "timeline", "title": "Forecast timeline",
                        "png": _png(ax.figure)})
    if len(content.sources):
        ax = plot_sources(content.sources)
        figures.append({"name": "sources", "section": "sources", "title": "Source reliability",
                        "png": _png(ax.figure)})
    with plt.rc_context(STYLE), warnings.catch_warnings():
        # ArviZ 0.2x calls a matplotlib helper deprecated in matplotlib 3.11; harmless until 3.13.
        warnings.filterwarnings("ignore", "Passing a dict or None as alias_mapping",
                                matplotlib.MatplotlibDeprecationWarning)
        # The first three candidates' appeal (a scenario may name none).
        first = ({"candidate": idata.posterior["candidate"].values[:3]}
                 if idata.posterior.sizes.get("candidate", 0) else None)
        axes = az.plot_rank(idata, var_names=[v for v in RANK_VARS if v in idata.posterior
                                              and idata.posterior[v].size], coords=first)
        fig = axes.ravel()[0].figure
        fig.set_size_inches(9, 2.2 * ((axes.size + 2) // 3))
        fig.tight_layout()
        figures.append({"name": "rank", "section": "diagnostics", "title": "Rank plots",
                        "png": _png(fig)})
        _, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
        az.plot_energy(idata, ax=ax)
        figures.append({"name": "energy", "section": "diagnostics", "title": "Energy",
                        "png": _png(ax.figure)})
    figures += _health_figures(content)
    return figures


def _health_figures(content: ReportContent) -> list[dict]:
    health = content.health
    if health is None:
        return []
    figures = []
    if health.densities:
        cols = 4
        rows = -(-len(health.densities) // cols)
        with plt.rc_context(STYLE):
            # "tight", not "constrained": the same look here, a third less time for 24 panels.
            fig, axes = plt.subplots(rows, cols, figsize=(10, 1.7 * rows), layout="tight")
        for ax, (label, prior, post) in zip(axes.ravel(), health.densities, strict=False):
            plot_prior_posterior(prior, post, label, ax=ax)
        for ax in axes.ravel()[len(health.densities):]:
            ax.set_visible(False)
        figures.append({"name": "prior_posterior", "section": "health",
                        "title": "Prior (grey) and posterior (blue) of each parameter",
                        "png": _png(fig)})
    if health.claims_check is not None and len(health.claims_check):
        ax = plot_claims_check(health.claims_check)
        figures.append({"name": "claims_check", "section": "health",
                        "title": "Claims check against the track record", "png": _png(ax.figure)})
    return figures


#: Content-Security-Policy of every report: no scripts, no fetches, no frames, no forms; images
#: only from inline ``data:`` URIs and styles only from the page's own ``<style>``.
CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; "
       "form-action 'none'")


def template_env() -> jinja2.Environment:
    """Return the Jinja environment of the reports: autoescaped, strict, with the ``web_url`` test.

    ``web_url`` is :func:`forecast.data.schemas.is_web_url`, the check the row schemas make when a file
    is read, made again when a link is rendered; the templates' ``csp`` global is :data:`CSP`.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forecast.report", "templates"),
        autoescape=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["web_url"] = is_web_url
    env.globals["csp"] = CSP
    return env


def render_html(content: ReportContent, figures: list[dict]) -> str:
    """Render the HTML page; every string from data is escaped, and only web URLs become links."""
    images = {f["name"]: dict(f, data=base64.b64encode(f["png"]).decode()) for f in figures}
    return template_env().get_template("report.html").render(c=content, images=images)


def write_report(result, scenario, folder: Path, content: ReportContent | None = None,
                 timeline=None) -> Path:
    """Write ``report.html``, one PNG per figure and one CSV per table (formula-safe) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    content = content or build_content(result, scenario)
    if timeline is not None:
        content.timeline = timeline
    figures = draw_figures(content, result.idata)
    for fig in figures:
        atomic_write(folder / f"{fig['name']}.png", lambda p, b=fig["png"]: Path(p).write_bytes(b))
    tables = {"successor": content.successor, "departure": content.departure,
              "departure_windows": content.departure_windows, "joint": content.joint_windows,
              "rumours": content.rumours, "sources": content.sources,
              "parameters": content.param_summary}
    if content.timeline is not None:
        tables["timeline"] = content.timeline
    if content.destination is not None and len(content.destination):
        tables["destination"] = content.destination
    if content.health is not None:
        tables["prior_posterior"] = content.health.parameters
        tables["prior_sensitivity"] = content.health.sensitivity
        if content.health.claims_check is not None:
            tables["claims_check"] = content.health.claims_check
    for name, table in tables.items():
        write_csv(table, folder / f"{name}.csv")
    html = render_html(content, figures)
    atomic_write(folder / "report.html", lambda p: Path(p).write_text(html, encoding="utf-8"))
    return folder / "report.html"
