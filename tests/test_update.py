"""The fast in-process update: reweighting a full run must agree with refitting on the new data."""

import numpy as np
import pytest
from conftest import strong_top_tier_hit_rate

import forecast
import forecast.inference.update as reweight
from forecast.cli import main
from forecast.data.scenario import Scenario
from forecast.data.store import add_rumour
from forecast.errors import DataValidationError
from forecast.inference.fit import fit
from forecast.inference.whatif import WhatIf, check_edit, whatif

# A strong report on a claim no outlet had made, dated on the scenario's as-of day, from an outlet
# of the sources table (a spare reliability unit: the structure and compiled model are unchanged).
STRONG = dict(date="2024-11-15", source="Marca", subject="Vincent Kompany", claim="agreement",
              club="Real Madrid", window="2025-05/2025-08", url="https://example.org/deal",
              summary="Marca says a deal is agreed.")
# The default seed: the track-record fit it needs is then shared with the other tests.
SETTINGS = dict(draws=500, tune=500, chains=4, seed=20241115)


def kompany(result):
    """Per-draw P(Kompany is the next Real Madrid coach) and its mean."""
    draws = result.idata.posterior["successor_real_madrid"].sel(
        real_madrid_outcome="Vincent Kompany").values.ravel()
    return draws, float(draws.mean())


@pytest.fixture(scope="module")
def fits(tmp_path_factory):
    import shutil

    from conftest import DATA

    root = tmp_path_factory.mktemp("update")
    shutil.copytree(DATA, root / "data", ignore=shutil.ignore_patterns("_incoming"))
    path = root / "data" / "scenarios" / "real-madrid-2024.yaml"
    scenario = Scenario.load(path)
    base = fit(scenario, **SETTINGS)
    add_rumour(scenario, STRONG)
    return base, scenario.reload()


def test_update_agrees_with_refit(fits):
    base, added = fits
    updated = forecast.update(base, added)
    assert updated.idata.posterior.attrs["method"] == "importance"
    assert updated.diagnostics["passed"] and updated.diagnostics["weight_ess"] >= 400
    refit = fit(added, **SETTINGS)
    d_upd, m_upd = kompany(updated)
    d_ref, m_ref = kompany(refit)
    _, m_base = kompany(base)
    # The new strong report must move the forecast, and both routes must move it alike: within
    # four combined standard errors (draws are near-independent for these Rao-Blackwellised
    # probabilities; ESS is used for the update's weights).
    assert m_ref > m_base + 0.02
    se = np.sqrt(d_upd.var() / updated.diagnostics["weight_ess"] + d_ref.var() / d_ref.size)
    assert abs(m_upd - m_ref) < 4 * se, (m_upd, m_ref, se)
    # A second update reweights the same full run (not the reweighted one).
    again = forecast.update(updated, added)
    assert again.base is base.idata
    assert kompany(again)[1] == pytest.approx(m_upd, abs=1e-12)


def test_update_refits_when_weights_collapse(fits, monkeypatch):
    base, added = fits
    said = []
    monkeypatch.setattr(reweight, "MIN_ESS", 10**9)
    result = forecast.update(base, added, say=said.append)
    assert result.idata.posterior.attrs["method"] == "nuts"
    assert said and "effective draws" in said[0]


def test_update_without_base_fits(fits):
    _, added = fits
    said = []
    result = forecast.update(None, added, say=said.append)
    assert result.idata.posterior.attrs["method"] == "nuts"
    assert said == ["full refit (no earlier full run to update)..."]


def _with_rumour(tmp_path_factory, **fields):
    """A fresh copy of the data with one rumour added (the module's fit is left as it was)."""
    import shutil

    from conftest import DATA

    root = tmp_path_factory.mktemp("one-more")
    shutil.copytree(DATA, root / "data", ignore=shutil.ignore_patterns("_incoming"))
    scenario = Scenario.load(root / "data" / "scenarios" / "real-madrid-2024.yaml")
    add_rumour(scenario, fields)
    return scenario.reload()


def _headlines(result):
    return result.headline_table().set_index("metric")["mean"]


def test_one_weak_report_moves_no_headline_by_more_than_ten_points(fits, tmp_path_factory):
    base, _ = fits
    added = _with_rumour(tmp_path_factory, date="2024-11-15", source="Daily Star",
                         subject="Xabi Alonso", claim="denial", club="Real Madrid",
                         strength="weak", url="https://example.org/no",
                         summary="A tabloid says Madrid have ruled Alonso out.")
    moved = (_headlines(forecast.update(base, added)) - _headlines(base)).abs()
    assert moved.max() <= 0.10, moved.sort_values().tail(3)


@pytest.fixture(scope="module")
def strong_report(fits, tmp_path_factory):
    """P(Kompany next Madrid coach) before and after The Athletic reports an agreement for next
    summer, and the track record's hit rate of such claims (strong, tier 1, not about the next
    weeks)."""
    base, _ = fits
    added = _with_rumour(tmp_path_factory, **{**STRONG, "source": "The Athletic",
                                              "strength": "strong"})
    return (kompany(base)[1], kompany(forecast.update(base, added))[1],
            strong_top_tier_hit_rate(base.scenario))


def test_one_strong_top_tier_report_moves_its_claim(strong_report):
    p0, p1, _ = strong_report
    assert p1 > 2 * p0 and p1 - p0 > 0.05, (p0, p1)


def test_one_strong_top_tier_report_moves_its_claim_a_third_of_the_way(strong_report):
    p0, p1, hit_rate = strong_report
    assert p1 - p0 >= (hit_rate - p0) / 3, (p0, p1, hit_rate)


# -- what-if questions on the default scenario ------------------------------------------------

def test_whatif_assuming_a_claim_conditions_the_forecast(fits):
    """If the Daily Mail's report (r012: Real Madrid want Alonso, no window: any month to the
    horizon) is true, Alonso is the next coach in every draw; if false, never in its window."""
    base, _ = fits
    scenario = base.scenario
    alonso = "P(Xabi Alonso next Real Madrid coach)"
    true = whatif(base, scenario, WhatIf(assume_true=("r012",)))
    assert _metric(true, alonso) == pytest.approx(1.0, abs=1e-9)
    false = whatif(base, scenario, WhatIf(assume_false=("r012",)))
    item = next(e for e in false.inputs.coding if e.rumour_id == "r012")
    window = [false.inputs.grid.labels[m] for m in item.proposition.months]
    joint = false.joint[(false.joint["club"] == "Real Madrid")
                        & (false.joint["candidate"] == "Xabi Alonso")]
    assert len(window) >= 3 and joint[joint["month"].isin(window)]["mean"].max() < 1e-9
    assert _metric(false, alonso) < _metric(base, alonso) - 0.1
    assert not scenario.assumed  # the stored scenario is untouched


def _metric(result, name):
    table = result.headline_table().set_index("metric")["mean"]
    return float(table[name])


def test_whatif_losses_raise_the_chance_of_a_change_and_save_nothing(fits):
    base, _ = fits
    scenario = base.scenario
    stored = {p: p.read_bytes() for p in scenario.files.values() if p.exists()}
    question = WhatIf(matches=(("Real Madrid", "loss"),) * 3)
    after = whatif(base, scenario, question)
    assert after.idata.posterior.attrs["method"] == "importance"
    no_change = "P(no vacancy at Real Madrid)"
    assert _metric(after, no_change) < _metric(base, no_change) - 0.03
    assert question.describe() == "Real Madrid play 3 more league match(es) (3 losses)"
    assert {p: p.read_bytes() for p in stored} == stored


def test_whatif_setting_reports_aside_takes_them_out_of_the_evidence(fits):
    base, _ = fits
    scenario = base.scenario
    alonso = "P(Xabi Alonso next Real Madrid coach)"
    # The Daily Mail's two reports that Alonso is wanted (shortlisted, joins).
    after = whatif(base, scenario, WhatIf(drop_rumours=("r012", "r016a")))
    assert after.idata.posterior.attrs["method"] == "importance"
    counted = {e.rumour_id for e in after.inputs.coding if e.status == "counted"}
    assert not counted & {"r012", "r016a"}
    assert _metric(after, alonso) < _metric(base, alonso) - 0.05
    # Setting an outlet aside removes every one of its reports (as of the date), nothing else.
    rumours = scenario.active_rumours()
    edited = check_edit(scenario, WhatIf(drop_sources=("Daily Mail",)), scenario.spec.as_of)
    gone = set(rumours["id"]) - set(edited.active_rumours()["id"])
    assert gone == set(rumours.loc[rumours["source"] == "Daily Mail", "id"]) and {"r012", "r016a"} < gone


@pytest.mark.parametrize(("question", "needle"), [
    (WhatIf(drop_sources=("Marka Daily",)), "unknown source"),
    (WhatIf(drop_sources=("Marca",)), "no counted report"),
    (WhatIf(drop_rumours=("r999",)), "not a counted rumour"),
    (WhatIf(matches=(("Real Madrid CF", "loss"),)), "unknown club"),
    (WhatIf(matches=(("Real Madrid Castilla", "loss"),)), "reads no results"),
    (WhatIf(assume_true=("r999",)), "not a rumour known"),
    (WhatIf(assume_true=("r012",), assume_false=("r012",)), "both true and false"),
])
def test_whatif_refuses_a_question_it_cannot_answer_before_any_sampling(question, needle):
    scenario = Scenario.load("real-madrid-2024")
    with pytest.raises(DataValidationError, match=needle):
        check_edit(scenario, question, scenario.spec.as_of)


def test_whatif_refuses_a_match_for_a_club_whose_results_have_stopped():
    """A match added after a long gap would start a new run of form, which one match leaves
    neutral: the what-if would silently change nothing."""
    import datetime as dt

    scenario = Scenario.load("real-madrid-2024")
    last = scenario.results["Date"].max()
    question = WhatIf(matches=(("Real Madrid", "loss"),))
    check_edit(scenario, question, last + dt.timedelta(days=120))
    with pytest.raises(DataValidationError, match="in the 120 days before"):
        check_edit(scenario, question, last + dt.timedelta(days=121))


def test_whatif_command_reweights_the_saved_run(fits, tmp_path, capsys):
    base, _ = fits
    base.save(tmp_path)
    args = ["whatif", str(base.scenario.path), "--out", str(tmp_path), "--club", "Real Madrid",
            "--lose", "2", "--win", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "What if Real Madrid play 3 more league match(es) (1 win, 2 losses)?" in out
    assert "P(no vacancy at Real Madrid): " in out and "full refit" not in out
    assert main(["whatif", str(base.scenario.path), "--lose", "2"]) == 2
    assert "need --club" in capsys.readouterr().err


def test_new_odds_reweight_the_appeal_prior(fits, tmp_path_factory):
    """Odds move candidates' prior centres, not the likelihood: the update reweights each draw by
    its prior ratio, so a market that favours Alonso raises him without a refit."""
    import shutil

    from conftest import DATA

    base, _ = fits
    root = tmp_path_factory.mktemp("odds") / "data"
    shutil.copytree(DATA, root, ignore=shutil.ignore_patterns("_incoming"))
    (root / "odds.csv").write_text(
        "snapshot,date,bookmaker,club,name,price,url,note\n"
        "s1,2024-11-10,Sky Bet,Real Madrid,Xabi Alonso,3.0,https://example.org/odds,\n"
        "s1,2024-11-10,Sky Bet,Real Madrid,Zinedine Zidane,6.0,https://example.org/odds,\n"
        "s1,2024-11-10,Sky Bet,Real Madrid,Mauricio Pochettino,8.0,https://example.org/odds,\n")
    path = root / "scenarios" / "real-madrid-2024.yaml"
    path.write_text(path.read_text().replace("  track_record: ../track_record.csv",
                                             "  track_record: ../track_record.csv\n  odds: ../odds.csv"))
    after = forecast.update(base, Scenario.load(path))
    assert after.idata.posterior.attrs["method"] == "importance"
    assert after.diagnostics["weight_ess"] > 100
    alonso = "P(Xabi Alonso next Real Madrid coach)"
    assert _metric(after, alonso) > _metric(base, alonso) + 0.02
    import json

    (market,) = json.loads(json.dumps(after.summary()))["markets"]  # summary.json's entry
    assert market["bookmaker"] == "Sky Bet" and market["date"] == "2024-11-10"
    # A partial book (inverse prices sum below 1): plain inverse prices, the rest to the field.
    assert market["names"][0] == "Xabi Alonso"
    assert sum(market["probabilities"]) == pytest.approx(1 / 3 + 1 / 6 + 1 / 8)


def test_surprise_sensitivity_reweights_the_fit_exactly(fits):
    from forecast.inference.health import surprise_sensitivity

    base, _ = fits
    table = surprise_sensitivity(base, factors=(1.0, 0.0, 2.0)).set_index(["scale", "metric"])
    alonso = "P(Xabi Alonso next Real Madrid coach)"
    # Scaled by 1 the data are the fit's own: every draw keeps its weight, nothing moves.
    same = table.loc[1.0]
    assert np.allclose(same["after"], same["before"]) and np.allclose(same["weight_ess"], 2000)
    # Reports of Alonso were less expected than what else was reported: weighing surprise more
    # raises him, weighing it not at all lowers him, and enough draws keep weight to say so.
    assert table.loc[(0.0, alonso), "after"] < table.loc[(1.0, alonso), "after"] \
        < table.loc[(2.0, alonso), "after"]
    assert (table["weight_ess"] > 1000).all()


def test_an_updated_forecast_can_be_reweighted_again(fits):
    # The update keeps each kept draw's evidence on the new data, so the report's sensitivity to
    # the reports' surprise is shown after `rumour add` too; scaled by 1 nothing moves.
    from forecast.inference.health import surprise_sensitivity

    base, scenario = fits
    updated = forecast.update(base, scenario)
    assert updated.idata.posterior.attrs["method"] == "importance"
    same = surprise_sensitivity(updated, factors=(1.0,))
    assert len(same) and np.allclose(same["after"], same["before"])
    assert np.allclose(same["weight_ess"], updated.idata.posterior.sizes["draw"])


def test_an_update_on_the_fits_own_data_gives_the_fits_numbers(fits):
    # What-if and `rumour add` print "before" from such an update: it must be the saved run's.
    import dataclasses

    base, scenario = fits
    own = dataclasses.replace(scenario, rumours=scenario.rumours.iloc[:-1])  # without STRONG
    same = forecast.update(base, own)
    assert same.diagnostics["weight_ess"] == pytest.approx(2000)
    np.testing.assert_allclose(same.headline_table()[["mean", "lo", "hi"]].to_numpy(),
                               base.headline_table()[["mean", "lo", "hi"]].to_numpy(), atol=1e-12)
