"""Out-of-time validation of learned source reliability (issue: source reliability).

Learns from claims resolved before each split date and scores the claims made on or after it,
against the tier-prior-only model and a constant base rate. Usage:
    python scripts/validate_reliability.py [--splits 2022-07-01 2023-07-01 2024-01-01]
"""

import argparse
import datetime as dt
import json

from forecast.data.scenario import Scenario
from forecast.evaluation.sources import out_of_time
from forecast.priors import resolve_priors

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--splits", nargs="+", default=["2022-07-01", "2023-07-01", "2024-01-01"])
args = parser.parse_args()
scenario = Scenario.load()
rows = [out_of_time(scenario, dt.date.fromisoformat(s), resolve_priors()) for s in args.splits]
print(f"{'split':<12}{'train':>7}{'test':>6}{'learned':>10}{'tier only':>11}{'base rate':>11}"
      f"{'learned - tier (SE)':>22}")
for r in rows:
    print(f"{r['split']:<12}{r['train_claims']:>7}{r['test_claims']:>6}{r['learned']:>10.4f}"
          f"{r['tier_only']:>11.4f}{r['base_rate_only']:>11.4f}"
          f"{r['difference']:>+14.4f} ({r['difference_se']:.4f})")
print(json.dumps(rows))
