"""Command line: thin commands over the package API. Bad input exits 2 with every problem listed."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from forecast import __version__
from forecast.errors import DataValidationError, ForecastError
from forecast.scenario import DEFAULT_SCENARIO


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (also documents the CLI in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="forecast",
        description="Bayesian forecasts of football coaching successions: who replaces a coach, "
                    "and when coaches leave.",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="validate, fit and write the forecast and its report",
        description="Validate a scenario, fit the model as of a date and write idata.nc, "
                    "summary.json and report.html (with PNG figures and CSV tables) to "
                    "<out>/<scenario id>/<as-of>/.",
    )
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"scenario id in data/scenarios or a YAML path (default: {DEFAULT_SCENARIO})")
    run.add_argument("--as-of", type=_date, help="forecast date; nothing dated later is used "
                     "(default: the scenario's as_of)")
    run.add_argument("--seed", type=int, default=20241115, help="random seed (default: 20241115)")
    run.add_argument("--draws", type=_positive, default=1000, help="draws per chain (default: 1000)")
    run.add_argument("--tune", type=_positive, default=1000, help="tuning steps per chain (default: 1000)")
    run.add_argument("--chains", type=_positive, default=4, help="chains (default: 4)")
    run.add_argument("--sampler", choices=("nutpie", "pymc"), default="nutpie",
                     help="NUTS implementation (default: nutpie)")
    run.add_argument("--out", type=Path, default=Path("reports"), help="output folder (default: reports)")
    run.add_argument("--no-progress", action="store_true", help="hide the sampling progress bar")

    val = sub.add_parser("validate", help="check a scenario and all its tables",
                         description="Run every data check; print 'ok' with counts, or every "
                                     "problem with file, line and field (exit code 2).")
    val.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"scenario id or YAML path (default: {DEFAULT_SCENARIO})")
    return parser


def cmd_validate(args) -> int:
    """Validate a scenario and print counts."""
    from forecast.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    active = (scenario.rumours["status"].fillna("active") == "active").sum()
    print(
        f"ok: {scenario.id}: {len(scenario.spec.posts)} posts, {len(scenario.spec.questions)} "
        f"questions, {active} rumours ({len(scenario.rumours) - active} removed), "
        f"{len(scenario.sources)} sources, {len(scenario.results)} matches, "
        f"{len(scenario.facts)} facts"
    )
    return 0


def cmd_run(args) -> int:
    """Fit a scenario and write its outputs."""
    from forecast.fit import SamplerSettings, fit
    from forecast.report.render import write_report
    from forecast.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    settings = SamplerSettings(draws=args.draws, tune=args.tune, chains=args.chains,
                               seed=args.seed, sampler=args.sampler,
                               progressbar=not args.no_progress)
    print(f"Fitting {scenario.id} as of {args.as_of or scenario.spec.as_of} "
          f"({settings.chains} chains x {settings.draws} draws, {settings.sampler})...",
          file=sys.stderr)
    result = fit(scenario, args.as_of, settings)
    folder = result.save(args.out)
    write_report(result, scenario, folder)
    for line in result.headlines():
        print(line)
    print(f"Wrote {folder}/summary.json, idata.nc and report.html")
    return 0 if result.diagnostics["passed"] else 3


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    commands = {"run": cmd_run, "validate": cmd_validate}
    try:
        return commands[args.command](args)
    except DataValidationError as exc:
        print(f"error: {len(exc.problems)} problem(s) in the input:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print("nothing was written or changed", file=sys.stderr)
        return exc.exit_code
    except ForecastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
