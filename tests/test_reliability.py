"""Source reliability from the track record: time-respecting, recovers known reliabilities."""

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from forecast.data.scenario import Scenario
from forecast.model.track_record import build_reliability_model, track_inputs
from forecast.priors import resolve_priors


def test_only_claims_resolved_before_the_as_of_date_count():
    s = Scenario.load()
    inputs = track_inputs(s.track_record, s.sources, dt.date(2022, 1, 1), s.source_names())
    used = inputs.claims[inputs.used == 1]
    assert len(used) > 0 and (used["resolution_date"] < dt.date(2022, 1, 1)).all()
    later = inputs.claims[inputs.used == 0]
    assert (later["resolution_date"] >= dt.date(2022, 1, 1)).all()


def test_track_record_meets_its_floor():
    s = Scenario.load()
    track = s.track_record
    units = {s.canonical_source(name) for name in track["source"]}
    countries = set(s.sources.set_index("name").loc[sorted(units), "country"])
    assert len(track) >= 300 and len(units) >= 40 and len(countries) >= 5
    assert 0.25 < track["came_true"].mean() < 0.75  # failures collected as well as hits


#: The reliability offset of a claim about the next weeks in the simulated track record.
SOON = 1.0


def _simulated(rng, n_sources=12, n_claims=60):
    tiers = np.repeat([1, 2, 3, 4], n_sources // 4)
    psi = np.array([2.0, 0.75, -0.25, -1.25])[tiers - 1] + rng.normal(0, 0.8, n_sources)
    sources = pd.DataFrame({"name": [f"s{j}" for j in range(n_sources)], "kind": "sports_daily",
                            "country": "GB", "tier": tiers, "line": 0})
    rows = []
    for j in range(n_sources):
        for k in range(n_claims):
            soon = k % 2  # every other claim is about the next weeks
            logit = -1.0 + np.log1p(2 * np.exp(psi[j] + SOON * soon))
            # Every claim is about a different move: each is an event of its own.
            rows.append({"id": f"c{j}-{k}", "source": f"s{j}", "journalist": None, "claim": "joins",
                         "subject": f"coach {j}-{k}", "club": "X", "claim_date": dt.date(2019, 1, 1),
                         "strength": "medium", "echo_of": None,
                         "window": "2019-02" if soon else "2019-06/2019-12",
                         "resolution_date": dt.date(2020, 1, 1),
                         "came_true": int(rng.random() < 1 / (1 + np.exp(-logit)))})
    return psi, sources, pd.DataFrame(rows)


@pytest.mark.slow
def test_recovers_known_reliabilities():
    """A statistical check (NUTS on 2 x 500 draws): with the slow ones, not in the default run."""
    rng = np.random.default_rng(4)
    psi, sources, track = _simulated(rng)
    alias = {n.lower(): n for n in sources["name"]}
    inputs = track_inputs(track, sources, dt.date(2021, 1, 1), alias)
    with build_reliability_model(inputs, resolve_priors()) as model:
        model["base_rate"]  # noqa: B018 - the model has per-kind base rates
        idata = pm.sample(500, tune=500, chains=2, cores=1, random_seed=3, progressbar=False,
                          target_accept=0.95, compute_convergence_checks=False)
    post = idata.posterior["psi"].values.reshape(-1, len(psi))
    lo, hi = np.quantile(post, [0.05, 0.95], axis=0)
    covered = np.mean((psi >= lo) & (psi <= hi))
    assert covered >= 0.75, (psi, lo, hi)
    assert np.corrcoef(post.mean(axis=0), psi)[0, 1] > 0.7
    # The simulated claims hold with log-odds -1.0 before any report: the base rate is recovered.
    base = idata.posterior["base_rate"].sel(claim_kind="joins").values
    lo, hi = np.quantile(base, [0.05, 0.95])
    assert lo < -1.0 < hi and abs(base.mean() - (-1.0)) < 0.5, (lo, base.mean(), hi)
    # Claims about the next weeks are more reliable by SOON: the offset is recovered.
    soon = idata.posterior["soon"].values
    lo, hi = np.quantile(soon, [0.05, 0.95])
    assert lo < SOON < hi and abs(soon.mean() - SOON) < 0.5, (lo, soon.mean(), hi)


@pytest.mark.slow
def test_learned_beats_tier_priors_out_of_time():
    from forecast.evaluation.sources import out_of_time

    scores = out_of_time(Scenario.load(), dt.date(2023, 7, 1), resolve_priors())
    assert scores["learned"] > scores["tier_only"], scores


def test_cache_home_prefers_forecast_cache_then_xdg(monkeypatch, tmp_path):
    from forecast.data.paths import cache_home

    monkeypatch.setenv("FORECAST_CACHE", str(tmp_path / "mine"))
    assert cache_home() == tmp_path / "mine"
    monkeypatch.delenv("FORECAST_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_home() == tmp_path / "xdg" / "forecast"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_home() == Path.home() / ".cache" / "forecast"


def test_a_stored_fit_is_reused_by_a_fresh_process_and_a_changed_record_refits(monkeypatch, tmp_path):
    """The disk cache is keyed by the claims, not by a reports folder: a later command finds the fit
    (the per-process memo cleared here stands for a new process) unless the track record changed.
    Only a fit that runs calls ``before_fit`` (where a forecast starts compiling alongside it)."""
    import forecast.inference.reliability as rel
    from forecast.inference.settings import SamplerSettings

    s = Scenario.load()
    priors = resolve_priors(s.spec.priors, str(s.path))
    settings = SamplerSettings(track_draws=60, track_tune=60, track_chains=2, seed=3)
    monkeypatch.setattr(rel, "_FITS", {})
    calls = []
    first = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path,
                                  before_fit=lambda: calls.append("fit"))
    assert len(list((tmp_path / "reliability").glob("*.json"))) == 1 and calls == ["fit"]
    monkeypatch.setattr(rel, "_FITS", {})

    def refuse(*args, **kwargs):
        raise AssertionError("refitted")

    monkeypatch.setattr(rel, "sample_track_record", refuse)
    again = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path,
                                  before_fit=lambda: calls.append("fit"))
    pd.testing.assert_frame_equal(first.table, again.table)
    assert calls == ["fit"]  # a stored fit leaves nothing to compile alongside
    s.track_record.loc[s.track_record.index[0], "came_true"] ^= 1
    with pytest.raises(AssertionError, match="refitted"):
        rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)


def test_listing_a_source_without_claims_changes_no_other_source(monkeypatch):
    """Sources listed for a scenario's rumours alone get no parameter of the track-record model:
    adding one (of a known country or a new one) leaves every other source's learned reliability
    as it was, to the last digit, and the new one gets its groups' prediction."""
    import forecast.inference.reliability as rel
    from forecast.inference.settings import SamplerSettings

    s = Scenario.load()
    priors = resolve_priors(s.spec.priors, str(s.path))
    settings = SamplerSettings(track_draws=60, track_tune=60, track_chains=2, seed=3)
    monkeypatch.setattr(rel, "_FITS", {})
    before = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings).table
    extra = s.sources.iloc[[0, 0]].copy()
    extra["name"] = ["Gazeta Zeta", "Diario Nuevo"]
    extra["aliases"] = [None, None]
    extra["country"] = ["ZZ", extra["country"].iloc[1]]  # no listed source is from ZZ
    extra["tier"] = 4
    s.sources = pd.concat([s.sources, extra], ignore_index=True)
    monkeypatch.setattr(rel, "_FITS", {})
    after = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings).table
    assert "ZZ" not in set(before["country"])
    pd.testing.assert_frame_equal(after.iloc[:len(before)], before)
    new = after.set_index("source").loc[["Gazeta Zeta", "Diario Nuevo"]]
    assert (new["claims"] == 0).all() and (new["psi_sd"] > 0.3).all()
    assert (new["rho_lo"] > 0.5).all() and (new["rho_hi"] < 1).all()
    tier4 = before[(before["tier"] == 4) & (before["claims"] == 0)]["psi_mean"]
    assert abs(new["psi_mean"].mean() - tier4.mean()) < 1.0

    # Asked again with the same listing, the process predicts nothing anew, and the table it
    # hands out is a copy: changing one changes no later answer.
    def refuse(*args, **kwargs):
        raise AssertionError("predicted again")

    monkeypatch.setattr(rel, "new_source_logits", refuse)
    again = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings).table
    pd.testing.assert_frame_equal(again, after)
    again["psi_mean"] = 0.0
    pd.testing.assert_frame_equal(rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings).table,
                                  after)


def test_an_unusable_cache_costs_a_refit_not_the_forecast(monkeypatch, tmp_path):
    """A garbled cache file is refitted over; a cache folder that cannot be created is skipped."""
    import forecast.inference.reliability as rel
    from forecast.inference.settings import SamplerSettings

    s = Scenario.load()
    priors = resolve_priors(s.spec.priors, str(s.path))
    settings = SamplerSettings(track_draws=60, track_tune=60, track_chains=2, seed=3)
    monkeypatch.setattr(rel, "_FITS", {})  # as a new process: an earlier test memoised this fit
    rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)
    [stored] = (tmp_path / "reliability").glob("*.json")
    for garbled in ("{not json", '{"table": {}, "diagnostics": {}, "groups": {"kind": 3}}'):
        stored.write_text(garbled)  # not JSON; JSON of the wrong shape
        monkeypatch.setattr(rel, "_FITS", {})
        again = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)
        assert len(again.table) and stored.read_text().startswith("{\"table\"")
    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the cache folder should be
    monkeypatch.setattr(rel, "_FITS", {})
    fit = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=blocked / "c")
    assert len(fit.table)


def test_every_prior_the_track_record_model_reads_keys_its_cached_fit(monkeypatch, tmp_path):
    """``source_z`` is read by the track-record model, so overriding it refits; overriding a
    succession-model prior reuses the stored fit."""
    import dataclasses

    import forecast.inference.reliability as rel
    from forecast.inference.settings import SamplerSettings

    s = Scenario.load()
    priors = resolve_priors(s.spec.priors, str(s.path))
    settings = SamplerSettings(track_draws=60, track_tune=60, track_chains=2, seed=3)
    monkeypatch.setattr(rel, "_FITS", {})
    rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)

    def refuse(*args, **kwargs):
        raise AssertionError("refitted")

    monkeypatch.setattr(rel, "sample_track_record", refuse)
    other = {**priors, "sack_base": dataclasses.replace(priors["sack_base"], sigma=2.0)}
    rel.learn_reliability(s, dt.date(2023, 1, 1), other, settings, cache_dir=tmp_path)
    wider = {**priors, "source_z": dataclasses.replace(priors["source_z"], sigma=2.0)}
    with pytest.raises(AssertionError, match="refitted"):
        rel.learn_reliability(s, dt.date(2023, 1, 1), wider, settings, cache_dir=tmp_path)


def test_a_stored_fit_predicts_a_source_listed_after_it_without_refitting(monkeypatch, tmp_path):
    """Adding an outlet with no claim (as every new case's rumours do) reuses the stored fit, and
    the table is the one a new fit would give, to the last digit."""
    import forecast.inference.reliability as rel
    from forecast.inference.settings import SamplerSettings

    s = Scenario.load()
    priors = resolve_priors(s.spec.priors, str(s.path))
    settings = SamplerSettings(track_draws=60, track_tune=60, track_chains=2, seed=3)
    monkeypatch.setattr(rel, "_FITS", {})
    rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)
    extra = s.sources.iloc[[0]].copy()
    extra["name"], extra["aliases"], extra["country"], extra["tier"] = "Gazeta Zeta", None, "ZZ", 4
    s.sources = pd.concat([s.sources, extra], ignore_index=True)
    monkeypatch.setattr(rel, "_FITS", {})
    fresh = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings).table

    def refuse(*args, **kwargs):
        raise AssertionError("refitted")

    monkeypatch.setattr(rel, "sample_track_record", refuse)
    monkeypatch.setattr(rel, "_FITS", {})  # as a new process
    stored = rel.learn_reliability(s, dt.date(2023, 1, 1), priors, settings, cache_dir=tmp_path)
    assert "Gazeta Zeta" in set(stored.table["source"])
    pd.testing.assert_frame_equal(stored.table, fresh)
