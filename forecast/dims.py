"""Names defined once: dimensions, the model's scalar parameters and outcome labels."""

from __future__ import annotations

import re

AFTER = "after horizon"


NO_VACANCY = "no vacancy"


def slug(name: str) -> str:
    """Return a variable-name-safe slug of a club name."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")





#: Dimension names, defined once.
CANDIDATE = "candidate"


VACANCY = "vacancy"


SOURCE = "source"


SCALARS = (
    "sack_base", "sack_season_end", "sack_form", "quit_base", "quit_season_end", "quit_expiry",
    "quit_final_year", "tie", "avail_mid", "avail_season_end", "buyout", "pull_form",
    "tier1", "tier2", "tier3", "tier4",
)





NOT_LISTED = "not listed"


SPARE = "(spare)"  # placeholder reliability units that keep shapes fixed when sources are added


STRENGTH_LEVELS = ("weak", "medium", "strong")
