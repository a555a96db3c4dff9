"""The command line's parser and the checks of options made before anything runs."""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
from pathlib import Path

from forecast.data.paths import DEFAULT_SCENARIO
from forecast.errors import OptionError
from forecast.version import __version__


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
    from forecast.data.paths import resolve_scenario_path

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
                             "source checkout's data/); `new` writes to it (default: "
                             "$FORECAST_DATA, else ./data)")
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
    run.add_argument("--tune", type=_positive, default=500, help="tuning steps per chain (default: 500)")
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
                       ("--strength", "weak, medium or strong (a shortlisted claim is read at most medium)"),
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
        description="The forecast as if some matches were played, some reports set aside or "
                    "some rumours' claims known to hold or to be false, "
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
    wi.add_argument("--assume-true", action="append", default=[], metavar="ID",
                    help="the forecast if this rumour's claim holds: outcomes against it ruled out "
                         "(repeatable)")
    wi.add_argument("--assume-false", action="append", default=[], metavar="ID",
                    help="the forecast if this rumour's claim is false (repeatable)")
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
    srcs.add_argument("--seed", type=_seed, default=20241115,
                      help="random seed (default: 20241115, as `run`, whose fit this reuses)")
    _out_arg(srcs)

    bt = sub.add_parser("backtest", help="score the forecaster on resolved historical cases",
                        description="Forecast every case in --cases at its cutoff (nothing dated "
                                    "later is used), score who, when, (where a departure "
                                    "question names destinations) where and (where one asks about "
                                    "another tracked post) when its coach leaves, against what "
                                    "happened and "
                                    "against baselines (paired over cases, by period and by "
                                    "each case set a scenario names), and write report.html, CSV "
                                    "tables (scores, calibration, who by candidate feature) and a "
                                    "calibration diagram to <out>/backtest/.")
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

    new = sub.add_parser(
        "new", help="scaffold a scenario for a club and its coach",
        description="Write scenarios/<id>.yaml, an empty rumours file and the club's results "
                    "into the data folder (--data, else $FORECAST_DATA, else ./data, created), "
                    "then validate. The coach's appointment and contract end are read from the "
                    "fact table where it has them; what is still missing is asked for on a "
                    "terminal (or must be given as flags). Without --candidate the scenario asks "
                    "when the coach leaves (and, with --destination, where he goes); with "
                    "candidates (--candidate, --own-staff), also who succeeds him.")
    new.add_argument("--club", required=True, help="the club, spelled as you want it reported")
    new.add_argument("--coach", help="its head coach now (default: the fact table's latest appointee)")
    new.add_argument("--league", help="its league, e.g. 'Premier League'")
    new.add_argument("--contract-end", type=_date, help="the coach's contract end, YYYY-MM-DD")
    new.add_argument("--appointed", type=_date, help="when he was appointed, YYYY-MM-DD")
    new.add_argument("--as-of", type=_date, help="the scenario's forecast date (default: today)")
    new.add_argument("--horizon", help="last month forecast, YYYY-MM (default: June after next season)")
    new.add_argument("--id", help="scenario id (default: <club>-<year>)")
    new.add_argument("--title", help="the question in words (default: written from the club and coach)")
    new.add_argument("--candidate", action="append", metavar="NAME[@CLUB]",
                     help="a possible successor and his current club (none: a free agent); repeat")
    new.add_argument("--own-staff", action="append", metavar="NAME@TEAM",
                     help="a possible successor on the club's own staff (its reserve or youth "
                          "team, or its front office), and that team: no other club to prise him "
                          "from; repeat")
    new.add_argument("--successor", action="store_true",
                     help="ask who succeeds him even with no --candidate: until names are added, "
                          "every successor is 'not listed' and the answer is when the post opens")
    new.add_argument("--destination", action="append", metavar="CLUB",
                     help="a club he may leave for (not with --candidate, --own-staff or --successor): the "
                          "forecast then also says where he goes; repeat, up to 8")
    new.add_argument("--results", action="append", type=Path, metavar="PATH",
                     help="results file or folder: football-data.co.uk CSV seasons or openfootball "
                          "JSON; the club's matches of the last three seasons are copied; repeat")
    new.add_argument("--team-name", action="append", metavar="NAME",
                     help="how the results files spell the club, if not found by its name; repeat")

    val = sub.add_parser("validate", help="check a scenario and all its tables",
                         description="Run every data check; print 'ok' with counts, or every "
                                     "problem with file, line and field (exit code 2).")
    _scenario_arg(val)
    return parser
