r"""How much a report says beyond what was expected: a scoop counts for more than the consensus.

Without this term the report channel (:func:`forecast.model.likelihood.evidence_loglik`) would
multiply the odds of a reported proposition by :math:`1 + 2e^{x}`,
:math:`x = \psi_{unit} + \kappa_{strength}`, whatever its prior. Another story: a source that
knows reports what will happen, and one that does not repeats what is expected, so that it
names a proposition of prior probability :math:`g` about :math:`g` of the time. A report then
multiplies the odds by :math:`1 + e^{x'}/g`, which takes a proposition a fixed share of the way
to certain whatever its prior: the report of a favourite says little and a scoop about an
outsider a lot. The track-record model learns :math:`x` at the prior its claims had, the claim
kind's base rate :math:`b_k` (:mod:`forecast.model.track_record`); in a scenario, the report's
logit moves by

.. math:: \Delta_r = s\,\log\frac{b_{k(r)}}{g_r},

with :math:`g_r` the prior probability of the report's proposition in this scenario, without
any rumour (facts, contracts, results and odds kept), and :math:`s` between the two stories (0:
the fixed ratio; 1: the informed source), by the report's strength
(:data:`forecast.priors.SURPRISE_EXPONENTS`: a strong claim is one whose source says it knows). A
report of something the track record's claims of its kind were as likely to be before anyone
spoke counts as learned.
"""

from __future__ import annotations

import numpy as np

from forecast.features.arrays import ModelInputs
from forecast.features.propositions import post_reports

#: Smallest prior probability a proposition is given here: below it the prior draws' estimate is
#: noise, and no report is worth more than one of a proposition at this prior.
PRIOR_FLOOR = 1e-3


def proposition_prior(truth: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Return each report's proposition's prior probability, at least :data:`PRIOR_FLOOR`."""
    return np.clip(truth @ prior, PRIOR_FLOOR, 1.0 - PRIOR_FLOOR)


def surprise(truth: np.ndarray, prior: np.ndarray, base_logit: np.ndarray,
             exponent: float | np.ndarray) -> np.ndarray:
    r"""Return :math:`\Delta_r` for each report of one post.

    Parameters
    ----------
    truth : ndarray, shape (n_reports, n_states)
        1 where a report's proposition holds.
    prior : ndarray, shape (n_states,)
        The post's state distribution without rumours.
    base_logit : ndarray, shape (n_reports,)
        Log-odds of a proposition of the report's claim kind before anyone reported it.
    exponent : float or ndarray, shape (n_reports,)
        :math:`s`, one for all or each report's (:func:`exponents`).
    """
    return _offset(proposition_prior(truth, prior), base_logit, exponent)


def exponents(strengths, by_strength: dict[str, float]) -> np.ndarray:
    """Return each report's :math:`s` from its strength's name (``weak``, ``medium``, ``strong``)."""
    return np.array([by_strength[s] for s in strengths], dtype=float)


def _offset(g: np.ndarray, base_logit: np.ndarray, exponent) -> np.ndarray:
    r"""Return :math:`s \log(b / g)` for priors ``g`` and base rates' log-odds ``base_logit``."""
    log_base = -np.logaddexp(0.0, -np.asarray(base_logit, dtype=float))  # log sigmoid
    return exponent * (log_base - np.log(g))


def set_surprise(inputs: ModelInputs, prior_states: list[np.ndarray], base_rates: dict[str, float],
                 by_strength: dict[str, float]) -> None:
    """Set every post's ``term_surprise`` (and ``term_prior``) from its prior states and base rates.

    ``base_rates`` maps a claim kind to its log-odds, learned from the track record
    (:meth:`forecast.inference.reliability.ReliabilityFit.base_rates`). The counted reports are
    the posts' evidence rows in order (:func:`forecast.features.inputs.build_inputs`);
    ``by_strength`` maps a strength to its exponent (:data:`forecast.priors.SURPRISE_EXPONENTS`).
    """
    for i, post in enumerate(inputs.posts):
        mine = post_reports(inputs.coding, i)
        out, g = np.zeros(len(post.term_weight)), np.zeros(len(post.term_weight))
        if mine:
            g[:len(mine)] = proposition_prior(post.truth[:len(mine)], prior_states[i])
            out[:len(mine)] = _offset(g[:len(mine)], [base_rates[e.kind] for e in mine],
                                      exponents([e.strength for e in mine], by_strength))
        post.term_surprise, post.term_prior = out, g


def report_priors(inputs: ModelInputs) -> dict[str, float]:
    """Return the prior probability of each counted report's proposition, by rumour id."""
    out = {}
    for i, post in enumerate(inputs.posts):
        if post.term_prior is not None:
            out.update({e.rumour_id: float(g)
                        for e, g in zip(post_reports(inputs.coding, i), post.term_prior, strict=False)})
    return out
