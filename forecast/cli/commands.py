"""The commands: each reads its options, calls the library, prints, and returns an exit code."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from forecast.errors import DataValidationError, OptionError, Problem


def cmd_validate(args) -> int:
    """Validate a scenario (every check ``run`` makes before sampling) and print counts."""
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import check_model_inputs

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario)
    active = len(scenario.active_rumours())
    print(
        f"ok: {scenario.id}: {len(scenario.spec.posts)} posts, {len(scenario.spec.questions)} "
        f"questions, {active} rumours ({len(scenario.rumours) - active} removed), "
        f"{len(scenario.sources)} sources, {len(scenario.results)} matches, "
        f"{len(scenario.facts)} facts, {scenario.odds['snapshot'].nunique()} odds snapshots "
        f"({scenario.path})"
    )
    return 0


def cmd_run(args) -> int:
    """Fit a scenario and write its outputs."""
    from forecast.data.paths import cache_home
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import check_model_inputs
    from forecast.inference.fit import fit
    from forecast.inference.settings import SamplerSettings
    from forecast.report.render import write_report
    from forecast.report.timeline import read_timeline
    from forecast.results.history import record_run

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario, args.as_of)
    settings = SamplerSettings(draws=args.draws, tune=args.tune, chains=args.chains,
                               seed=args.seed, sampler=args.sampler,
                               progressbar=not args.no_progress)
    print(f"Fitting {scenario.id} as of {args.as_of or scenario.spec.as_of} "
          f"({settings.chains} chains x {settings.draws} draws, {settings.sampler})...",
          file=sys.stderr)
    result = fit(scenario, args.as_of, settings, cache_dir=cache_home())
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
    from forecast.data.schemas import CLAIM_KINDS, SPEAKERS, STRENGTHS

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
    from forecast.data.intake import prefill

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
    from forecast.data.scenario import Scenario
    from forecast.data.store import add_rumour, add_rumours, remove_rumour
    from forecast.features.inputs import build_inputs

    scenario = Scenario.load(args.scenario)
    if args.rumour_command == "list":
        inputs = build_inputs(scenario, max([scenario.spec.as_of, *scenario.rumours["date"]]))
        status = {e.rumour_id: f"{e.status}: {e.note}" for e in inputs.coding}
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
        from forecast.data.schemas import RumourImportRow
        from forecast.io.tables import read_rows

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
    items = {e.rumour_id: e for e in build_inputs(scenario, as_of).coding}
    for row in added:
        item = items[row.id]
        print(f"added {row.id} to {scenario.files['rumours']}: {item.status} ({item.note})")
    if args.no_refresh:
        return 0
    from forecast.cli.text import moves_text
    from forecast.inference.refresh import refresh

    done = refresh(scenario, as_of, [row.id for row in added], args.out, args.seed, say=print)
    print(moves_text(done.before, done.result.headline_table(), done.own, as_of))
    print(done.result.headlines()[-1])
    print(f"Wrote {done.folder}/summary.json; run `forecast run --as-of {as_of}` for the full report")
    return 0 if done.result.diagnostics["passed"] else 3


def what_if_question(args):
    """Turn the ``whatif`` options into a :class:`forecast.inference.whatif.WhatIf`; refuse an empty one."""
    from forecast.inference.whatif import WhatIf

    matches = tuple((args.club, outcome) for outcome, n in
                    (("loss", args.lose), ("draw", args.draw), ("win", args.win)) for _ in range(n))
    if matches and not args.club:
        raise OptionError("--lose/--draw/--win need --club")
    if args.club and not matches:
        raise OptionError("--club needs --lose, --draw or --win")
    question = WhatIf(tuple(args.drop_source), tuple(args.drop_rumour), matches,
                      tuple(args.assume_true), tuple(args.assume_false))
    if question == WhatIf():
        raise OptionError("say what changes: --club with --lose/--draw/--win, --drop-source, "
                          "--drop-rumour, --assume-true or --assume-false")
    return question


def cmd_whatif(args) -> int:
    """Print each headline number before -> after a what-if edit."""
    import pandas as pd

    from forecast.cli.text import moves_text
    from forecast.data.paths import cache_home
    from forecast.data.scenario import Scenario
    from forecast.inference.refresh import updated_forecast
    from forecast.inference.whatif import check_edit, whatif

    question = what_if_question(args)
    scenario = Scenario.load(args.scenario)
    as_of = args.as_of or scenario.spec.as_of
    check_edit(scenario, question, as_of)
    before = updated_forecast(scenario, as_of, args.out, args.seed, say=print)
    after = whatif(before, scenario, question, as_of, seed=args.seed,
                   cache_dir=cache_home(), say=print)
    print(moves_text(before.headline_table(), after.headline_table(), pd.DataFrame(), as_of,
                     title=f"What if {question.describe()}? (as of {as_of}; nothing is saved)"))
    for line in after.headlines():
        print(line)
    return 0 if after.diagnostics["passed"] else 3


def cmd_timeline(args) -> int:
    """Replay a scenario and plot its headline numbers."""
    from forecast.data.paths import cache_home
    from forecast.data.scenario import Scenario
    from forecast.features.inputs import check_model_inputs
    from forecast.inference.settings import SamplerSettings
    from forecast.inference.timeline import replay, timeline_dates
    from forecast.report.timeline import write_timeline

    scenario = Scenario.load(args.scenario)
    check_model_inputs(scenario)
    dates = timeline_dates(scenario)
    settings = SamplerSettings(draws=args.draws, tune=args.draws, seed=args.seed)
    print(f"Replaying {scenario.id} as of {len(dates)} dates...", file=sys.stderr)
    table = replay(scenario, settings, dates, progress=lambda k, n, d: print(
        f"  [{k}/{n}] as of {d}", file=sys.stderr), cache_dir=cache_home())
    folder = write_timeline(table, scenario, args.out)
    print(f"Wrote {folder}/timeline.csv and timeline.png")
    return 0


def cmd_sources(args) -> int:
    """Learn and show source reliabilities."""
    from forecast.data.paths import cache_home
    from forecast.data.scenario import Scenario
    from forecast.inference.reliability import learn_reliability
    from forecast.inference.settings import SamplerSettings
    from forecast.priors import resolve_priors
    from forecast.report.sources import write_sources

    scenario = Scenario.load(args.scenario)
    as_of = args.as_of or scenario.spec.as_of
    fit = learn_reliability(scenario, as_of, resolve_priors(scenario.spec.priors),
                            SamplerSettings(seed=args.seed), cache_dir=cache_home())
    if fit is None:
        print(f"error: {scenario.id} has no track record (data.track_record)", file=sys.stderr)
        return 2
    table = fit.table if args.all else fit.table[fit.table["claims"] > 0]
    table = table.sort_values("rho_mean", ascending=False)
    print(f"Reliability as of {as_of} from {fit.diagnostics['claims_used']} resolved claims "
          f"(probability a medium-strength claim not about the next weeks is right, 90% interval):")
    for r in table.itertuples():
        print(f"  {r.source:<28} tier {r.tier} {r.country} {r.claims:>3} claims ({r.true} true)  "
              f"{r.rho_mean:.2f} ({r.rho_lo:.2f}-{r.rho_hi:.2f})")
    d = fit.diagnostics
    offsets, discount, soon = fit.report_weights()
    print(f"Learned for every source: strength offsets weak {offsets[0]:+.2f}, strong "
          f"{offsets[2]:+.2f}, a claim about the next weeks {soon:+.2f} (reliability logit); "
          f"each further report of one claim weighs {discount:.2f} of the one before")
    print(f"Convergence: max R-hat {d['max_rhat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}, "
          f"{d['divergences']} divergences")
    folder = write_sources(table, Path(args.out) / "sources" / as_of.isoformat())
    print(f"Wrote {folder}/sources.csv and sources.png")
    return 0


def cmd_backtest(args) -> int:
    """Run the backtest and print its overall table."""
    import pandas as pd

    from forecast.data.paths import cache_home, data_dir
    from forecast.evaluation.backtest import run_backtest
    from forecast.report.backtest import write_backtest

    cases = args.cases or data_dir() / "cases"
    forecasts = run_backtest(cases, draws=args.draws, cache_dir=cache_home(),
                             workers=args.workers, scheduler=args.scheduler,
                             progress=lambda k, n, name: print(f"  [{k}/{n} done] {name}",
                                                               file=sys.stderr))
    folder = write_backtest(forecasts, args.out / "backtest")
    table = pd.read_csv(folder / "overall.csv")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    paired = pd.read_csv(folder / "paired.csv")
    print("\nModel minus baseline, log score paired over cases (positive: model better):")
    print(paired.to_string(index=False, float_format=lambda v: f"{v:+.3f}"))
    checks = json.loads((folder / "checks.json").read_text())  # null where nothing to measure

    def num(x, digits=3):
        return "n/a" if x is None else f"{x:.{digits}f}"

    by_question, listed = checks["expected_calibration_error_by_question"], checks["not_listed"]
    print(f"Expected calibration error {num(checks['expected_calibration_error'])} (who "
          f"{num(by_question['who'])}, when {num(by_question['when'])}); 'not listed' "
          f"mean forecast {num(listed['mean_forecast'], 2)} vs frequency "
          f"{num(listed['frequency'], 2)}")
    print(f"Wrote {folder}/report.html")
    return 0
