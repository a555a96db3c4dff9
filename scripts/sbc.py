"""Full simulation-based calibration run (Talts et al. 2018); prints the rank tests and calibration.

Usage: python scripts/sbc.py [--sims 200] [--seed 2]
"""

import argparse
import json
import time

from forecast.evaluation.sbc import run_sbc

parser = argparse.ArgumentParser(description=__doc__)
parser.add_argument("--sims", type=int, default=200)
parser.add_argument("--seed", type=int, default=2)
args = parser.parse_args()
start = time.time()
result = run_sbc(args.sims, seed=args.seed)
table = result.uniformity()
print(f"SBC: {args.sims} simulations, {result.n_ranks} posterior draws ranked per simulation, "
      f"{time.time() - start:.0f} s")
print(table.to_string(index=False))
print("calibration of P(vacancy before the horizon):", json.dumps(result.calibration()))
