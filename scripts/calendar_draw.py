"""Draw the order in which calendar cutoffs are taken, before anything about them is looked up.

The calendar set asks its questions on fixed dates (1 November and 1 March) of club-seasons drawn
from a frame of 21 clubs, so that the cases are not chosen by what happened. This prints, for each
of four groups of leagues, the frame's pairs (club, date) in a shuffled order fixed by the seed,
leaving out pairs within 120 days of a case already in ``data/cases`` for the same club and pairs
already judged and skipped (``data/cases/calendar_skipped.csv``). A helper takes its group's pairs
in that order and skips one only by the batch's rule (``data/cases/INDEX.md``).

Usage::

    python scripts/calendar_draw.py SEED FIRST LAST

with FIRST and LAST the first and last cutoff dates (ISO) of the frame.
"""

from __future__ import annotations

import random
import sys
from datetime import date

import pandas as pd
import yaml

from forecast.data.paths import data_dir

GROUPS = {
    "Premier League": ["Manchester United", "Chelsea", "Arsenal", "Liverpool",
                       "Tottenham Hotspur", "Manchester City"],
    "La Liga": ["Real Madrid", "Barcelona", "Atletico Madrid", "Sevilla", "Valencia"],
    "Serie A": ["Juventus", "Inter", "AC Milan", "Napoli", "Roma"],
    "Bundesliga and Ligue 1": ["Bayern Munich", "Borussia Dortmund", "Bayer Leverkusen",
                               "Paris Saint-Germain", "Marseille"],
}
ALIASES = {"Olympique de Marseille": "Marseille"}
NEAR_DAYS = 120


def frame(first: date, last: date) -> list[tuple[str, str, date]]:
    """(group, club, cutoff) for every 1 March and 1 November from ``first`` to ``last``."""
    cutoffs = [date(year, month, 1) for year in range(first.year, last.year + 1)
               for month in (3, 11)]
    return [(group, club, cutoff) for group, clubs in GROUPS.items() for club in clubs
            for cutoff in cutoffs if first <= cutoff <= last]


def taken() -> dict[str, list[date]]:
    """Cutoffs of the cases already in ``data/cases`` and of the pairs already skipped, by club."""
    cases = data_dir() / "cases"
    out: dict[str, list[date]] = {}
    for path in sorted(cases.glob("*/scenario.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for post in spec["posts"]:
            club = ALIASES.get(post["club"], post["club"])
            out.setdefault(club, []).append(date.fromisoformat(str(spec["as_of"])))
    skipped = pd.read_csv(cases / "calendar_skipped.csv", dtype=str)
    for club, cutoff in zip(skipped["club"], skipped["cutoff"], strict=True):
        out.setdefault(club, []).append(date.fromisoformat(cutoff))
    return out


def main(argv: list[str]) -> None:
    """Print each group's pairs in the drawn order."""
    seed, first, last = int(argv[0]), date.fromisoformat(argv[1]), date.fromisoformat(argv[2])
    near = taken()
    pairs = [(g, c, d) for g, c, d in frame(first, last)
             if all(abs((d - t).days) > NEAR_DAYS for t in near.get(c, []))]
    random.Random(seed).shuffle(pairs)
    for group in GROUPS:
        print(f"{group}: " + "; ".join(f"{c} {d:%Y-%m}" for g, c, d in pairs if g == group))


if __name__ == "__main__":
    main(sys.argv[1:])
