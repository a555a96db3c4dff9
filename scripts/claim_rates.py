"""Do the track record's hit rates hold on the backtest cases' own reports?

Every counted report of every case in ``data/cases`` is resolved by what happened
(:func:`forecast.evaluation.claims.case_claims`) and set beside the track record's claims of the
same kind and strength, read as the model reads them. Two cautions. The cases' reports are not
independent (several outlets report one move), so a count overstates the evidence. And most
cases were chosen because a change happened, which makes their reports that a coach leaves come
true more often, and that he stays less often, whatever the sources knew; the calendar set
(questions asked on fixed dates whatever happened next) is free of that, and is shown apart.

Usage::

    python scripts/claim_rates.py [CASES_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from forecast.data.paths import data_dir
from forecast.data.scenario import Scenario
from forecast.evaluation.backtest import case_paths
from forecast.evaluation.claims import case_claims, hit_rates


def main(argv: list[str]) -> None:
    """Print the hit rates by kind and strength, then by kind and horizon, then the calendar set's."""
    cases_dir = Path(argv[0]) if argv else data_dir() / "cases"
    paths = case_paths(cases_dir)
    claims = pd.concat([case_claims(p) for p in paths], ignore_index=True)
    track = Scenario.load(paths[0]).track_record  # the cases share one track record
    print(f"{len(claims)} counted reports in {claims['case'].nunique()} cases; "
          f"{len(track)} track-record claims")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 120):
        calendar = claims[claims["case_set"] == "calendar"]
        for title, some, by in (("all cases", claims, ("claim", "strength")),
                                ("all cases", claims, ("claim", "soon")),
                                ("the calendar set", calendar, ("claim", "strength"))):
            print(f"\n{title}, {len(some)} reports, by {' and '.join(by)}")
            print(hit_rates(some, track, by).to_string())


if __name__ == "__main__":
    main(sys.argv[1:])
