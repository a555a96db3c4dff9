"""The report renders from a small result built without MCMC; data text is escaped; it opens in Chromium."""

import base64
import csv
import hashlib
import shutil
import subprocess

import numpy as np
import pytest

from forecast.data.scenario import Scenario
from forecast.evaluation.simulate import prior_idata
from forecast.features.inputs import build_inputs
from forecast.inference.fit import diagnose
from forecast.inference.settings import SamplerSettings
from forecast.inference.states import outcome_draws
from forecast.priors import resolve_priors
from forecast.report.content import build_content
from forecast.report.render import render_html, write_report
from forecast.results.result import ForecastResult


def prior_result(scenario):
    """A ForecastResult whose 'posterior' is 2 x 40 prior draws: no sampling."""
    inputs = build_inputs(scenario)
    priors = resolve_priors(scenario.spec.priors)
    idata = prior_idata(inputs, priors, np.random.default_rng(0), chains=2, draws=40)
    idata.posterior = idata.posterior.assign(outcome_draws(inputs, idata.posterior)[0])
    diagnostics = diagnose(idata, ["sack_base", "appeal"])
    return ForecastResult.from_fit(scenario, inputs, priors, idata, diagnostics,
                                   SamplerSettings(draws=40, chains=2))


@pytest.fixture(scope="module")
def result():
    scenario = Scenario.load()
    return scenario, prior_result(scenario)


def test_content_is_complete(result):
    scenario, res = result
    content = build_content(res, scenario, influence_draws=40)
    assert len(content.rumours) == len(res.inputs.rumours)
    assert set(content.rumours["status"]) <= {"counted", "echo", "repeat", "not modelled"}
    counted = content.rumours[content.rumours["status"] == "counted"]
    assert counted["effect"].str.contains("pp").all()
    assert set(content.sources["source"]) == {u for u in res.inputs.units if "spare" not in u}
    assert ((content.sources["lo"] >= 0.5) & (content.sources["hi"] <= 1.0)).all()
    lines = content.headlines
    assert lines[0].startswith("Real Madrid changes coach by the end of")
    assert lines[1].startswith("If Real Madrid changes coach, the ")
    # "Most likely" only above 50%; below it the top outcome is called the single most likely.
    share = float(lines[1].split(" successor is ")[1].split("%")[0].rsplit(" ", 1)[1]) / 100
    assert ("the most likely successor" in lines[1]) == (share > 0.5)
    assert any(" leaves Bayer Leverkusen by the end of " in h for h in lines)
    # The rumours that moved the first headline most, largest first, with the claim read from each.
    movers = content.movers
    assert 1 <= len(movers) <= 5 and movers["coded_as"].str.len().min() > 10
    assert np.all(np.diff(movers["change_pp"].abs().to_numpy()) <= 1e-12)
    assert set(movers["id"]) <= set(counted["id"])
    # The table starts from the headline's own value (all draws), not the thinned draws' mean.
    headline = res.headline_table().set_index("metric")["mean"][movers["metric"].iloc[0]]
    assert np.allclose(movers["p_with"], headline)
    assert np.allclose(movers["p_with"] - movers["p_without"], movers["change_pp"] / 100)
    sums = res.successor.groupby("club")["mean"].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0, atol=1e-9)
    assert content.priors["citation"].str.len().min() > 10


def test_failed_run_shows_a_banner(result):
    scenario, res = result
    content = build_content(res, scenario, influence_draws=20)
    content.diagnostics = {**content.diagnostics, "passed": False}
    assert 'role="alert"' in render_html(content, [])
    content.diagnostics = {**content.diagnostics, "passed": True}
    assert 'role="alert"' not in render_html(content, [])


def test_text_from_data_is_escaped(scenario_copy):
    path = scenario_copy.parent.parent / "rumours" / "real-madrid-2024.csv"
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    rows[-1]["summary"] = '<script>alert("x")</script> <b>bold</b>'
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    scenario = Scenario.load(scenario_copy)
    content = build_content(prior_result(scenario), scenario, influence_draws=20)
    # A URL that is not http(s) is refused when the file is read (tests/test_hostile.py); the
    # template checks again, so one that slipped into the content still renders as text.
    content.rumours.loc[content.rumours.index[-1], "url"] = 'javascript:alert(1)" onmouseover="x'
    html = render_html(content, [])
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'onmouseover="x' not in html and 'href="javascript' not in html
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;' in html


def test_report_files_are_written(result, tmp_path):
    scenario, res = result
    path = write_report(res, scenario, tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"report.html", "successor_real_madrid.png", "departure_xabi_alonso.png", "rank.png",
            "energy.png", "rumours.csv", "successor.csv", "departure.csv", "prior_posterior.png",
            "prior_posterior.csv", "prior_sensitivity.csv"} <= names
    assert not [n for n in names if n.startswith(".")]  # no temporary files left behind
    html = path.read_text()
    assert html.count("data:image/png;base64,") >= 5 and "http://" not in html.split("<body>")[0]
    # The model-health section says what the data taught and how much the answers lean on priors.
    assert "7. Model health" in html and "The data narrowed" in html and "sd x1.25" in html
    # 80 draws are too few for importance weights to speak: the report says so, marking them.
    assert "need a refit to be trusted" in html and "*</td>" in html


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHECK = """
window.addEventListener('load', () => {
  const imgs = [...document.images];
  const bad = imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length;
  const links = [...document.querySelectorAll('a[href]')];
  const live = links.filter(a => !a.getAttribute('href').startsWith('#')
                                 && !['http:', 'https:'].includes(a.protocol)).length;
  document.body.setAttribute('data-check',
    `images=${imgs.length} links=${links.length} nonweb=${live} broken=${bad}`);
});
"""
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]


def probed(html: str, extra: str = "") -> str:
    """The page with the CHECK script added, allowed by its hash in the page's own CSP."""
    digest = base64.b64encode(hashlib.sha256(CHECK.encode()).digest()).decode()
    html = html.replace("img-src data:;", f"img-src data:; script-src &#39;sha256-{digest}&#39;;", 1)
    assert digest in html  # the CSP meta is there and now names the probe
    return html.replace("</body>", f"<script>{CHECK}</script>{extra}</body>")


def chromium_check(page, tmp_path) -> tuple[dict, subprocess.CompletedProcess]:
    """Open a page in headless Chromium; return the CHECK counts and the run."""
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom",
                          page.as_uri()], capture_output=True, text=True, timeout=120)
    assert 'data-check="images=' in dom.stdout, dom.stderr[-2000:]
    check = dom.stdout.split('data-check="')[1].split('"')[0]
    return {k: int(v) for k, v in (part.split("=") for part in check.split())}, dom


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_report_opens_in_headless_chromium(result, tmp_path):
    scenario, res = result
    path = write_report(res, scenario, tmp_path)
    probe = tmp_path / "probe.html"
    probe.write_text(probed(path.read_text()))
    check, dom = chromium_check(probe, tmp_path)
    assert check["images"] >= 5 and check["broken"] == 0, check  # images shown under the CSP
    assert check["links"] > 20 and check["nonweb"] == 0, check
    console = [line for line in dom.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    shot = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--window-size=1200,2400",
                           f"--screenshot={tmp_path / 'shot.png'}", path.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert (tmp_path / "shot.png").stat().st_size > 10_000, shot.stderr[-2000:]


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_javascript_url_gives_no_live_link_in_chromium(result, tmp_path):
    scenario, res = result
    content = build_content(res, scenario, influence_draws=20)
    content.rumours.loc[content.rumours.index[0], "url"] = "javascript:alert(document.domain)"
    content.data_sources.append({"what": "hostile", "file": "JavaScript:alert(1)"})
    html = render_html(content, [])
    assert "alert(document.domain)" in html  # shown as text...
    page = tmp_path / "page.html"
    # ...and an inline script the page did not ship is blocked by its Content-Security-Policy.
    page.write_text(probed(html, "<script>document.body.setAttribute('data-pwned', '1')</script>"))
    check, dom = chromium_check(page, tmp_path)
    assert check["nonweb"] == 0 and check["links"] > 10, check
    assert 'data-pwned="1"' not in dom.stdout
    assert 'href="javascript' not in dom.stdout.lower()
