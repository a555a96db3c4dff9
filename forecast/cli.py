"""Command line: thin commands over the package API. Bad input exits 2 with every problem listed."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from pathlib import Path

from forecast import __version__
from forecast.errors import DataValidationError, ForecastError, OptionError, Problem
from forecast.scenario import DEFAULT_SCENARIO


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def _bounded(low: int, high: int):
    """Return an argparse type accepting whole numbers from ``low`` to ``high``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {value}")
        return value

    return parse


#: Draws, tuning steps and chains: positive, and small enough to finish on a laptop.
_positive = _bounded(1, 1_000_000)
_chains = _bounded(1, 64)
#: Local Dask workers for batch work (0: serially in this process).
_workers = _bounded(0, 64)
#: NumPy and the samplers take seeds of 32 bits.
_seed = _bounded(0, 2**32 - 1)
_count = _bounded(0, 10)


def check_out(out: Path) -> None:
    """Refuse an output folder that is a file or cannot be created or written, before any work."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OptionError(f"--out {out} is a file, not a folder")
    existing = next(p for p in (out, *out.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise OptionError(f"--out {out}: {existing} is a file, not a folder")
    try:
        # A real probe: os.access says yes to root even on read-only file systems.
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise OptionError(f"--out {out}: cannot write in {existing} ({exc.strerror})") from None


def check_options(args) -> None:
    """Check every option that needs more than parsing (folders, the scenario) before any work."""
    from forecast.scenario import resolve_scenario_path

    if getattr(args, "scenario", None) is not None:
        resolve_scenario_path(args.scenario)
    if getattr(args, "out", None) is not None and not getattr(args, "no_refresh", False):
        check_out(args.out)
    if getattr(args, "cases", None) is not None and not Path(args.cases).is_dir():
        raise OptionError(f"--cases {args.cases} is not a folder")


def _scenario_arg(parser, flag: bool = False) -> None:
    help_text = f"scenario id in data/scenarios or a YAML path (default: {DEFAULT_SCENARIO})"
    if flag:
        parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help=help_text)
    else:
        parser.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO, help=help_text)


def _out_arg(parser) -> None:
    parser.add_argument("--out", type=Path, default=Path("reports"),
                        help="output folder (default: reports)")


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (also documents the CLI in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="forecast",
        description="Bayesian forecasts of football coaching successions: who replaces a coach, "
                    "and when coaches leave.",
    )
    parser.add_argument("--version", action="version", version=f"forecast {__version__}")
    parser.add_argument("--data", type=Path, metavar="DIR",
                        help="data folder that scenario ids are looked up in (default: "
                             "$FORECAST_DATA, else ./data if it has scenarios/, else the "
                             "source checkout's data/)")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run", help="validate, fit and write the forecast and its report",
        description="Validate a scenario, fit the model as of a date and write idata.nc, "
                    "summary.json and report.html (with PNG figures and CSV tables) to "
                    "<out>/<scenario id>/<as-of>/.",
    )
    _scenario_arg(run)
    run.add_argument("--as-of", type=_date, help="forecast date; nothing dated later is used "
                     "(default: the scenario's as_of)")
    run.add_argument("--seed", type=_seed, default=20241115, help="random seed (default: 20241115)")
    run.add_argument("--draws", type=_positive, default=1000, help="draws per chain (default: 1000)")
    run.add_argument("--tune", type=_positive, default=1000, help="tuning steps per chain (default: 1000)")
    run.add_argument("--chains", type=_chains, default=4, help="chains (default: 4)")
    run.add_argument("--sampler", choices=("nutpie", "pymc"), default="nutpie",
                     help="NUTS implementation (default: nutpie)")
    _out_arg(run)
    run.add_argument("--no-progress", action="store_true", help="hide the sampling progress bar")

    rumour = sub.add_parser("rumour", help="add, import, list or remove rumours of a scenario",
                            description="Manage a scenario's rumours. Writes are atomic and locked; "
                                        "a refused rumour leaves the file unchanged (exit 2).")
    rsub = rumour.add_subparsers(dest="rumour_command", required=True)
    add = rsub.add_parser(
        "add", help="add a rumour, then refresh the forecast and show what moved",
        description="Append one rumour. Without field flags (on a terminal) it asks for each field. "
                    "The forecast then refreshes as of the later of the scenario's as-of date and "
                    "the rumour's date: by reweighting the last full run when that is accurate "
                    "enough, else by a full fit.",
    )
    _scenario_arg(add, flag=True)
    for flag, text in (("--date", "publication date YYYY-MM-DD"), ("--source", "outlet (sources.csv)"),
                       ("--subject", "coach the claim is about"),
                       ("--claim", "leaves, joins, shortlisted, talks, agreement, stays or denial"),
                       ("--club", "club the claim is about"), ("--window", "YYYY-MM or YYYY-MM/YYYY-MM"),
                       ("--strength", "weak, medium or strong"),
                       ("--cites", "rumour id or outlet this report repeats"),
                       ("--speaker", "whose words: outlet (its own information, the default), coach, "
                                     "club_official or agent"),
                       ("--journalist", "named reporter"), ("--url", "link to the report"),
                       ("--summary", "one line in your own words"), ("--id", "rumour id (default: next)")):
        add.add_argument(flag, help=text)
    add.add_argument("--from-url", metavar="URL_OR_PAGE",
                     help="pre-fill date, source, journalist, url and summary (the headline) from a "
                          "news page saved to disk, or from what a URL's host and path say; nothing "
                          "is fetched, and flags you give win")
    add.add_argument("--no-refresh", action="store_true", help="only record the rumour")
    _out_arg(add)
    add.add_argument("--seed", type=_seed, default=20241115, help="seed of a full refit if one is needed")
    imp = rsub.add_parser(
        "import", help="append every rumour of a CSV file at once, then refresh the forecast",
        description="Validate every row of FILE (the rumour columns of data/README.md; id may be "
                    "empty or left out) against the scenario, and append them all in one atomic "
                    "write, or none: each problem is named with FILE's line and field.")
    imp.add_argument("file", type=Path, help="CSV file of rumours")
    _scenario_arg(imp, flag=True)
    imp.add_argument("--no-refresh", action="store_true", help="only record the rumours")
    _out_arg(imp)
    imp.add_argument("--seed", type=_seed, default=20241115, help="seed of a full refit if one is needed")
    lst = rsub.add_parser("list", help="list a scenario's rumours and how each counts")
    _scenario_arg(lst, flag=True)
    rm = rsub.add_parser("remove", help="record that a rumour no longer counts (it stays on file)")
    rm.add_argument("id", help="rumour id")
    _scenario_arg(rm, flag=True)
    rm.add_argument("--reason", required=True, help="why it is removed")

    wi = sub.add_parser(
        "whatif", help="answer a what-if question: before -> after, nothing saved",
        description="The forecast as if some matches were played or some reports set aside, "
                    "against the forecast without the change. It reweights the last full run in "
                    "--out (a full fit when there is none or too few draws keep weight); stored "
                    "data and the forecast history are not changed.")
    _scenario_arg(wi)
    wi.add_argument("--as-of", type=_date, help="forecast date (default: the scenario's)")
    wi.add_argument("--club", help="club that plays the matches of --lose/--draw/--win")
    for flag, what in (("--lose", "losses"), ("--draw", "draws"), ("--win", "wins")):
        wi.add_argument(flag, type=_count, default=0, metavar="N",
                        help=f"{what} of --club in its next league matches")
    wi.add_argument("--drop-source", action="append", default=[], metavar="NAME",
                    help="set aside every report from this outlet (repeatable)")
    wi.add_argument("--drop-rumour", action="append", default=[], metavar="ID",
                    help="set aside this rumour (repeatable)")
    _out_arg(wi)
    wi.add_argument("--seed", type=_seed, default=20241115, help="seed of a full refit if one is needed")

    tl = sub.add_parser("timeline", help="replay the forecast as of each rumour date",
                        description="Fit the scenario as of each rumour date (a year back from its "
                                    "as-of date to today) and plot the headline probabilities; "
                                    "writes <out>/<scenario>/timeline/, which later reports include.")
    _scenario_arg(tl)
    tl.add_argument("--draws", type=_positive, default=500, help="draws per chain (default: 500)")
    tl.add_argument("--seed", type=_seed, default=20241115, help="random seed (default: 20241115)")
    _out_arg(tl)

    srcs = sub.add_parser("sources", help="learn source reliability from the track record",
                          description="Fit the track-record model on claims resolved before the "
                                      "as-of date; print each source's reliability with its 90% "
                                      "interval and claim count; write sources.csv and sources.png "
                                      "to <out>/sources/<as-of>/.")
    _scenario_arg(srcs)
    srcs.add_argument("--as-of", type=_date, help="learn from claims resolved before this date "
                      "(default: the scenario's as_of)")
    srcs.add_argument("--all", action="store_true", help="list sources without resolved claims too")
    _out_arg(srcs)

    bt = sub.add_parser("backtest", help="score the forecaster on resolved historical cases",
                        description="Forecast every case in --cases at its cutoff (nothing dated "
                                    "later is used), score who and when against what happened and "
                                    "against baselines, and write report.html, CSV tables and a "
                                    "reliability diagram to <out>/backtest/.")
    bt.add_argument("--cases", type=Path, default=None, help="folder of case folders "
                    "(default: data/cases)")
    _out_arg(bt)
    bt.add_argument("--draws", type=_positive, default=1000, help="draws per chain (default: 1000)")
    bt.add_argument("--workers", type=_workers, default=None,
                    help="local Dask worker processes (default: one per core; 0 runs the cases "
                         "one after another in this process)")
    bt.add_argument("--scheduler", default=None,
                    help="address of a running Dask scheduler, e.g. tcp://host:8786 (default: "
                         "$FORECAST_SCHEDULER, else a local cluster)")

    val = sub.add_parser("validate", help="check a scenario and all its tables",
                         description="Run every data check; print 'ok' with counts, or every "
                                     "problem with file, line and field (exit code 2).")
    _scenario_arg(val)
    return parser


def cmd_validate(args) -> int:
    """Validate a scenario (every check ``run`` makes before sampling) and print counts."""
    from forecast.inputs import check_model_inputs
    from forecast.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario)
    active = len(scenario.active_rumours())
    print(
        f"ok: {scenario.id}: {len(scenario.spec.posts)} posts, {len(scenario.spec.questions)} "
        f"questions, {active} rumours ({len(scenario.rumours) - active} removed), "
        f"{len(scenario.sources)} sources, {len(scenario.results)} matches, "
        f"{len(scenario.facts)} facts ({scenario.path})"
    )
    return 0


def cmd_run(args) -> int:
    """Fit a scenario and write its outputs."""
    from forecast.fit import SamplerSettings, fit
    from forecast.history import record_run
    from forecast.inputs import check_model_inputs
    from forecast.refresh import cache_dir
    from forecast.report.render import write_report
    from forecast.scenario import Scenario
    from forecast.timeline import read_timeline

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario, args.as_of)
    settings = SamplerSettings(draws=args.draws, tune=args.tune, chains=args.chains,
                               seed=args.seed, sampler=args.sampler,
                               progressbar=not args.no_progress)
    print(f"Fitting {scenario.id} as of {args.as_of or scenario.spec.as_of} "
          f"({settings.chains} chains x {settings.draws} draws, {settings.sampler})...",
          file=sys.stderr)
    result = fit(scenario, args.as_of, settings, cache_dir=cache_dir(args.out))
    folder = result.save(args.out)
    write_report(result, scenario, folder, timeline=read_timeline(args.out, scenario.id))
    record_run(result, args.out)
    for line in result.headlines():
        print(line)
    print(f"Wrote {folder}/summary.json, idata.nc and report.html")
    return 0 if result.diagnostics["passed"] else 3


FIELDS = ("id", "date", "source", "journalist", "subject", "claim", "club", "window", "strength",
          "cites", "speaker", "url", "summary")


def _ask(scenario, fields: dict, suggested: dict) -> dict:
    """Ask for each missing field on the terminal, with choices and defaults (``suggested`` wins)."""
    from forecast.schemas import CLAIM_KINDS, SPEAKERS, STRENGTHS

    choices = {
        "source": sorted(scenario.sources["name"]), "subject": sorted(scenario.coaches()),
        "club": sorted(scenario.clubs()), "claim": list(CLAIM_KINDS), "strength": list(STRENGTHS),
        "speaker": list(SPEAKERS),
    }
    defaults = {"date": dt.date.today().isoformat(), **suggested}
    for name in FIELDS:
        if fields.get(name) or name == "id":
            continue
        options = f" [{', '.join(choices[name])}]" if name in choices else ""
        default = f" (default {defaults[name]})" if name in defaults else ""
        answer = input(f"{name}{options}{default}: ").strip()
        fields[name] = answer or defaults.get(name, "")
    return fields


def _prefill(scenario, target: str) -> dict:
    """Read rumour fields from a saved page or a URL and say where each came from."""
    from forecast.intake import prefill

    suggested, page = prefill(target, scenario.source_names(), scenario.source_hosts())
    print(f"read from {target}:")
    for name in ("date", "source", "journalist", "url", "summary"):
        if name in suggested:
            where = page.found.get({"journalist": "author", "summary": "title"}.get(name, name))
            print(f"  {name}: {suggested[name]}" + (f"  ({where})" if where else ""))
    if "source" not in suggested:
        print(f"  source: {page.site or page.host or 'not given'} is not in sources.csv; give --source")
    if "summary" in suggested:
        print("  (the summary is the page's headline: --summary puts it in your own words)")
    return suggested


def cmd_rumour(args) -> int:
    """Add, list or remove rumours."""
    from forecast.inputs import build_inputs
    from forecast.scenario import Scenario
    from forecast.store import add_rumour, add_rumours, remove_rumour

    scenario = Scenario.load(args.scenario)
    if args.rumour_command == "list":
        inputs = build_inputs(scenario, max([scenario.spec.as_of, *scenario.rumours["date"]]))
        status = {e.rumour_id: f"{e.status}: {e.note}" for e in inputs.evidence}
        removed = set(scenario.removals["id"])
        for row in scenario.rumours.itertuples():
            how = "removed" if row.id in removed else status.get(row.id, "")
            print(f"{row.id}\t{row.date}\t{row.source}\t{row.subject} {row.claim} {row.club}"
                  f"{' ' + row.window if row.window else ''}\t{how}")
        return 0
    if args.rumour_command == "remove":
        row = remove_rumour(scenario, args.id, args.reason)
        print(f"recorded: {row.id} removed on {row.date} ({row.reason})")
        return 0
    if args.rumour_command == "import":
        from forecast.schemas import RumourImportRow
        from forecast.tables import read_rows

        rows, problems = read_rows(args.file, RumourImportRow)
        if problems:
            raise DataValidationError(problems)
        if not rows:
            raise DataValidationError([Problem(str(args.file), None, None, "no rumour rows")])
        added = add_rumours(scenario, [row.model_dump(exclude_unset=True) for _, row in rows],
                            origin=[(str(args.file), line) for line, _ in rows])
    else:
        fields = {name: getattr(args, name) for name in FIELDS}
        suggested = _prefill(scenario, args.from_url) if args.from_url else {}
        if not any(fields.values()) and sys.stdin.isatty():
            fields = _ask(scenario, fields, suggested)
        else:
            fields = {name: fields[name] or suggested.get(name) for name in FIELDS}
        added = [add_rumour(scenario, fields)]
    scenario = Scenario.load(args.scenario)
    as_of = max(scenario.spec.as_of, *(row.date for row in added))
    items = {e.rumour_id: e for e in build_inputs(scenario, as_of).evidence}
    for row in added:
        item = items[row.id]
        print(f"added {row.id} to {scenario.files['rumours']}: {item.status} ({item.note})")
    if args.no_refresh:
        return 0
    from forecast.refresh import refresh

    return refresh(scenario, as_of, [row.id for row in added], args.out, args.seed)


def what_if_question(args):
    """Turn the ``whatif`` options into a :class:`forecast.whatif.WhatIf`; refuse an empty one."""
    from forecast.whatif import WhatIf

    matches = tuple((args.club, outcome) for outcome, n in
                    (("loss", args.lose), ("draw", args.draw), ("win", args.win)) for _ in range(n))
    if matches and not args.club:
        raise OptionError("--lose/--draw/--win need --club")
    if args.club and not matches:
        raise OptionError("--club needs --lose, --draw or --win")
    question = WhatIf(tuple(args.drop_source), tuple(args.drop_rumour), matches)
    if question == WhatIf():
        raise OptionError("say what changes: --club with --lose/--draw/--win, --drop-source or "
                          "--drop-rumour")
    return question


def cmd_whatif(args) -> int:
    """Print each headline number before -> after a what-if edit."""
    import pandas as pd

    from forecast.refresh import cache_dir, moves_text, updated_forecast
    from forecast.scenario import Scenario
    from forecast.whatif import check_edit, whatif

    question = what_if_question(args)
    scenario = Scenario.load(args.scenario)
    as_of = args.as_of or scenario.spec.as_of
    check_edit(scenario, question, as_of)
    before = updated_forecast(scenario, as_of, args.out, args.seed)
    after = whatif(before, scenario, question, as_of, seed=args.seed,
                   cache_dir=cache_dir(args.out), say=print)
    print(moves_text(before.headline_table(), after.headline_table(), pd.DataFrame(), as_of,
                     title=f"What if {question.describe()}? (as of {as_of}; nothing is saved)"))
    for line in after.headlines():
        print(line)
    return 0 if after.diagnostics["passed"] else 3


def cmd_timeline(args) -> int:
    """Replay a scenario and plot its headline numbers."""
    from forecast.fit import SamplerSettings
    from forecast.inputs import check_model_inputs
    from forecast.refresh import cache_dir
    from forecast.scenario import Scenario
    from forecast.timeline import replay, timeline_dates, write_timeline

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario)
    dates = timeline_dates(scenario)
    settings = SamplerSettings(draws=args.draws, tune=args.draws, seed=args.seed)
    print(f"Replaying {scenario.id} as of {len(dates)} dates...", file=sys.stderr)
    table = replay(scenario, settings, dates, progress=lambda k, n, d: print(
        f"  [{k}/{n}] as of {d}", file=sys.stderr), cache_dir=cache_dir(args.out))
    folder = write_timeline(table, scenario, args.out)
    print(f"Wrote {folder}/timeline.csv and timeline.png")
    return 0


def cmd_sources(args) -> int:
    """Learn and show source reliabilities."""
    from forecast.priors import resolve_priors
    from forecast.refresh import cache_dir
    from forecast.reliability import learn_reliability, write_sources
    from forecast.scenario import Scenario

    scenario = Scenario.load(args.scenario)
    as_of = args.as_of or scenario.spec.as_of
    fit = learn_reliability(scenario, as_of, resolve_priors(scenario.spec.priors),
                            cache_dir=cache_dir(args.out))
    if fit is None:
        print(f"error: {scenario.id} has no track record (data.track_record)", file=sys.stderr)
        return 2
    table = fit.table if args.all else fit.table[fit.table["claims"] > 0]
    table = table.sort_values("rho_mean", ascending=False)
    print(f"Reliability as of {as_of} from {fit.diagnostics['claims_used']} resolved claims "
          f"(probability a medium-strength claim is right, 90% interval):")
    for r in table.itertuples():
        print(f"  {r.source:<28} tier {r.tier} {r.country} {r.claims:>3} claims ({r.true} true)  "
              f"{r.rho_mean:.2f} ({r.rho_lo:.2f}-{r.rho_hi:.2f})")
    d = fit.diagnostics
    print(f"Convergence: max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
          f"{d['divergences']} divergences")
    folder = write_sources(table, Path(args.out) / "sources" / as_of.isoformat())
    print(f"Wrote {folder}/sources.csv and sources.png")
    return 0


def cmd_backtest(args) -> int:
    """Run the backtest and print its overall table."""
    import pandas as pd

    from forecast.backtest import run_backtest, write_backtest
    from forecast.refresh import cache_dir
    from forecast.scenario import data_dir

    cases = args.cases or data_dir() / "cases"
    forecasts = run_backtest(cases, draws=args.draws, cache_dir=cache_dir(args.out),
                             workers=args.workers, scheduler=args.scheduler,
                             progress=lambda k, n, name: print(f"  [{k}/{n} done] {name}",
                                                               file=sys.stderr))
    folder = write_backtest(forecasts, args.out / "backtest")
    table = pd.read_csv(folder / "overall.csv")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    paired = pd.read_csv(folder / "paired.csv")
    print("\nModel minus baseline, log score paired over cases (positive: model better):")
    print(paired.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    checks = json.loads((folder / "checks.json").read_text())
    print(f"Expected calibration error {checks['expected_calibration_error']:.3f}; 'not listed' "
          f"mean forecast {checks['not_listed']['mean_forecast']:.2f} vs frequency "
          f"{checks['not_listed']['frequency']:.2f}")
    print(f"Wrote {folder}/report.html")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    commands = {"run": cmd_run, "validate": cmd_validate, "rumour": cmd_rumour,
                "timeline": cmd_timeline, "whatif": cmd_whatif, "sources": cmd_sources,
                "backtest": cmd_backtest}
    try:
        if args.data is not None:
            if not args.data.is_dir():
                raise OptionError(f"--data {args.data} is not a folder")
            os.environ["FORECAST_DATA"] = str(args.data.resolve())
        check_options(args)
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
