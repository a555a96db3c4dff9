"""How tracked posts are linked: an appointee who is another post's incumbent leaves that post.

He leaves in the vacancy month or, where the successor question allows, some months later.
"""

from __future__ import annotations

import numpy as np

from forecast.errors import DataValidationError, Problem
from forecast.features.arrays import PostInputs
from forecast.features.periods import lag_matrix


def tree_order(posts: list[PostInputs]) -> tuple[list[int], list[int]]:
    """Return the posts children first, and the roots (posts no one is pulled to)."""
    parent = {child: i for i, p in enumerate(posts) for child, _ in p.children}
    roots = [i for i in range(len(posts)) if i not in parent]
    order: list[int] = []

    def visit(i):
        for child, _ in posts[i].children:
            visit(child)
        order.append(i)

    for r in roots:
        visit(r)
    return order, roots


def check_links(posts: list[PostInputs], order: list[int], roots: list[int],
                season_end: np.ndarray, file: str, assumed: bool = False) -> None:
    """Refuse facts that each post allows but that no joint outcome satisfies.

    Every month of an own departure has some probability, so whether a joint outcome is possible
    depends only on the facts: the same message passing as the likelihood, with booleans, over
    ``order`` and ``roots`` (:func:`tree_order`). A post pulled in month ``x`` can leave in any
    month up to ``x``; an appointee leaves his post in the months :func:`lag_matrix` allows.
    ``assumed`` says that what-if assumptions narrowed the posts too, so the
    message blames them with the facts.

    Raises
    ------
    DataValidationError
        Naming every club linked to the contradiction, for example an appointee whom the facts
        keep at his club past the months in which the appointment could take him.
    """
    T = len(season_end)
    possible: dict[int, np.ndarray] = {}  # post -> allowed for each pull month 0..T
    for i in order:
        post = posts[i]
        dep, succ = post.states(T)
        allowed = post.mask > 0
        leaves = lag_matrix(T, post.appointment_lag, season_end) > 0
        for child, k in post.children:
            reach = (leaves & possible[child][None, :]).any(axis=1)
            allowed &= np.where((succ == k) & (dep < T), reach[dep], possible[child][T])
        possible[i] = _reachable(post, allowed, T)
    for r in roots:
        if not possible[r][T]:
            clubs = [posts[i].club for i in _linked(posts, r)]
            what = "the facts and what-if assumptions" if assumed else "the facts"
            raise DataValidationError([Problem(
                "what-if" if assumed else file, None, None,
                f"{what} about {', '.join(clubs)} contradict each other: a named coach would "
                f"have to leave his club in a month {what} rule out (a successor question may "
                "allow the appointment to come later: appointment_months)")])


def _linked(posts: list[PostInputs], root: int) -> list[int]:
    """Return ``root`` and every post below it, in the order they are linked."""
    out = [root]
    for child, _ in posts[root].children:
        out += _linked(posts, child)
    return out


def _reachable(post, allowed: np.ndarray, T: int) -> np.ndarray:
    """Return, for each pull month 0..T, whether some allowed state of ``post`` can happen.

    Pulled in month x, the post's state departs before x of its own accord, or in x; with
    destinations, a state in x is the pull's own slot (x < T) or "still in post" (x = T).
    """
    dep, _ = post.states(T)
    if not post.n_dest:
        return np.array([allowed[dep <= x].any() for x in range(T + 1)])
    dest = post.destination_states(T)
    pulled = dest == post.n_dest - 1 if post.pulled_to is not None else np.zeros(len(dep), bool)
    own = allowed & ~pulled
    return np.array([own[dep < x].any() or (allowed & (dep == x) & (pulled | (x == T))).any()
                     for x in range(T + 1)])
