"""How a claim's written fields are read, rumour or track-record claim alike.

Its strength (:func:`read_strength`) and whether it is about the next weeks (:func:`is_soon`):
the succession model and the track-record model read a claim the same way, so what the track
record learns of a kind of claim applies to the rumours of that kind.
"""

from __future__ import annotations

from forecast.data.schemas import STRENGTHS, parse_window

#: Strength a claim has when the row leaves ``strength`` empty.
DEFAULT_STRENGTH = {
    "shortlisted": "weak",
    "talks": "medium",
    "joins": "medium",
    "leaves": "medium",
    "stays": "medium",
    "denial": "medium",
    "agreement": "strong",
}

#: The strongest a claim kind is read at. A shortlist names whom a club wants: "strong" (the
#: front-runner, number one on the list) says how high he is on it, not that he comes, and the
#: track record, which weighs each strength, holds no strong shortlist to weigh it by.
MAX_STRENGTH = {"shortlisted": "medium"}


def read_strength(claim: str, strength: str | None) -> str:
    """Return the strength a claim is read at, rumour or track-record claim alike.

    Its own strength, else its kind's :data:`DEFAULT_STRENGTH`, at most :data:`MAX_STRENGTH`.
    """
    if not isinstance(strength, str) or not strength:  # empty in a rumour row, NaN in a table
        strength = DEFAULT_STRENGTH[claim]
    cap = MAX_STRENGTH.get(claim, STRENGTHS[-1])
    return cap if STRENGTHS.index(strength) > STRENGTHS.index(cap) else strength


#: A claim whose window ends at most this many months after the month it was made in is about
#: the next weeks (:func:`is_soon`).
SOON_MONTHS = 1


def is_soon(claim_date, window) -> bool:
    """Return True for a claim about the next weeks.

    Its window ends by the end of the month after the one it was made in (:data:`SOON_MONTHS`).
    A claim without a window is not.
    """
    bounds = parse_window(window) if isinstance(window, str) else None
    if bounds is None:
        return False
    (y1, m1) = bounds[1]
    return (y1 - claim_date.year) * 12 + m1 - claim_date.month <= SOON_MONTHS
