"""A NAIVE PyMC model of the default scenario: the discrete outcome is sampled, not summed out.

This is what a typical user would write for the same generative story as
:mod:`forecast.model.likelihood`, and the baseline of ``benchmarks/bench.py``:

* per post ``i`` a ``pm.Categorical`` own-departure month ``own_i`` over ``0..T`` with the
  model's hazard pmf (:func:`forecast.model.likelihood.departure_factors`);
* per vacancy post a vector ``succ_i`` of ``T`` ``pm.Categorical`` successors, one per possible
  vacancy month, with the model's softmax (:func:`forecast.model.likelihood.choice_probs`);
* the coupling ``dep_child = min(own_child, pull)`` where ``pull`` is the parent's departure
  month if the child's coach is the parent's successor, else ``T``;
* the rumour log-likelihood (:func:`forecast.model.likelihood.evidence_loglik`) and the facts mask
  of each post's observable state, added with ``pm.Potential`` indexed by the sampled state.

The continuous parameters, their priors and the data arrays are exactly those of
:func:`forecast.model.succession.build_model`, so both models have the same posterior over parameters and
outcomes. PyMC assigns ``CategoricalGibbsMetropolis`` to the categoricals and NUTS to the rest.
Nothing under ``forecast/`` is changed.
"""

from __future__ import annotations

import inspect

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from forecast.features.arrays import ModelInputs, model_data
from forecast.model.likelihood import (
    choice_probs,
    departure_factors,
    evidence_loglik,
    reliability_logit,
    split_appeal,
)
from forecast.model.succession import parameter_priors


def _evidence(params, data, i, psi):
    """Call ``evidence_loglik`` with or without ``params`` (its signature has changed over time)."""
    first = next(iter(inspect.signature(evidence_loglik).parameters))
    return evidence_loglik(params, data, i, psi) if first == "params" else evidence_loglik(data, i, psi)


def default_inputs(with_learned_reliability: bool = True):
    """Return ``(scenario, inputs, priors)`` of the default scenario.

    ``forecast.inference.fit.fit`` builds its inputs with the source reliabilities learned from the track
    record, and weighs each report's surprise against its proposition's prior; the naive model
    must see the same arrays for the two posteriors to agree, so by default they are learned
    here too (cached per process, so after a ``fit`` this is free).
    """
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import build_inputs
    from forecast.inference.reliability import learn_reliability
    from forecast.inference.states import weigh_surprise
    from forecast.priors import resolve_priors

    scenario = Scenario.load()
    priors = resolve_priors(scenario.spec.priors, str(scenario.path))
    reliability = None
    if with_learned_reliability:
        reliability = learn_reliability(scenario, scenario.spec.as_of, priors)
    inputs = build_inputs(scenario, reliability=reliability)
    weigh_surprise(inputs, priors, reliability)
    return scenario, inputs, priors


def build_naive_model(inputs: ModelInputs, priors: dict) -> pm.Model:
    """Build the naive model (free discrete ``own_i`` and ``succ_i``; deterministic ``obs_i``).

    Deterministics: ``dep_i`` (observed departure month, ``T`` = after the horizon), ``obs_i``
    (observable state index as in :class:`forecast.features.arrays.PostInputs`) and, for every vacancy
    post ``i``, ``successor_i`` (successor index, ``K`` = not listed, ``-1`` = no vacancy).
    """
    if any(p.appointment_lag for p in inputs.posts):
        raise NotImplementedError("the naive model pulls an appointee in the vacancy month only")
    T = inputs.T
    parent = {child: (i, k) for i, p in enumerate(inputs.posts) for child, k in p.children}
    with pm.Model(coords=inputs.coords()) as model:
        data = {name: pm.Data(name, value) for name, value in model_data(inputs).items()}
        params = parameter_priors(inputs, priors, data)
        psi = reliability_logit(params, data)
        appeals = split_appeal(params, inputs)

        own, succ = {}, {}
        for i, post in enumerate(inputs.posts):
            p_own, _ = departure_factors(params, data, i)
            # Start every chain at "still in post" (always allowed unless a fact rules it out).
            own[i] = pm.Categorical(f"own_{i}", p=p_own, initval=_feasible_own(post, T))
            if post.has_successor:
                appeal, not_listed = appeals[i]
                choice = choice_probs(params, data, i, appeal, not_listed)
                succ[i] = pm.Categorical(f"succ_{i}", p=choice, shape=T,
                                         initval=np.full(T, post.n_cand, dtype="int64"))

        # Observed departures: parents before children (reverse of children-first order).
        dep, chosen = {}, {}
        for i in reversed(inputs.order):
            post = inputs.posts[i]
            d = own[i]
            if i in parent:
                p, k = parent[i]
                pull = pt.switch(pt.eq(chosen[p], k), dep[p], T)
                d = pt.minimum(d, pull)
            dep[i] = pm.Deterministic(f"dep_{i}", d)
            if post.has_successor:
                s = succ[i][pt.minimum(dep[i], T - 1)]
                chosen[i] = pm.Deterministic(f"successor_{i}", pt.switch(pt.lt(dep[i], T), s, -1))
        for i, post in enumerate(inputs.posts):
            if post.has_successor:
                obs = pt.switch(pt.lt(dep[i], T), dep[i] * (post.n_cand + 1) + chosen[i],
                                T * (post.n_cand + 1))
            else:
                obs = dep[i]
            obs = pm.Deterministic(f"obs_{i}", obs)
            local = _evidence(params, data, i, psi)
            pm.Potential(f"evidence_{i}", local[obs] + pt.log(data[f"mask_{i}"][obs]))
    return model


def _feasible_own(post, T: int) -> int:
    """Return an own-departure month allowed by the facts mask (``T`` when possible)."""
    dep, _ = post.states(T)
    allowed = dep[post.mask > 0]
    return int(T if (allowed == T).any() else allowed.max())


def xabi_indicator(idata, inputs: ModelInputs, club: str = "Real Madrid",
                   coach: str = "Xabi Alonso"):
    """Return the per-draw indicator "``coach`` is the next ``club`` coach" (chain, draw)."""
    i = next(j for j, p in enumerate(inputs.posts) if p.club == club)
    k = inputs.posts[i].candidates.index(coach)
    return (idata.posterior[f"successor_{i}"] == k).astype(float)


def sample_naive(inputs: ModelInputs, priors: dict, draws: int, tune: int, chains: int,
                 seed: int, target_accept: float = 0.9, cores: int = 1):
    """Build and sample the naive model; return ``(idata, timings)``.

    ``timings``: ``build_s`` (model graph), ``compile_s`` (step methods, i.e. PyTensor
    compilation) and ``sample_s`` (``pm.sample`` with the ready steps: tuning plus draws).
    """
    import logging
    import time

    logging.getLogger("pymc").setLevel(logging.ERROR)
    t0 = time.perf_counter()
    model = build_naive_model(inputs, priors)
    t1 = time.perf_counter()
    with model:
        discrete = [v for v in model.free_RVs if v.name.startswith(("own_", "succ_"))]
        continuous = [v for v in model.free_RVs if v not in discrete]
        steps = [pm.NUTS(continuous, target_accept=target_accept),
                 pm.CategoricalGibbsMetropolis(discrete)]
    t2 = time.perf_counter()
    with model:
        idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=cores, step=steps,
                          random_seed=seed, progressbar=False, compute_convergence_checks=False)
    t3 = time.perf_counter()
    return idata, {"build_s": t1 - t0, "compile_s": t2 - t1, "sample_s": t3 - t2}
