"""Rumours coded as propositions about the outcome of one tracked post.

Rules (each rumour's coding is recorded in the rumours table of the report):

- ``leaves`` by a tracked incumbent about his own club: "he leaves in the window".
- ``stays`` (or a ``denial`` about his own club): "he does not leave in the window".
- ``joins``, ``talks``, ``agreement``, ``shortlisted`` about a vacancy the scenario asks about:
  "he is the next coach there, appointed in the window"; the claim kind sets the default strength.
- the same kinds about a destination his departure question names: "he leaves in the window
  for that club"; about any other club, for a tracked incumbent: "he leaves in the window".
- ``denial`` of a move to a named destination: "he does not leave for that club in the window".
- ``denial`` about a tracked vacancy: "he is not the next coach there in the window".
- At a vacancy whose question allows the appointment ``appointment_months`` after it opens,
  "appointed in the window" means the post fell vacant in the window or up to that many
  months before it.
- A move's window (not a claim that someone stays) reaches back over the season-end months
  just before it: "summer" coded from June includes the May in which the season ends.
- A report that ``cites`` another rumour in the file is an echo and adds no weight. One that
  cites an outlet whose own report is not in the file stands in for that report: it counts once,
  with the cited outlet's reliability, and later echoes of the same claim add nothing.
- A source repeating its own claim adds nothing beyond its strongest report of it.
- A claim about the next weeks (its window ends by the end of the month after the one it was
  made in: :func:`forecast.data.readings.is_soon`) takes the reliability offset the track record
  learns for such claims (noted "within weeks").
- A ``shortlisted`` claim is read at most ``medium`` (``MAX_STRENGTH``): "strong" there means
  the front-runner, how high he is on the club's list, not that he comes.
- Who speaks decides whose reliability a report carries: a coach's, club official's or agent's
  own words (``speaker``) are that speaker's claim, not the outlet's, whichever outlet relays
  them, so the same statement relayed by ten outlets counts once.
- Different sources' reports of one claim are not independent either; the likelihood discounts
  each further report (:func:`forecast.features.ranks.set_ranks`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from forecast.data.readings import is_soon, read_strength
from forecast.data.schemas import STRENGTHS, parse_window
from forecast.features.periods import MonthGrid


@dataclass(frozen=True)
class Proposition:
    """A yes/no statement about one tracked post's outcome.

    Attributes
    ----------
    post : int
        Index of the post in the model inputs.
    kind : str
        ``"leave"`` (the incumbent leaves in ``months``), ``"join"`` (candidate ``candidate``
        is the successor, appointed in ``months``) or ``"move"`` (the incumbent leaves in
        ``months`` for his post's destination ``destination``).
    candidate : int
        Candidate index for ``"join"``; -1 otherwise.
    months : tuple of int
        Grid months the proposition covers.
    negated : bool
        True for "does not ...".
    destination : int
        Destination index for ``"move"``; -1 otherwise.
    """

    post: int
    kind: str
    candidate: int
    months: tuple[int, ...]
    negated: bool
    destination: int = -1

    def truth(self, dep: np.ndarray, succ: np.ndarray, dest: np.ndarray | None = None) -> np.ndarray:
        """Return the 0/1 truth of the proposition for each observable state of its post.

        Parameters
        ----------
        dep, succ : numpy.ndarray
            Departure month and successor index of each observable state (succ is -1 when there
            is no successor question or no vacancy).
        dest : numpy.ndarray, optional
            Destination slot of each state (:meth:`forecast.features.arrays.PostInputs.destination_states`);
            needed for a ``"move"``.
        """
        in_window = np.isin(dep, self.months)
        if self.kind == "join":
            value = in_window & (succ == self.candidate)
        elif self.kind == "move":
            value = in_window & (dest == self.destination)
        else:
            value = in_window
        return (~value if self.negated else value).astype(float)


@dataclass(frozen=True)
class CodedRumour:
    """How one rumour entered the model."""

    rumour_id: str
    unit: str
    strength: str
    proposition: Proposition | None
    status: str  # "counted", "echo", "repeat", "not modelled"
    note: str
    date: dt.date | None = None
    kind: str = ""  # the claim kind (leaves, joins, ...)
    soon: bool = False  # about the next weeks (forecast.data.readings.is_soon)


#: Reliability unit of words a report quotes, by ``speaker``: one unit per kind of speaker.
SPEAKER_UNITS = {"coach": "coach's own words", "club_official": "club official's words",
                 "agent": "agent's words"}


def post_reports(coding: list[CodedRumour], post: int) -> list[CodedRumour]:
    """Return the counted rumours about post ``post``, in the order of its evidence rows."""
    return [e for e in coding if e.status == "counted" and e.proposition.post == post]


def classify_rumours(rumours, ctx, grid: MonthGrid) -> list[CodedRumour]:
    """Turn rumour rows (already cut at the as-of date) into coded rumours.

    Parameters
    ----------
    rumours : pandas.DataFrame
        Validated rumour rows, oldest first.
    ctx : forecast.features.propositions.CodingContext
        Names and indices of posts, candidates and sources.
    grid : MonthGrid
        The forecast months.
    """
    items: list[CodedRumour] = []
    best: dict[tuple, int] = {}
    for row in rumours.itertuples():
        soon = is_soon(row.date, row.window)
        item = partial(CodedRumour, date=row.date, kind=row.claim, soon=soon)
        strength = read_strength(row.claim, row.strength)
        read_as = ""
        if row.strength and strength != row.strength:
            read_as = f"; read as {strength}: a {row.claim} claim's strength says how high on the list"
        unit = ctx.unit_for(row.source, row.journalist)
        echo_of = None
        speaker = getattr(row, "speaker", "outlet")
        if speaker in SPEAKER_UNITS:
            # Quoted words: the speaker's claim, whichever outlet relays it.
            unit = SPEAKER_UNITS[speaker]
        elif row.cites and row.cites.lower() in ctx.source_alias:
            # The cited outlet's own report is not in the file: its first echo stands in for it.
            echo_of = ctx.source_alias[row.cites.lower()]
            unit = echo_of
        elif row.cites:
            items.append(item(row.id, unit, strength, None, "echo", f"echo of {row.cites}"))
            continue
        prop, note = _proposition(row, ctx, grid)
        if prop is None:
            items.append(item(row.id, unit, strength, None, "not modelled", note))
            continue
        if soon:
            note += ", within weeks"
        key = (unit, prop)
        if key in best:
            earlier = items[best[key]]
            if STRENGTHS.index(strength) > STRENGTHS.index(earlier.strength):
                items[best[key]] = CodedRumour(
                    earlier.rumour_id, unit, earlier.strength, prop, "repeat",
                    f"superseded by {row.id}, a stronger report from the same source", earlier.date,
                    earlier.kind, earlier.soon,
                )
                best[key] = len(items)
                items.append(item(row.id, unit, strength, prop, "counted", note + read_as))
            elif echo_of:
                items.append(
                    item(row.id, unit, strength, prop, "echo",
                         f"echo of {echo_of}, already counted via {earlier.rumour_id}")
                )
            else:
                items.append(
                    item(row.id, unit, strength, prop, "repeat",
                         f"repeats {earlier.rumour_id} from the same source")
                )
            continue
        best[key] = len(items)
        if echo_of:
            note += f" (as reported by {echo_of})"
        elif speaker in SPEAKER_UNITS:
            note += f" ({unit}, relayed by {row.source})"
        items.append(item(row.id, unit, strength, prop, "counted", note + read_as))
    return items


def _with_season_end(months: tuple[int, ...], grid: MonthGrid, season_end: tuple[int, ...]):
    """Extend a move's window back over the season-end months just before it.

    "This summer" is often coded from June, but moves at a season's end happen as soon as its
    last match is played (in May in most leagues): a move in the season-end month before a
    window is the move the report meant. Claims that someone stays are not widened, which
    would make them claim more.
    """
    first = months[0]
    while first > 0 and grid.months[first - 1][1] in season_end:
        first -= 1
    return tuple(range(first, months[0])) + months


def _proposition(row, ctx, grid: MonthGrid) -> tuple[Proposition | None, str]:
    months = tuple(grid.window(parse_window(row.window)))
    if not months:
        return None, "window outside the forecast months"
    if row.claim not in ("stays", "denial"):
        months = _with_season_end(months, grid, ctx.season_end_months)
    own_post = ctx.post_of_incumbent.get(row.subject)
    target = ctx.successor_post.get(row.club)
    if row.claim in ("leaves", "stays") or (row.claim == "denial" and own_post is not None
                                             and ctx.clubs[own_post] == row.club):
        if own_post is None or ctx.clubs[own_post] != row.club:
            return None, f"{row.subject} is not the tracked coach of {row.club}"
        negated = row.claim != "leaves"
        text = "does not leave" if negated else "leaves"
        return Proposition(own_post, "leave", -1, months, negated), f"{row.subject} {text} {row.club}"
    if target is not None and row.subject in ctx.candidates[target]:
        k = ctx.candidates[target].index(row.subject)
        negated = row.claim == "denial"
        # The state records the vacancy month and an appointment may come up to `lag` months
        # later, so a report of an appointment in W (or its denial, the exact negation) covers
        # vacancies up to `lag` months before W.
        lag = ctx.appointment_lag.get(target, 0)
        months = tuple(range(max(months[0] - lag, 0), months[0])) + months
        text = "is not" if negated else "is"
        return (
            Proposition(target, "join", k, months, negated),
            f"{row.subject} {text} the next coach of {row.club}",
        )
    places = ctx.destinations.get(own_post, [])
    if own_post is not None and row.club in places:
        negated = row.claim == "denial"
        text = "does not leave" if negated else "leaves"
        return (Proposition(own_post, "move", -1, months, negated, places.index(row.club)),
                f"{row.subject} {text} {ctx.clubs[own_post]} for {row.club}")
    if row.claim != "denial" and own_post is not None and ctx.clubs[own_post] != row.club:
        return (
            Proposition(own_post, "leave", -1, months, False),
            f"a move to {row.club} implies {row.subject} leaves {ctx.clubs[own_post]}",
        )
    return None, f"no tracked question covers {row.subject} and {row.club}"


@dataclass
class CodingContext:
    """Names the coding needs: which post each coach and club belongs to."""

    clubs: list[str]
    post_of_incumbent: dict[str, int]
    successor_post: dict[str, int]
    candidates: dict[int, list[str]]
    source_alias: dict[str, str]
    journalists: set[str]
    season_end_months: tuple[int, ...] = ()
    appointment_lag: dict[int, int] = field(default_factory=dict)  # by successor post
    destinations: dict[int, list[str]] = field(default_factory=dict)  # by post, when named

    def unit_for(self, source: str, journalist: str | None) -> str:
        """Return the reliability unit: the named journalist if known as a source, else the outlet."""
        if journalist and journalist.lower() in self.source_alias:
            name = self.source_alias[journalist.lower()]
            if name in self.journalists:
                return name
        return self.source_alias.get(source.lower(), source)
