"""Command line: thin commands over the package API. Bad input exits 2 with every problem listed."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile

from forecast.cli.commands import (
    cmd_backtest,
    cmd_rumour,
    cmd_run,
    cmd_sources,
    cmd_timeline,
    cmd_validate,
    cmd_whatif,
)
from forecast.cli.new import cmd_new
from forecast.cli.parser import build_parser, check_options
from forecast.errors import DataValidationError, ForecastError, OptionError


@contextlib.contextmanager
def scratch_folder():
    """Give this command (and the processes it starts) a temporary folder of its own, then remove it.

    PyTensor's numba backend writes each generated function's source to a temporary file that it
    never deletes (about 120 files for a first ``forecast run``); they are needed only while this
    process compiles, so they go to a folder that is removed when the command ends.
    """
    outer_env, outer_dir = os.environ.get("TMPDIR"), tempfile.tempdir
    with tempfile.TemporaryDirectory(prefix="forecast-", ignore_cleanup_errors=True) as folder:
        os.environ["TMPDIR"] = tempfile.tempdir = folder
        try:
            yield folder
        finally:
            tempfile.tempdir = outer_dir
            if outer_env is None:
                os.environ.pop("TMPDIR", None)
            else:
                os.environ["TMPDIR"] = outer_env


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    # Figures are only saved, never shown: no GUI backend (a user's MPLBACKEND wins). Set here,
    # at the top, so that importing the library never changes a notebook's backend.
    os.environ.setdefault("MPLBACKEND", "Agg")
    args = build_parser().parse_args(argv)
    commands = {"run": cmd_run, "validate": cmd_validate, "rumour": cmd_rumour,
                "timeline": cmd_timeline, "whatif": cmd_whatif, "sources": cmd_sources,
                "backtest": cmd_backtest, "new": cmd_new}
    try:
        if args.data is not None:
            if not args.data.is_dir() and args.command != "new":  # `new` creates its folder
                raise OptionError(f"--data {args.data} is not a folder")
            os.environ["FORECAST_DATA"] = str(args.data.resolve())
        check_options(args)
        with scratch_folder():
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
