"""Check the in-season leaving hazard on every club-season, not on cases chosen for a change.

The backtest's cases were chosen because a coaching change happened (or was loudly rumoured), so
a hazard tuned on them would come out too high whatever the truth. Here the sample does not
depend on the outcome: every Premier League club-season from 2015-16 to 2022-23 whose club is in
a manager history (``pl-club-manager-history``: the 20 clubs of 2023-24, scraped from
soccerbase) and, as of 1 October, 1 December and 1 February (or another day of those months,
``--day``), the coach then in charge (caretaker spells, under 60 days, left out). The question:
does he leave before 1 April (in season, so contracts, which expire at season ends, do not
enter)? The model's own departure hazard
(:func:`forecast.model.likelihood.departure_factors`) gives the answer from the priors alone (no
rumours) and the club's form against expectation from its league results up to that date
(:mod:`forecast.features.form`). Each centre of ``sack_base`` and ``sack_form`` is moved by
0.5 and 1 prior sd (common random numbers), and the log score of the outcomes is compared with
the centres in use, paired over club-seasons. The model gives the as-of month a whole month's
hazard whatever the day; from a later day (``--day``) the script also scores counting only the
days left in it (a monthly hazard :math:`h` then counts as :math:`1 - (1 - h)^{share}`).

Usage::

    python scripts/population_hazard.py ../shared/data [--day 15]
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
from pytensor.graph.replace import vectorize_graph

from forecast.features.form import club_form
from forecast.features.periods import month_end
from forecast.model.likelihood import departure_factors
from forecast.priors import DEFAULT_PRIORS

#: Hazard priors the departure model reads.
HAZARDS = ("sack_base", "sack_season_end", "sack_form", "quit_base", "quit_season_end",
           "quit_expiry", "quit_final_year", "quit_caretaker")
#: The manager history's club names where the results tables spell them otherwise.
RESULTS_NAME = {"Man Utd": "Man United", "Nottingham Forest": "Nott'm Forest",
                "Tottenham Hotspur": "Tottenham"}
AS_OF = (10, 12, 2)  # months of the as-of dates; February is in the season's second year
CARETAKER_DAYS = 60
SHIFTS = (-1.0, -0.5, 0.5, 1.0)


def leave_probability(months: int):
    """Return a compiled ``f(*hazard draws, form draws, share) -> P(leaves within months)``.

    Per draw; ``share`` is the part of the first month counted (1 in the model).
    """
    params = {n: pt.scalar(n) for n in HAZARDS}
    form = pt.scalar("form")
    share = pt.scalar("share")
    exposure = pt.concatenate([share[None], pt.ones(months - 1)])
    data = {"season_end": np.zeros(months), "live": exposure, "form_0": form,
            "expiry_0": np.zeros(months), "final_year_0": np.zeros(months), "caretaker_0": 0.0}
    p_own, _ = departure_factors(params, data, 0)
    batch = {n: pt.vector(n) for n in HAZARDS}
    forms = pt.vector("form")
    out = vectorize_graph(1.0 - p_own[months],
                          replace={**{params[n]: batch[n] for n in HAZARDS}, form: forms})
    return pytensor.function([*batch.values(), forms, share], out)


def days_left_share(as_of: dt.date) -> float:
    """Return the share of the as-of month from the as-of day on, that day included."""
    days = month_end(as_of.year, as_of.month).day
    return (days - as_of.day + 1) / days


def questions(shared: Path, day: int = 1) -> pd.DataFrame:
    """Return one row per club-season and as-of date: coach, form, months to April, outcome."""
    managers = pd.read_csv(shared / "pl-club-manager-history" / "managers.csv")
    managers["start"] = pd.to_datetime(managers["start_date"], format="%d %b, %Y").dt.date
    managers["end"] = pd.to_datetime(managers["end_date"].replace("Present", None),
                                     format="%d %b, %Y").dt.date
    files = sorted((shared / "football-datasets" / "premier-league").glob("season-*.csv"))
    results = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
    results["Date"] = pd.to_datetime(results["Date"]).dt.date
    rows = []
    for year in range(2015, 2023):
        dates = results["Date"]
        playing = set(results.loc[(dates >= dt.date(year, 8, 1)) & (dates < dt.date(year + 1, 7, 1)),
                                  "HomeTeam"])
        april = dt.date(year + 1, 4, 1)
        for club, spells in managers.groupby("club"):
            team = RESULTS_NAME.get(club, club)
            if team not in playing:
                continue
            for month in AS_OF:
                as_of = dt.date(year + (month < 7), month, day)
                now = spells[(spells["start"] <= as_of) & (spells["end"].isna() | (spells["end"] >= as_of))]
                if len(now) != 1:
                    continue
                spell = now.iloc[0]
                ended = pd.notna(spell["end"])
                if ended and (spell["end"] - spell["start"]).days < CARETAKER_DAYS:
                    continue
                left = ended and spell["end"] < april
                form, matches = club_form(results, {team}, as_of)
                rows.append({"club": club, "season": f"{year}-{(year + 1) % 100:02d}", "as_of": as_of,
                             "coach": spell["manager"], "form": form, "matches": matches,
                             "months": (april.year - as_of.year) * 12 + april.month - as_of.month,
                             "share": days_left_share(as_of),
                             "left": int(left)})
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shared", type=Path, help="the shared data folder")
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--day", type=int, default=1, choices=range(1, 29), metavar="1-28",
                        help="day of the month of the as-of dates")
    args = parser.parse_args()
    table = questions(args.shared, args.day)
    priors = {p.name: p for p in DEFAULT_PRIORS}
    rng = np.random.default_rng(args.seed)
    base = {n: priors[n].draw(rng, args.draws) for n in HAZARDS}
    functions = {m: leave_probability(m) for m in sorted(table["months"].unique())}

    def scores(draws: dict, days_left: bool = False) -> np.ndarray:
        out = np.zeros(len(table))
        for j, q in enumerate(table.itertuples()):
            share = q.share if days_left else 1.0
            p = functions[q.months](*(draws[n] for n in HAZARDS), np.full(args.draws, q.form),
                                    share).mean()
            out[j] = np.log(p if q.left else 1.0 - p)
        return out

    current = scores(base)
    table["p_model"] = np.exp(current) * table["left"] + (1 - np.exp(current)) * (1 - table["left"])
    print(f"{len(table)} questions, {table.groupby(['club', 'season']).ngroups} club-seasons, "
          f"{table['left'].sum()} left before April ({table['left'].mean():.3f}); mean forecast "
          f"{table['p_model'].mean():.3f}; log score {current.mean():.4f}")
    for months, t in table.groupby("months"):
        print(f"  {months} months to April: {len(t)} questions, left {t['left'].mean():.3f}, "
              f"forecast {t['p_model'].mean():.3f}")
    bad = table["form"] < -0.3
    print(f"  form below -0.3: {bad.sum()} questions, left {table.loc[bad, 'left'].mean():.3f}, "
          f"forecast {table.loc[bad, 'p_model'].mean():.3f}; the rest left "
          f"{table.loc[~bad, 'left'].mean():.3f}, forecast {table.loc[~bad, 'p_model'].mean():.3f}")
    cluster = table["club"] + " " + table["season"]
    if args.day > 1:
        days = scores(base, days_left=True)
        diff = pd.Series(days - current).groupby(cluster.to_numpy()).sum()
        p_days = np.exp(days) * table["left"] + (1 - np.exp(days)) * (1 - table["left"])
        print(f"first month counting only the days left: mean forecast {p_days.mean():.3f}; "
              f"minus the whole month {diff.sum() / len(table):+.4f} per question (SE "
              f"{diff.std(ddof=1) * np.sqrt(len(diff)) / len(table):.4f})")
    for name in ("sack_base", "sack_form"):
        for shift in SHIFTS:
            moved = dict(base, **{name: base[name] + shift * priors[name].sigma})
            diff = pd.Series(scores(moved) - current).groupby(cluster.to_numpy()).sum()
            n = len(diff)
            print(f"{name} {shift:+.1f} sd: {diff.sum() / len(table):+.4f} per question "
                  f"(SE {diff.std(ddof=1) * np.sqrt(n) / len(table):.4f}, over {n} club-seasons)")


if __name__ == "__main__":
    main()
