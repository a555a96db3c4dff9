"""The state posterior forecasts use: compiled by numba once, then loaded from numba's cache."""

import numpy as np
import pytest

from forecast.evaluation.bruteforce import enumerate_joint
from forecast.evaluation.simulate import random_inputs
from forecast.features.arrays import model_data
from forecast.inference import records, states
from forecast.model.draws import draw_params
from forecast.priors import resolve_priors

CHUNK = 4


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """Inputs of a small random structure, its state posterior compiled and recorded once."""
    folder = tmp_path_factory.mktemp("records")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(records, "record_path", lambda key: folder / f"{key}.json")
        inputs = random_inputs(np.random.default_rng(6), T=3, n_cand=2, n_terms=5, chain=True)
        yield inputs, states.load_state_posterior(inputs, chunk=CHUNK)


def _values(inputs, n: int) -> dict:
    rng = np.random.default_rng(1)
    draws = [draw_params(rng, resolve_priors(), inputs) for _ in range(n)]
    return {k: np.stack([np.asarray(d[k]) for d in draws]) for k in draws[0]}


def _no_graph(*args, **kwargs):
    raise AssertionError("the graph was built again")


def test_a_recorded_state_posterior_loads_without_its_graph(recorded, monkeypatch):
    inputs, compiled = recorded
    monkeypatch.setattr(states, "state_posterior_graph", _no_graph)
    loaded = states.load_state_posterior(inputs, chunk=CHUNK)
    values = _values(inputs, 2 * CHUNK + 1)  # three chunks, the last one padded
    log_z, marg = loaded(values)
    ref_log_z, ref_marg = compiled(values)
    assert np.array_equal(log_z, ref_log_z)
    assert all(np.array_equal(a, b) for a, b in zip(marg, ref_marg, strict=True))
    # ... and it is still the exact posterior.
    first = {k: v[0] for k, v in values.items()}
    brute_log_z, brute = enumerate_joint(inputs, first)
    assert log_z[0] == pytest.approx(brute_log_z, abs=1e-9)
    for got, ref in zip(marg, brute, strict=True):
        np.testing.assert_allclose(got[0], ref, atol=1e-9)


def test_data_of_any_layout_reaches_the_loaded_function(recorded, monkeypatch):
    """numba's cache is looked up by argument types: read-only or strided data must not miss."""
    inputs, _ = recorded
    monkeypatch.setattr(states, "state_posterior_graph", _no_graph)
    loaded = states.load_state_posterior(inputs, chunk=CHUNK)
    data = model_data(inputs)
    name = next(n for n, v in data.items() if v.ndim == 1 and v.dtype == float and v.size > 1)
    strided = np.repeat(data[name], 2)[::2]
    strided.flags.writeable = False
    assert not strided.flags.c_contiguous
    values = _values(inputs, 3)
    log_z, _ = loaded(values, {**data, name: strided})
    assert np.array_equal(log_z, loaded(values, data)[0])


def test_a_record_naming_no_cached_function_compiles_again(recorded, monkeypatch):
    inputs, compiled = recorded
    digest = records.structure_digest("state posterior", inputs.structure_key(), CHUNK)
    records.write_record(digest, {"name": "numba_funcified_fgraph", "key": "not-in-the-cache"})
    built = []
    graph = states.state_posterior_graph
    monkeypatch.setattr(states, "state_posterior_graph", lambda *a: built.append(1) or graph(*a))
    again = states.load_state_posterior(inputs, chunk=CHUNK)
    values = _values(inputs, 2)
    assert built == [1]
    assert np.array_equal(again(values)[0], compiled(values)[0])
    assert records.read_record(digest)["key"] != "not-in-the-cache"  # the record was rewritten
