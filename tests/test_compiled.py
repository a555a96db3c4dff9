"""The sampler's C callbacks: cached per structure, and loaded without rebuilding the graph."""

import numpy as np
import nutpie
import nutpie.compile_pymc
import pymc as pm
import pytensor
import pytest

from forecast.inference import compiled, records

X = np.array([1.0, 2.0, 3.0])


def _model(scale: float) -> pm.Model:
    with pm.Model() as model:
        x = pm.Data("x", X * scale, shape=(3,))
        slope = pm.Normal("slope")
        sd = pm.HalfNormal("sd")
        pm.Normal("y", slope * x, sd, observed=np.array([0.4, 1.1, 1.4]))
    return model


def _draws(model) -> np.ndarray:
    trace = nutpie.sample(model, draws=60, tune=60, chains=2, seed=3, progress_bar=False)
    return np.concatenate([trace.posterior["slope"].values.ravel(),
                           trace.posterior["sd"].values.ravel()])


@pytest.fixture(scope="module")
def digest(tmp_path_factory):
    """A structure digest, and the model compiled once with it; records go to a test folder."""
    folder = tmp_path_factory.mktemp("records")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "record_path", lambda key: folder / f"{key}.json")
        key = records.structure_digest("test_compiled")
        yield key, compiled.compile_model(_model(1.0), key)


def _no_graph(*args, **kwargs):
    raise AssertionError("the graph was built again")


def test_a_recorded_structure_loads_without_building_the_graph(digest, monkeypatch):
    key, first = digest
    monkeypatch.setattr(nutpie.compile_pymc, "_make_functions", _no_graph)
    loaded = compiled.compile_model(_model(1.0), key)
    assert np.array_equal(_draws(loaded), _draws(first))


def test_a_loaded_model_reads_its_own_data(digest, monkeypatch):
    """The record keeps shapes, not values: a model of other data gets its own posterior."""
    key, first = digest
    monkeypatch.setattr(nutpie.compile_pymc, "_make_functions", _no_graph)
    loaded = compiled.compile_model(_model(2.0), key)
    expected = _draws(first.with_data(x=X * 2.0))
    assert np.array_equal(_draws(loaded), expected)
    assert not np.array_equal(expected, _draws(first))


def test_a_missing_or_garbled_record_compiles_as_before(digest, monkeypatch):
    key, first = digest
    calls = []
    make = nutpie.compile_pymc._make_functions
    monkeypatch.setattr(nutpie.compile_pymc, "_make_functions",
                        lambda *a, **k: calls.append(1) or make(*a, **k))
    other = records.structure_digest("test_compiled", "other")
    records.record_path(other).write_text("{not json")
    again = compiled.compile_model(_model(1.0), other)
    assert calls == [1]
    assert np.array_equal(_draws(again), _draws(first))
    compiled.compile_model(_model(1.0), None)  # no digest: no record is read or written
    assert calls == [1, 1]


def test_structure_digest_changes_with_every_part():
    assert records.structure_digest("a", (1, 2)) == records.structure_digest("a", (1, 2))
    assert records.structure_digest("a", (1, 2)) != records.structure_digest("a", (1, 3))


def test_new_data_is_copied_and_must_keep_its_shape(digest):
    _, first = digest
    x = X * 2.0
    moved = first.with_data(x=x)
    x[:] = 100.0  # the caller's array is not what the callbacks read
    assert np.array_equal(moved.shared_data["x"], X * 2.0)
    assert moved.user_data[0] == moved.shared_data["x"].ctypes.data
    with pytest.raises(ValueError, match="shape"):
        first.with_data(x=np.ones(4))


def test_with_numba_caching_off_no_record_is_used(digest):
    """A record names entries of numba's cache: with that cache off, the model compiles anew."""
    key, first = digest
    with pytensor.config.change_flags(numba__cache=False):
        again = compiled.compile_model(_model(1.0), key)
    assert np.array_equal(_draws(again), _draws(first))
