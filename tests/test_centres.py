"""Prior centres judged on resolved cases: the sweep's reweighting and its paired differences."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from forecast.evaluation.centres import SHIFTS, sweep


def _case(cutoff, rng, n=4000):
    """A case whose probability of the truth rises with a parameter drawn from N(0, 1)."""
    x = rng.normal(size=n)
    p = 1 / (1 + np.exp(-(x - 1.0)))
    ratios = {("tie", s): -(x - s) ** 2 / 2 + x**2 / 2 for s in SHIFTS}
    return {"case": str(cutoff), "cutoff": cutoff, "who": p, "when": p, "log_ratio": ratios}


def test_sweep_scores_a_shift_towards_what_happened_higher():
    rng = np.random.default_rng(0)
    cases = [_case(dt.date(2019, 1, 1), rng), _case(dt.date(2020, 1, 1), rng),
             _case(dt.date(2024, 1, 1), rng)]
    cases[1]["case_set"] = cases[2]["case_set"] = "calendar"
    table = sweep(cases).set_index(["parameter", "shift_sd", "period"])
    assert set(table.reset_index()["parameter"]) == {"tie"}  # no draws of the others
    up, down = table.loc[("tie", 1.0, "all")], table.loc[("tie", -1.0, "all")]
    assert up["cases"] == 3 and table.loc[("tie", 1.0, "before 2023"), "cases"] == 2
    # A case set is shown alone, across the periods: the two cases that name it.
    calendar = table.loc[("tie", 1.0, "calendar set")]
    assert calendar["cases"] == 2
    later = sweep(cases[1:]).set_index(["parameter", "shift_sd", "period"])
    assert calendar["difference"] == pytest.approx(later.loc[("tie", 1.0, "all"), "difference"])
    assert up["difference"] > 0.1 > -0.1 > down["difference"]
    # The reweighted mean equals the mean under the shifted prior: E[p(x)], x ~ N(1, 1).
    x = rng.normal(1.0, 1.0, 400_000)
    exact = np.log(np.mean(1 / (1 + np.exp(-(x - 1.0))))) - np.log(np.mean(cases[0]["who"]))
    assert table.loc[("tie", 1.0, "before 2023"), "difference"] == pytest.approx(exact, abs=0.03)
    # Weights from N(0, 1) to N(1, 1) keep an effective sample size of n * exp(-1).
    assert up["min_weight_ess"] == pytest.approx(4000 * np.exp(-1.0), rel=0.2)
    assert table.loc[("tie", 0.5, "all"), "min_weight_ess"] == pytest.approx(
        4000 * np.exp(-0.25), rel=0.1)


def test_sweep_scores_an_evidence_change_on_its_recomputed_forecasts():
    """An evidence change scores the reweighted mean of each draw's recomputed probability."""
    rng = np.random.default_rng(1)
    p = rng.uniform(0.1, 0.5, 1000)
    log_w = rng.normal(0, 0.3, 1000)
    case = {"case": "x", "cutoff": dt.date(2019, 1, 1), "who": p, "when": p,
            "log_ratio": {("every report x2", None): log_w},
            "changed": {("every report x2", None): {"who": 2 * p, "when": p}}}
    table = sweep([case]).set_index(["parameter", "score", "period"])
    w = np.exp(log_w) / np.exp(log_w).sum()
    row = table.loc[("every report x2", "who", "all")]
    assert row["difference"] == pytest.approx(np.log(w @ (2 * p)) - np.log(p.mean()))
    assert np.isnan(row["shift_sd"])
    assert table.loc[("every report x2", "when", "all"), "difference"] == pytest.approx(
        np.log(w @ p) - np.log(p.mean()))


@pytest.fixture(scope="module")
def default_inputs():
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs

    data = Path(__file__).resolve().parents[1] / "data"
    scenario = Scenario.load(data / "scenarios" / "real-madrid-2024.yaml")
    return build_inputs(scenario, scenario.spec.as_of, None)


def test_evidence_data_scales_the_named_kinds_and_strengths_and_reranks(default_inputs):
    from forecast.evaluation.centres import evidence_data
    from forecast.features.arrays import model_data

    inputs = default_inputs
    base = model_data(inputs)
    same = evidence_data(inputs, {})
    assert all(np.array_equal(same[k], base[k]) for k in base)
    kind_of = dict(zip(inputs.rumours["id"], inputs.rumours["claim"], strict=True))
    counted = [e for e in inputs.coding if e.status == "counted"]
    halved = evidence_data(inputs, {"kinds": {"joins": 0.5}, "scale": 0.8, "discount": 0.3,
                                    "strengths": {"strong": 2.0}})
    assert float(halved["discount"]) == 0.3
    assert {e.strength for e in counted} >= {"strong", "medium"}
    for i, _ in enumerate(inputs.posts):
        mine = [e for e in counted if e.proposition.post == i]
        expected = base[f"weight_{i}"].copy()
        expected[:len(mine)] *= [0.8 * (0.5 if kind_of[e.rumour_id] == "joins" else 1.0)
                                 * (2.0 if e.strength == "strong" else 1.0) for e in mine]
        np.testing.assert_allclose(halved[f"weight_{i}"], expected)
    # Reports set to weight 0 take no rank: the next report of their claim counts fully.
    gone = evidence_data(inputs, {"kinds": {k: 0.0 for k in set(kind_of.values()) - {"joins"}}})
    checked = 0
    for i, post in enumerate(inputs.posts):
        kept = gone[f"weight_{i}"] > 0
        mine = [kind_of[e.rumour_id] for e in counted if e.proposition.post == i]
        assert [k for k, on in zip(mine, kept, strict=False) if on] == [k for k in mine if k == "joins"]
        for g in np.unique(post.term_group[kept]):
            ranks = gone[f"rank_{i}"][kept & (post.term_group == g)]
            assert sorted(ranks) == list(range(len(ranks)))
            checked += 1
    assert checked >= 2


def test_kind_base_rates_add_to_each_reports_log_likelihood_ratio(default_inputs):
    from forecast.evaluation.centres import evidence_data, kind_offsets, log_lr
    from forecast.features.arrays import model_data
    from forecast.features.ranks import unit_scores
    from forecast.priors import resolve_priors

    inputs = default_inputs
    offsets = kind_offsets({"leaves": 0.4, "joins": -2.0, "shortlisted": -4.0, "talks": -1.5,
                            "agreement": -1.0, "stays": -1.0, "denial": -0.5})
    assert offsets == {"joins": 0.0, "shortlisted": -2.0, "talks": 0.5, "agreement": 1.0,
                       "stays": 0.0, "denial": 0.5}
    score = unit_scores(inputs.unit_prior, inputs.unit_tier, resolve_priors())
    base = model_data(inputs)
    changed = evidence_data(inputs, {"base_rates": True}, offsets, score)
    kind_of = dict(zip(inputs.rumours["id"], inputs.rumours["claim"], strict=True))
    counted = [e for e in inputs.coding if e.status == "counted"]
    seen = set()
    for i, _ in enumerate(inputs.posts):
        for j, item in enumerate(e for e in counted if e.proposition.post == i):
            kind = kind_of[item.rumour_id]
            x = (score[base[f"unit_{i}"][j]] + inputs.strength_offset[base[f"strength_{i}"][j]]
                 + inputs.soon_offset * base[f"soon_{i}"][j])
            # The report's log likelihood ratio at its expected reliability, before and after.
            before, after = base[f"weight_{i}"][j] * log_lr(x), changed[f"weight_{i}"][j] * log_lr(x)
            assert after == pytest.approx(max(before + offsets.get(kind, 0.0), 0.0)), (kind, x)
            seen.add(kind)
    assert {"joins", "shortlisted", "talks"} <= seen


def test_old_reports_fade_by_their_age_at_the_cutoff(default_inputs):
    from forecast.evaluation.centres import evidence_data
    from forecast.features.arrays import model_data

    inputs = default_inputs
    base = model_data(inputs)
    faded = evidence_data(inputs, {"half_life": 180})
    counted = [e for e in inputs.coding if e.status == "counted"]
    ages = set()
    for i, _ in enumerate(inputs.posts):
        for j, item in enumerate(e for e in counted if e.proposition.post == i):
            age = (inputs.as_of - item.date).days
            assert faded[f"weight_{i}"][j] == pytest.approx(base[f"weight_{i}"][j] * 0.5 ** (age / 180))
            ages.add(age)
    assert min(ages) < 30 and max(ages) > 300  # fresh and year-old reports both checked
