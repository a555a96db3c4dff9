r"""The succession likelihood as a PyTensor graph, with the discrete outcome summed out exactly.

Generative story for one post :math:`q` with incumbent :math:`c_q` (months :math:`m = 0..T-1`):

1. Own departure. Competing monthly hazards of a sacking and of a voluntary move,

   .. math:: \operatorname{logit} h^{sack}_m = \alpha_s + \beta_{s,se}\,SE_m - \beta_{form}\,f_q,\quad
             \operatorname{logit} h^{quit}_m = \alpha_q + \beta_{q,se}\,SE_m + \beta_{exp}\,X_{qm}
                                              + \beta_{fin}\,F_{qm} + \beta_{ct}\,C_q,

   :math:`h_m = 1 - (1-h^{sack}_m)(1-h^{quit}_m)`, and the own departure month is
   :math:`\ell_q \in \{0..T\}` (``T``: still in post after the horizon).
2. Pull. If the incumbent is a candidate for a tracked vacancy and is chosen in month
   :math:`c`, he leaves then: the observed departure is :math:`d_q = \min(\ell_q, c)`. A
   successor question may allow the appointment to come up to :math:`L` months after the
   vacancy opens; the pull month is then :math:`c + l`, :math:`l` uniform on :math:`0..L`, and
   a candidate under contract elsewhere is as available as at a season end if one falls within
   those months.
3. Successor. At a vacancy in month :math:`d<T`, the successor is drawn by a softmax over the
   named candidates (appeal, ties, form, availability by contract and season) and "not listed".
   Where he goes: a coach whose departure question names destinations goes, when he leaves of
   his own accord, to one of them or anywhere else by a softmax of their appeals (anywhere
   else counting for as many clubs as are named); pulled, he goes to the vacancy that pulled him.
4. Evidence. Each counted rumour asserts a proposition :math:`X` about one post's observable
   state; its source tells the truth with probability :math:`\rho = \tfrac12 + \tfrac12
   \sigma(\psi_{unit} + \kappa_{strength} + \lambda s_r + \Delta_r) > \tfrac12`,
   so a report can never count against what it asserts (no label switching); :math:`s_r` is 1
   for a report about the next weeks (:func:`forecast.data.readings.is_soon`); :math:`\Delta_r`
   (data, :mod:`forecast.features.surprise`) makes the report of an unexpected proposition
   count for more than that of an expected one; further reports of one claim are discounted
   (:func:`evidence_loglik`).

Because propositions concern one post's observable state and pulls follow a forest of posts,
the sum over the joint outcome factorises into messages from each post to its parent:

.. math:: M_q(c) = \sum_o P(o \mid c)\, \mathrm{mask}_q(o)\, e^{\psi_q(o) + \eta_q(o)}
                   \prod_{r \in ch(q)} M_r(\mathrm{pull}_r(o)),

with :math:`P(o\mid c)` the distribution of post :math:`q`'s observable state when its incumbent
is pulled in month :math:`c` (:math:`c=T`: not pulled). The log evidence is
:math:`\sum_{roots} \log M_q(T)`. The zero-valued offsets :math:`\eta_q` make
:math:`\partial \log Z / \partial \eta_q(o)` the exact posterior probability of state :math:`o`,
which is how :mod:`forecast.model.outcomes` reads off every forecast probability.
Messages are carried in probability space, normalised at each post, so impossible states
(masked by facts) never produce ``log 0``.
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt

from forecast.features.arrays import ModelInputs, PostInputs, model_data

LOG_HALF = float(np.log(0.5))


def reliability_logit(params: dict, data: dict):
    r"""Return each reliability unit's logit :math:`\psi_j`: learned, or tier mean plus offset."""
    if "source_z" not in params:
        return pt.zeros(0)
    tiers = pt.stack([params["tier1"], params["tier2"], params["tier3"], params["tier4"]])
    z = params["source_z"]
    from_tier = tiers[data["unit_tier"]] + params["source_sd"] * z
    # A source with a track record takes its learned reliability (forecast.inference.reliability) instead.
    learned = data["unit_mu"] + data["unit_sd"] * z
    return data["unit_learned"] * learned + (1.0 - data["unit_learned"]) * from_tier


def departure_factors(params: dict, data: dict, i: int):
    r"""Return ``(p_own, surv)`` of post ``i``: own-departure pmf over ``0..T`` and :math:`P(\ell \ge c)`.

    No one leaves in a month that only pads the grid (``live`` 0).
    """
    season_end = data["season_end"]
    logit_sack = (params["sack_base"] + params["sack_season_end"] * season_end
                  - params["sack_form"] * data[f"form_{i}"])
    logit_quit = (
        params["quit_base"]
        + params["quit_season_end"] * season_end
        + params["quit_expiry"] * data[f"expiry_{i}"]
        + params["quit_final_year"] * data[f"final_year_{i}"]
        + params["quit_caretaker"] * data[f"caretaker_{i}"]
    )
    log_stay = (-pt.softplus(logit_sack) - pt.softplus(logit_quit)) * data["live"]  # log(1 - h_m)
    hazard = 1.0 - pt.exp(log_stay)
    log_surv = pt.concatenate([pt.zeros(1), pt.cumsum(log_stay)])  # P(own >= c), c = 0..T
    surv = pt.exp(log_surv)
    p_own = pt.concatenate([hazard * surv[:-1], surv[-1:]])
    return p_own, surv


def choice_probs(params: dict, data: dict, i: int, appeal, not_listed):
    """Return the (T, K+1) successor distribution for a vacancy at post ``i`` in each month.

    A spare candidate (``spare_i``) is never chosen.
    """
    season_end = data[f"choice_end_{i}"]
    employed = data[f"employed_{i}"]
    mid = employed * (1.0 - season_end[:, None])
    end = employed * season_end[:, None]
    named = (
        appeal[None, :]
        + data[f"spare_{i}"][None, :]
        + params["tie"] * data[f"ties_{i}"][None, :]
        + params["pull_form"] * data[f"cand_form_{i}"][None, :]
        + params["avail_mid"] * mid
        + params["avail_season_end"] * end
        + params["buyout"] * data[f"buyout_{i}"][None, :] * employed
    )
    # "Not listed" stands for the K named (K >= 1: alone when no one is named yet).
    other = pt.zeros_like(season_end)[:, None] + (not_listed + data[f"named_{i}"])
    return pt.special.softmax(pt.concatenate([named, other], axis=1), axis=1)


def destination_probs(destination, n: int):
    """Return where a coach goes when he leaves of his own accord, over his ``n`` destinations.

    The last entry is anywhere else (or no job), which stands for as many clubs as are named.
    """
    other = pt.ones(1) * np.log(n)
    return pt.special.softmax(pt.concatenate([destination, other]))


def outcome_matrix(params: dict, data: dict, i: int, post: PostInputs, T: int,
                   appeal=None, not_listed=None, destination=None):
    r"""Return :math:`P(o \mid c)` of post ``i`` as a (T+1, n_obs) matrix."""
    p_own, surv = departure_factors(params, data, i)
    own = p_own[None, :] * np.tril(np.ones((T + 1, T + 1)), k=-1)  # left of his own accord: d < c
    dep = own + pt.diag(surv)  # P(d | c)
    if post.n_dest:
        # Own departure in d < c goes to a destination; pulled in c < T goes to the vacancy.
        # (Slices of symbolic terms, not new constants: a second constant array made numba
        # refuse to cache the compiled model.)
        where = destination_probs(destination, len(post.destinations))
        slots = [own[:, :T, None] * where[None, None, :]]
        if post.pulled_to is not None:
            slots.append(pt.diag(surv)[:, :T, None])
        moved = pt.concatenate(slots, axis=2).reshape((T + 1, T * post.n_dest))
        return pt.concatenate([moved, dep[:, T:]], axis=1)
    if not post.has_successor:
        return dep
    choice = choice_probs(params, data, i, appeal, not_listed)
    vacancy = (dep[:, :T, None] * choice[None, :, :]).reshape((T + 1, T * (post.n_cand + 1)))
    return pt.concatenate([vacancy, dep[:, T:]], axis=1)


def evidence_loglik(params: dict, data: dict, i: int, psi):
    r"""Return the rumour log-likelihood of each observable state of post ``i``.

    Each report asserts its proposition truthfully with probability
    :math:`\rho = \tfrac12 + \tfrac12\sigma(\psi_{unit} + \kappa_{strength} + \lambda s_r + \Delta_r)`,
    with :math:`s_r` 1 for a report about the next weeks (``soon_i``) and :math:`\Delta_r` its
    surprise (``surprise_i``, :mod:`forecast.features.surprise`). Reports of one
    claim are not independent (outlets copy each other without saying so), so the report of
    rank :math:`k` among them (most reliable first, :func:`forecast.features.ranks.set_ranks`) enters with
    weight :math:`\delta^k`: the strongest counts fully and each further one less (m dependent
    reports are worth :math:`\sum_k \delta^k < 1/(1-\delta)` independent ones; Clemen & Winkler
    1985). The strength offsets :math:`\kappa`, the offset :math:`\lambda` and :math:`\delta` are
    learned from the track record. A report moves the forecast by at most its own likelihood
    ratio, and never switches another report off. Terms with weight 0 (padding, or a rumour left
    out) contribute nothing.
    """
    x = (psi[data[f"unit_{i}"]] + data["strength_offset"][data[f"strength_{i}"]]
         + data["soon_offset"] * data[f"soon_{i}"] + data[f"surprise_{i}"])
    weight = data[f"weight_{i}"] * data["discount"] ** data[f"rank_{i}"]
    log_true = (LOG_HALF + pt.log1p(pt.sigmoid(x))) * weight  # log rho
    log_false = (LOG_HALF - pt.softplus(x)) * weight  # log (1 - rho)
    truth = data[f"truth_{i}"]
    return pt.dot(log_true, truth) + pt.dot(log_false, 1.0 - truth)


def pull_index(parent: PostInputs, k: int, T: int) -> np.ndarray:
    """Return, for each state of ``parent``, the month its candidate ``k`` is pulled (T: never)."""
    dep, succ = parent.states(T)
    return np.where(succ == k, dep, T)


def split_appeal(params: dict, inputs: ModelInputs):
    """Slice the flat ``appeal`` and ``not_listed`` vectors by successor post."""
    out, start, j = {}, 0, 0
    for i, post in enumerate(inputs.posts):
        if post.has_successor:
            # No one named anywhere yet: the model has no appeal vector to slice.
            appeal = params["appeal"][start:start + post.n_cand] if "appeal" in params else np.zeros(0)
            out[i] = (appeal, params["not_listed"][j])
            start += post.n_cand
            j += 1
    return out


def split_destination(params: dict, inputs: ModelInputs) -> dict:
    """Slice the flat ``destination`` vector by post."""
    out, start = {}, 0
    for i, post in enumerate(inputs.posts):
        if post.destinations:
            out[i] = params["destination_appeal"][start:start + len(post.destinations)]
            start += len(post.destinations)
    return out


def log_evidence(params: dict, inputs: ModelInputs, data: dict | None = None,
                 etas: list | None = None):
    r"""Return the log evidence :math:`\log Z` with the outcome summed out exactly.

    Parameters
    ----------
    params : dict of tensors
        Model parameters by name (see :mod:`forecast.priors`), plus ``appeal``,
        ``not_listed`` and ``source_z`` vectors.
    inputs : ModelInputs
        The scenario's structure (months, posts, candidates, links).
    data : dict, optional
        The arrays of :func:`forecast.features.arrays.model_data` as tensors or arrays (default: the
        inputs' own arrays). In the PyMC model they are ``pm.Data``, so a compiled model is
        reused when rumours, facts or results change but shapes do not.
    etas : list of tensors, optional
        Per-post offsets on the observable states; their gradient at zero is the posterior
        distribution of each post's outcome.
    """
    data = model_data(inputs) if data is None else data
    T = inputs.T
    psi = reliability_logit(params, data)
    appeals = split_appeal(params, inputs)
    destinations = split_destination(params, inputs)
    messages: dict[int, object] = {}
    log_scales: dict[int, object] = {}
    total = pt.as_tensor_variable(0.0)
    for i in inputs.order:
        post = inputs.posts[i]
        appeal, not_listed = appeals.get(i, (None, None))
        matrix = outcome_matrix(params, data, i, post, T, appeal, not_listed, destinations.get(i))
        local = evidence_loglik(params, data, i, psi)
        if etas is not None:
            local = local + etas[i]
        top = pt.max(local)
        weight = data[f"mask_{i}"] * pt.exp(local - top)
        log_scale = top
        for child, k in post.children:
            message = messages[child]
            if post.appointment_lag:
                # The appointee may leave his own post up to `lag` months after the vacancy.
                message = pt.dot(data[f"lag_{i}"], message)
            weight = weight * message[pull_index(post, k, T)]
            log_scale = log_scale + log_scales[child]
        unnorm = pt.dot(matrix, weight)
        if i in inputs.roots:
            total = total + log_scale + pt.log(unnorm[T])
        else:
            norm = pt.sum(unnorm)
            messages[i] = unnorm / norm
            log_scales[i] = log_scale + pt.log(norm)
    return total
