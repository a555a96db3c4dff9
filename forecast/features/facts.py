"""Official facts (departures, appointments, reversals) as masks on each post's outcome states."""

from __future__ import annotations

import datetime as dt

import numpy as np

from forecast.errors import DataValidationError, Problem
from forecast.features.arrays import PostInputs
from forecast.features.periods import MonthGrid, month_end


def apply_facts(scenario, facts, posts: list[PostInputs], grid: MonthGrid, as_of: dt.date) -> None:
    """Constrain each post's outcome by the official facts known at ``as_of``.

    A tracked coach with no departure fact by ``as_of`` (or only ones reversed since) was still
    in post then (or until the month a successor's appointment was announced, if one was); a
    departure that takes effect after the horizon means he stayed throughout; the first
    non-interim appointment of someone else at a vacancy (any appointment, if the question says
    ``interim_counts``) resolves its successor question.
    """
    T = grid.size
    file = str(scenario.files.get("facts", scenario.path))
    now = grid.index(as_of)
    if now is None:
        now = T if as_of > month_end(*grid.months[-1]) else 0
    appointed = {p.club: p.appointed for p in scenario.spec.posts}
    interim_counts = {q.club for q in scenario.spec.questions if q.interim_counts}
    for p in posts:
        dep, succ = p.states(T)
        since = appointed.get(p.club) or dt.date.min
        mine = facts[(facts["club"] == p.club) & (facts["date"] >= since)] if len(facts) else facts
        left = mine[(mine["kind"] == "left") & (mine["coach"] == p.coach)] if len(mine) else mine
        if len(left):
            # A departure called off later (a "reversed" fact) no longer pins anything.
            undone = mine[(mine["kind"] == "reversed") & (mine["coach"] == p.coach)]["date"]
            left = left[[not (undone >= d).any() for d in left["date"]]]
        if len(left):
            fact = left.sort_values("date").iloc[0]
            # A departure takes effect on its value date, else at the announcement. One that
            # takes effect before the window opens is pending until the contract ends if that
            # is inside the window (announced early), else the post is vacant when it opens.
            effective = fact.value or fact.date
            if (effective.year, effective.month) < grid.months[0]:
                ends = grid.index(p.contract_end)
                effective = p.contract_end if ends is not None else dt.date(*grid.months[0], 1)
            month = grid.index(effective)
            if month is None:  # takes effect after the horizon: in post throughout the window
                month = T
            p.mask *= dep == month
        hires = mine[(mine["kind"] == "appointed")
                     & ((mine["interim"] == 0) | (p.club in interim_counts))
                     & (mine["coach"] != p.coach)] if len(mine) else mine
        if not len(left):
            # Still in post at the as-of date, or at least until a successor's appointment was
            # announced when one was (the incumbent's own exit is often not announced apart).
            first_hire = grid.index(hires["date"].min()) if len(hires) else None
            p.mask *= dep >= (now if first_hire is None else min(now, first_hire))
        if p.n_dest:
            # Without an appointment date, only jobs from the forecast window on can be his move.
            _apply_move(p, facts, appointed.get(p.club) or dt.date(*grid.months[0], 1), T)
        if p.has_successor and len(mine):
            if len(hires):
                fact = hires.sort_values("date").iloc[0]
                # A successor is often announced before the incumbent's exit takes effect, so
                # the appointment fixes who, and only that the post falls vacant in the window.
                k = p.candidates.index(fact.coach) if fact.coach in p.candidates else p.n_cand
                p.mask *= (succ == k) & (dep < T)
        if not p.mask.any():
            raise DataValidationError(
                [Problem(file, None, None, f"the facts about {p.club} contradict each other")]
            )


def describe_fact(fact) -> str:
    """Say in words what the model reads from a fact (a row of the facts table)."""
    def day(d: dt.date) -> str:
        return f"{d.day} {d:%B %Y}"

    if fact.kind == "extended":
        return f"{fact.coach}'s contract with {fact.club} runs to {day(fact.value)} (official)"
    if fact.kind == "left":
        return f"{fact.coach} leaves {fact.club}" + (
            f", effective {day(fact.value)}" if fact.value else "") + " (official)"
    if fact.kind == "appointed":
        return (f"{fact.coach} is appointed {'interim ' if fact.interim else ''}coach of {fact.club}"
                + (f", from {day(fact.value)}" if fact.value else "") + " (official)")
    return f"{fact.coach}'s departure from {fact.club} is called off (official)"


def _apply_move(p: PostInputs, facts, since: dt.date, T: int) -> None:
    """Pin where a coach with a destination question went, once his appointment elsewhere is known.

    An appointment (dated ``since`` or later) at a named destination pins it; anywhere else pins
    "elsewhere"; at the tracked vacancy whose candidate he is, the pull there, or "elsewhere" if
    he had left of his own accord before it hired him. He may still leave after the horizon.
    """
    moves = facts[(facts["kind"] == "appointed") & (facts["coach"] == p.coach)
                  & (facts["club"] != p.club) & (facts["date"] >= since)] if len(facts) else facts
    if not len(moves):
        return
    club = moves.sort_values("date").iloc[0]["club"]
    D = len(p.destinations)
    slots = [p.destinations.index(club)] if club in p.destinations else [D]
    if club == p.pulled_to:
        slots.append(D + 1)
    dep, _ = p.states(T)
    p.mask *= np.isin(p.destination_states(T), slots) | (dep == T)

