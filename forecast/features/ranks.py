"""How reports of one claim are grouped and ranked, so that each further report counts less.

:func:`set_ranks` fills a post's ``term_group``, ``term_score`` and ``term_rank``; the likelihood
weights the report of rank ``k`` by ``discount**k`` (:func:`forecast.model.likelihood.evidence_loglik`).
"""

from __future__ import annotations

import numpy as np

from forecast.features.arrays import PostInputs

#: Reports of one claim more than this many days after the first one of their group start a new
#: group: later news is more often new information than an echo.
GROUP_DAYS = 90


def unit_scores(unit_prior: np.ndarray, unit_tier: np.ndarray, priors: dict) -> np.ndarray:
    """Return each reliability unit's expected logit: learned, else its tier prior's centre.

    ``unit_prior`` and ``unit_tier`` are as in :class:`ModelInputs`; with the strength offsets,
    what orders reports of one claim (:func:`set_ranks`).
    """
    tier_mu = np.array([priors[f"tier{t}"].mu for t in (1, 2, 3, 4)])
    return np.where(unit_prior[:, 0] == 1, unit_prior[:, 1], tier_mu[unit_tier])


def set_ranks(post: PostInputs, props: list, dates: list | None = None,
              scores: list | None = None) -> None:
    """Rank each of a post's reports among the reports of the same claim.

    Reports make the same claim when they assert the same thing (leaves; candidate k joins;
    leaves for destination k) in the same direction, whatever their windows, within
    :data:`GROUP_DAYS` of the first report of the group. Within a group the most reliable
    report (highest ``score``; earliest on ties) has rank 0, the next rank 1, and so on; the
    likelihood weights the report of rank ``k`` by ``discount**k``, so agreeing reports add
    less and less and one report can never switch another off. Without dates every report of
    a claim is in one group; without scores they rank in order.
    """
    cap = post.truth.shape[0]
    post.term_group = np.full(cap, -1)
    post.term_score = np.zeros(cap)
    opened: dict[tuple, list] = {}  # claim -> [(opening date, group number)]
    n_groups = 0
    for j, prop in enumerate(props):
        key = (prop.kind, prop.candidate, prop.destination, prop.negated)
        date = dates[j] if dates is not None else None
        groups = opened.setdefault(key, [])
        if not groups or (date is not None and (date - groups[-1][0]).days > GROUP_DAYS):
            groups.append((date, n_groups))
            n_groups += 1
        post.term_group[j] = groups[-1][1]
        post.term_score[j] = scores[j] if scores is not None else -j
    post.term_rank = term_ranks(post.term_group, post.term_score, post.term_weight)


def term_ranks(group: np.ndarray, score: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Return each counted term's rank in its group by score (0: highest; ties: earlier first).

    Terms with weight 0 (padding, or a report left out) take no rank, so leaving out a group's
    strongest report moves the next one up, as if it had never been made.
    """
    ranks = np.zeros(len(group))
    for g in np.unique(group[(group >= 0) & (weight > 0)]):
        members = np.flatnonzero((group == g) & (weight > 0))
        order = members[np.argsort(-score[members], kind="stable")]
        ranks[order] = np.arange(len(order))
    return ranks
