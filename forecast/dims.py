"""Names defined once: dimensions, the model's parameters (one registry) and outcome labels.

Every module that creates, draws, stacks or reweights the succession model's parameters walks
:data:`PARAMETERS`, so a parameter added here reaches the model, the simulators, the exact
outcome computation and the importance update together.
"""

from __future__ import annotations

import re

#: Dimensions of the succession model, by meaning.
CANDIDATE = "candidate"  # a named candidate for a tracked vacancy, labelled "Club: Coach"
VACANCY = "vacancy"  # a tracked post with a successor question, labelled by club
SOURCE = "source"  # a reliability unit: an outlet, journalist or speaker (plus spare slots)
MONTH = "month"  # a forecast month, labelled YYYY-MM
STRENGTH = "strength"  # how firmly a claim is stated
DESTINATION = "destination"  # a club a leaving coach may move to, labelled "Coach: Club"

#: Scalar parameters of the succession model, in the order they are created.
SCALARS = (
    "sack_base", "sack_season_end", "sack_form", "quit_base", "quit_season_end", "quit_expiry",
    "quit_final_year", "quit_caretaker", "tie", "avail_mid", "avail_season_end", "buyout", "pull_form",
    "tier1", "tier2", "tier3", "tier4",
)
#: Every free parameter of the succession model and its dimension (None: a scalar), in the
#: order the model creates them; a parameter on an empty dimension is not created.
PARAMETERS: tuple[tuple[str, str | None], ...] = (
    *((name, None) for name in SCALARS),
    ("source_sd", None),
    ("appeal", CANDIDATE),
    ("not_listed", VACANCY),
    ("destination_appeal", DESTINATION),
    ("source_z", SOURCE),
)

#: Outcome labels.
AFTER = "after horizon"
NO_VACANCY = "no vacancy"
NOT_LISTED = "not listed"
ELSEWHERE = "elsewhere"  # a leaving coach's move to none of the named destinations (or to no job)
IN_POST = "still in post"
SPARE = "(spare)"  # placeholder reliability units that keep shapes fixed when sources are added
STRENGTH_LEVELS = ("weak", "medium", "strong")


def parameter_shapes(sizes: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Return the shape of every parameter given the size of each dimension, in creation order.

    A parameter whose dimension has size 0 (``source_z`` without counted rumours) is left out,
    as the model leaves it out.
    """
    shapes = {}
    for name, dim in PARAMETERS:
        if dim is None:
            shapes[name] = ()
        elif sizes.get(dim, 0):
            shapes[name] = (sizes[dim],)
    return shapes


def slug(name: str) -> str:
    """Return a variable-name-safe slug of a club name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
