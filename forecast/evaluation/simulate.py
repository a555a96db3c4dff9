"""Random small scenarios and data simulated from the model, for brute-force checks, recovery and SBC."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from forecast.dims import PARAMETERS, SOURCE
from forecast.features.arrays import ModelInputs, PostInputs
from forecast.features.periods import MonthGrid
from forecast.features.propositions import Proposition
from forecast.features.ranks import set_ranks
from forecast.model.draws import draw_params
from forecast.priors import TIE_WEIGHTS, Prior

#: Chance that a random candidate holds each kind of tie (5-16% per kind in the backtest
#: cases; more here, so that most designs hold ties of several kinds).
TIE_SHARE = 0.25


def random_inputs(rng: np.random.Generator, T: int = 4, n_cand: int = 2, n_units: int = 3,
                  n_terms: int = 6, chain: bool = False, destinations: int = 0) -> ModelInputs:
    """Build a random scenario: a vacancy whose candidates include other tracked incumbents.

    Post 0 has a successor question; post 1's incumbent is candidate 0 of post 0; with
    ``chain``, post 1 also has a successor question whose candidate 0 is post 2's incumbent.
    With ``n_cand=0`` post 0 asks its successor with no one named yet (and links to no post).
    With ``destinations``, the last post's departure question names that many clubs he may
    move to (he may also be pulled to the vacancy whose candidate he is).
    """
    return random_design(rng, T, n_cand, n_units, n_terms, chain, destinations)[0]


def random_design(rng: np.random.Generator, T: int = 4, n_cand: int = 2, n_units: int = 3,
                  n_terms: int = 6, chain: bool = False, destinations: int = 0):
    """Like :func:`random_inputs`, also returning the propositions, units and strengths."""
    grid = MonthGrid((2030, 1), (2030, T))
    season_end = (rng.random(T) < 0.4).astype(float)

    def post(name, k):
        p = PostInputs(
            club=f"Club {name}", coach=f"Coach {name}", contract_end=dt.date(2031, 6, 30),
            candidates=[f"Cand {name}{j}" for j in range(k)],
            expiry=(np.arange(T) == rng.integers(T)).astype(float),
            final_year=(rng.random(T) < 0.3).astype(float), form=float(rng.normal(0, 0.5)),
            form_matches=20, caretaker=name == "B",  # B: a caretaker, in every design
        )
        if k:
            p.employed = (rng.random((T, k)) < 0.6).astype(float)
            p.buyout = (rng.random(k) < 0.5).astype(float)
            # Each kind of tie held with chance TIE_SHARE, weighed as the model weighs it.
            held = rng.random((k, len(TIE_WEIGHTS))) < TIE_SHARE
            p.ties = held @ np.array(list(TIE_WEIGHTS.values()))
            p.cand_form = rng.normal(0, 0.5, k)
            p.appeal_mu = np.zeros(k)
        return p

    posts = [post("A", n_cand), post("B", n_cand if chain else 0)]
    posts[0].children = [(1, 0)] if n_cand else []
    if not n_cand:
        posts[0].asks_successor = True
        posts[0].employed = np.zeros((T, 0))
    if chain:
        posts.append(post("C", 0))
        posts[1].children = [(2, 0)]
    order = [2, 1, 0] if chain else [1, 0]
    if destinations:
        last = posts[-1]
        last.destinations = [f"Club X{j}" for j in range(destinations)]
        last.pulled_to = posts[-2].club if n_cand else None
    units = [f"source {j}" for j in range(n_units)]
    unit_prior = np.column_stack([np.zeros(n_units), np.zeros(n_units), np.ones(n_units)])
    # Reports are simulated independently (simulate_reports), so the model counts each in full.
    roots = [0] if n_cand else [0, 1]  # with no one named, post 1 is not linked to post 0
    inputs = ModelInputs(dt.date(2030, 1, 1), grid, season_end, posts, order, roots, units,
                         rng.integers(0, 4, n_units), [], pd.DataFrame(), unit_prior, discount=1.0)
    for p in posts:
        p.mask = np.ones(p.n_obs(T))
    props = [random_proposition(rng, inputs) for _ in range(n_terms)]
    units, strengths = rng.integers(0, n_units, n_terms), rng.integers(0, 3, n_terms)
    set_terms(inputs, props, units, strengths)
    for p in posts:  # a report's surprise is data: any value, fixed before its side is drawn
        p.term_surprise = rng.normal(0.0, 0.5, len(p.term_weight))
    return inputs, props, units, strengths


def random_proposition(rng: np.random.Generator, inputs: ModelInputs) -> Proposition:
    """Draw a random leave/join proposition about one post."""
    i = int(rng.integers(len(inputs.posts)))
    post = inputs.posts[i]
    lo = int(rng.integers(inputs.T))
    months = tuple(range(lo, int(rng.integers(lo, inputs.T)) + 1))
    negated = bool(rng.random() < 0.25)
    if post.has_successor and rng.random() < 0.6:
        return Proposition(i, "join", int(rng.integers(post.n_cand + 1)), months, negated)
    if post.destinations and rng.random() < 0.6:
        return Proposition(i, "move", -1, months, negated, int(rng.integers(len(post.destinations))))
    return Proposition(i, "leave", -1, months, negated)


def set_terms(inputs: ModelInputs, props, units, strengths) -> None:
    """Store propositions as the posts' evidence arrays (truth of what each source asserted)."""
    T = inputs.T
    for i, post in enumerate(inputs.posts):
        mine = [j for j, p in enumerate(props) if p.post == i]
        post.truth = np.array([post.truth_of(props[j], T) for j in mine]).reshape(len(mine), post.n_obs(T))
        post.term_unit = np.asarray([units[j] for j in mine], dtype=int)
        post.term_strength = np.asarray([strengths[j] for j in mine], dtype=int)
        post.term_weight = np.ones(len(mine))
        set_ranks(post, [props[j] for j in mine])


def simulate_outcome(rng: np.random.Generator, inputs: ModelInputs, factors: list[dict]) -> list[int]:
    """Draw the joint outcome by ancestral sampling; return each post's observable state."""
    T = inputs.T
    parent = {child: (i, k) for i, p in enumerate(inputs.posts) for child, k in p.children}
    dep, succ, obs = {}, {}, {}
    for i in reversed(inputs.order):
        post, f = inputs.posts[i], factors[i]
        own = int(rng.choice(T + 1, p=f["p_own"] / f["p_own"].sum()))
        pull = T
        if i in parent:
            p, k = parent[i]
            pull = dep[p] if succ[p] == k else T
            lag = inputs.posts[p].appointment_lag
            if pull < T and lag:  # appointed some months later: at a season end if one comes
                ends = np.flatnonzero(inputs.season_end[pull:pull + lag + 1])
                pull = pull + int(ends[0]) if len(ends) else min(pull + int(rng.integers(lag + 1)), T)
        dep[i] = min(own, pull)
        succ[i] = -1
        if post.destinations:
            if dep[i] == T:
                obs[i] = T * post.n_dest
            elif own < pull:  # left of his own accord: draw where he goes
                w = f["where"]
                obs[i] = dep[i] * post.n_dest + int(rng.choice(len(w), p=w / w.sum()))
            else:  # pulled to the vacancy
                obs[i] = dep[i] * post.n_dest + post.n_dest - 1
        elif post.has_successor and dep[i] < T:
            c = f["choice"][dep[i]]
            succ[i] = int(rng.choice(len(c), p=c / c.sum()))
            obs[i] = dep[i] * (post.n_cand + 1) + succ[i]
        else:
            obs[i] = T * (post.n_cand + 1) if post.has_successor else dep[i]
    return [obs[i] for i in range(len(inputs.posts))]


def reliability_psi(values: dict, inputs: ModelInputs) -> np.ndarray:
    """Numpy twin of :func:`forecast.model.likelihood.reliability_logit`; leading axes are draws."""
    tiers = np.stack([np.asarray(values[f"tier{t}"]) for t in (1, 2, 3, 4)], axis=-1)
    learned, mu, sd = inputs.unit_prior.T
    z = np.asarray(values["source_z"])
    from_tier = tiers[..., inputs.unit_tier] + np.asarray(values["source_sd"])[..., None] * z
    return learned * (mu + sd * z) + (1 - learned) * from_tier


def simulate_reports(rng: np.random.Generator, inputs: ModelInputs, props, units, strengths,
                     values: dict, states: list[int]) -> list[Proposition]:
    """Let each source assert its proposition or its negation, truthfully with probability rho.

    Reports are independent given the outcome: the model matches this with ``discount`` 1. Each
    report's ``term_surprise`` (its row of its post, in order) adds to its logit whichever side
    it asserts.
    """
    psi = reliability_psi(values, inputs)
    asserted, rows = [], {}
    for prop, u, g in zip(props, units, strengths, strict=True):
        post = inputs.posts[prop.post]
        j = rows[prop.post] = rows.get(prop.post, -1) + 1
        shift = 0.0 if post.term_surprise is None else post.term_surprise[j]
        true = bool(post.truth_of(prop, inputs.T)[states[prop.post]])
        rho = 0.5 + 0.5 / (1 + np.exp(-(psi[u] + inputs.strength_offset[g] + shift)))
        says_true = rng.random() < rho
        negate = (true and not says_true) or (not true and says_true)
        asserted.append(Proposition(prop.post, prop.kind, prop.candidate, prop.months,
                                    prop.negated != negate, prop.destination))
    return asserted


def prior_idata(inputs: ModelInputs, priors: dict[str, Prior], rng: np.random.Generator,
                chains: int = 2, draws: int = 50):
    """Return an InferenceData whose posterior holds prior draws (no MCMC), for fast report tests.

    Its ``sample_stats`` has no divergences and standard-normal energy, so diagnostics plots draw.
    """
    import arviz as az

    samples = [[draw_params(rng, priors, inputs) for _ in range(draws)] for _ in range(chains)]
    names = list(samples[0][0])
    posterior = {n: np.array([[s[n] for s in chain] for chain in samples]) for n in names}
    if inputs.units:
        posterior["reliability"] = 0.5 + 0.5 / (1 + np.exp(-reliability_psi(posterior, inputs)))
    else:
        posterior.pop("source_z")
    dims = {name: [dim] for name, dim in PARAMETERS if dim is not None}
    dims["reliability"] = [SOURCE]
    stats = {"diverging": np.zeros((chains, draws), dtype=bool),
             "energy": rng.normal(size=(chains, draws))}
    return az.from_dict(posterior=posterior, sample_stats=stats, coords=inputs.coords(),
                         dims=dims)
