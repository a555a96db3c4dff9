"""Check the succession model's prior centres and evidence weights on the backtest cases.

See forecast.evaluation.centres.

Usage::

    python scripts/prior_centres.py --out /tmp/prior-centres.csv   # ~7 minutes warm on 2 cores
"""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

import pandas as pd

from forecast.data.paths import cache_home, data_dir
from forecast.evaluation.backtest import check_cases
from forecast.evaluation.centres import case_draws, sweep
from forecast.inference.batch import run_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=Path, default=None, help="folder of case folders")
    parser.add_argument("--draws", type=int, default=1000, help="draws (and tuning steps) per chain")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="local Dask workers (0: serial)")
    parser.add_argument("--out", type=Path, required=True, help="CSV of the sweep")
    args = parser.parse_args()
    paths = check_cases(args.cases or data_dir() / "cases")
    task = partial(case_draws, draws=args.draws, seed=args.seed, cache_dir=cache_home())
    cases = run_batch(task, paths,
                      workers=args.workers, label=lambda p: p.parent.name,
                      progress=lambda done, total, name: print(f"[{done}/{total}] {name}", flush=True))
    table = sweep(cases)
    table.to_csv(args.out, index=False)
    table["shift_sd"] = table["shift_sd"].fillna(0.0)  # evidence changes have no shift
    wide = table.pivot_table(index=["parameter", "score", "shift_sd"], columns="period",
                             values=["difference", "se", "min_weight_ess"], sort=False)
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print(wide.round(3).to_string())


if __name__ == "__main__":
    main()
