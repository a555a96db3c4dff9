"""Scenario files: the YAML contract, cross-table validation and the :class:`Scenario` object."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecast.errors import DataValidationError, Problem, ScenarioNotFoundError
from forecast.priors import DEFAULT_PRIORS
from forecast.schemas import (
    FactRow,
    RemovalRow,
    ResultRow,
    RumourRow,
    SourceRow,
    TeamNameRow,
    TrackRecordRow,
    Url,
)
from forecast.tables import decode_text, read_rows, rows_to_frame

KNOWN_PRIORS = tuple(p.name for p in DEFAULT_PRIORS)
TIES = ("former_player", "former_coach", "reserve_coach", "national")


def data_dir() -> Path:
    """Return the data folder scenario ids are looked up in.

    In order: ``$FORECAST_DATA`` (the CLI's ``--data`` sets it); ``./data`` when it holds a
    ``scenarios/`` folder (a user's own folder, with an installed package); the ``data/`` of the
    source checkout this package runs from; else ``./data``.
    """
    env = os.environ.get("FORECAST_DATA")
    if env:
        return Path(env)
    here = Path.cwd() / "data"
    if (here / "scenarios").is_dir():
        return here
    repo = Path(__file__).resolve().parents[1] / "data"
    return repo if (repo / "scenarios").is_dir() else here


DEFAULT_SCENARIO = "real-madrid-2024"


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CandidateSpec(_Spec):
    """A coach linked to a vacancy."""

    name: str = Field(min_length=1)
    club: str | None = None
    contract_end: dt.date | None = None
    free_agent: bool = False
    buyout: bool = False
    ties: list[Literal[TIES]] = []  # type: ignore[valid-type]
    appeal: float | None = None
    sources: list[Url] = []

    @model_validator(mode="after")
    def _employment(self):
        if self.free_agent and self.club:
            raise ValueError("a free agent has no current club")
        if not self.free_agent and not self.club:
            raise ValueError("give the current club, or set free_agent: true")
        return self


class PostSpec(_Spec):
    """A tracked post: a club and its incumbent head coach."""

    club: str = Field(min_length=1)
    league: str = Field(min_length=1)
    coach: str = Field(min_length=1)
    contract_end: dt.date
    appointed: dt.date | None = None
    sources: list[Url] = []


class QuestionSpec(_Spec):
    """A question the forecast answers: the successor at a club, or when a coach leaves."""

    kind: Literal["successor", "departure"]
    club: str | None = None
    coach: str | None = None
    candidates: list[CandidateSpec] = []

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "successor" and (not self.club or not self.candidates):
            raise ValueError("a successor question needs club and candidates")
        if self.kind == "departure" and not self.coach:
            raise ValueError("a departure question needs coach")
        return self


class DataPaths(_Spec):
    """Where the scenario's tables live, relative to the scenario file."""

    rumours: str
    sources: str
    results: list[str] = []
    team_names: str | None = None
    facts: str | None = None
    track_record: str | None = None


class PriorOverride(_Spec):
    """Override of one prior's centre and scale (see :mod:`forecast.priors`)."""

    mu: float
    sigma: float = Field(gt=0)


class ScenarioSpec(_Spec):
    """The top-level YAML document of a scenario."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    title: str
    description: str = ""
    as_of: dt.date
    horizon: str = Field(pattern=r"^\d{4}-\d{2}$")
    season_end_months: list[Annotated[int, Field(ge=1, le=12)]] = [5, 6]
    posts: list[PostSpec] = Field(min_length=1)
    questions: list[QuestionSpec] = Field(min_length=1)
    other_clubs: list[str] = []
    priors: dict[str, PriorOverride] = {}
    data: DataPaths

    @field_validator("horizon")
    @classmethod
    def _horizon_month(cls, value: str) -> str:
        if not 1 <= int(value[5:]) <= 12:
            raise ValueError("the month of horizon must be 01-12")
        return value

    @property
    def horizon_month(self) -> tuple[int, int]:
        """Return the last forecast month as (year, month)."""
        year, month = self.horizon.split("-")
        return int(year), int(month)


#: Largest scenario file read (a scenario is a page or two of YAML).
MAX_SCENARIO_BYTES = 1024 * 1024
#: Deepest nesting of YAML collections accepted (a scenario needs five).
MAX_YAML_DEPTH = 20


def _refuse_yaml_tricks(text: str, file: str) -> list[Problem]:
    """Refuse anchors, aliases and deep nesting by scanning the YAML events, before building anything.

    An alias makes the parsed tree share nodes, and any walk of it (the line map, validation)
    expands every share: ten levels of ten aliases is 10**10 nodes (a "billion laughs").
    Scenarios never need them.
    """
    depth = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return [Problem(file, line, None, "YAML anchors and aliases (& and *) are not "
                                "accepted in a scenario; write the values out")]
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    return [Problem(file, line, None, f"nested deeper than {MAX_YAML_DEPTH} levels")]
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(file, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}")]
    return []


def _yaml_lines(root: yaml.Node | None, file: str) -> tuple[dict[tuple, int], list[Problem]]:
    """Map each key path of a composed YAML document to its 1-based line; flag repeated keys.

    The document must be free of aliases (see :func:`_refuse_yaml_tricks`), so the walk is linear.
    """
    lines: dict[tuple, int] = {}
    problems: list[Problem] = []

    def walk(node, path):
        lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else repr(key.value)
                if name in seen:
                    problems.append(Problem(file, key.start_mark.line + 1, ".".join(map(str, path + (name,))),
                                            "key given twice (the second would silently win)"))
                seen.add(name)
                lines[(*path, name)] = key.start_mark.line + 1
                walk(value, (*path, name))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines, problems


def read_scenario_yaml(path: Path) -> tuple[object, dict[tuple, int]]:
    """Read a scenario file safely: its parsed document and the line of every key path.

    Raises
    ------
    DataValidationError
        For a file that is too large, not UTF-8, not valid YAML, uses anchors or aliases, nests
        too deeply or repeats a key.
    """
    file = str(path)
    if path.is_file() and path.stat().st_size > MAX_SCENARIO_BYTES:
        raise DataValidationError([Problem(file, None, None,
                                           f"larger than {MAX_SCENARIO_BYTES // 1024} KiB")])
    text, problems = decode_text(path)
    if text is None:
        raise DataValidationError(problems)
    problems = _refuse_yaml_tricks(text, file)
    if problems:
        raise DataValidationError(problems)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataValidationError(
            [Problem(file, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}")]
        ) from None
    lines, problems = _yaml_lines(root, file)
    if problems:
        raise DataValidationError(problems)
    return raw, lines


def data_root(scenario_path: Path) -> Path:
    """Return the data folder a scenario may read and write in (symlinks resolved).

    The parent of ``scenarios/`` for ``<root>/scenarios/<id>.yaml``, the parent of ``cases/`` for
    ``<root>/cases/<case>/scenario.yaml``, else the scenario file's own folder.
    """
    folder = Path(scenario_path).resolve().parent
    if folder.name == "scenarios":
        return folder.parent
    if folder.parent.name == "cases":
        return folder.parent.parent
    return folder


def confined(path: Path, root: Path) -> bool:
    """Return True if ``path``, with every symlink resolved, lies inside ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def _table_paths(spec: ScenarioSpec, path: Path, lines: dict[tuple, int]) -> dict[str, Path]:
    """Return the scenario's table files by key, each confined to the scenario's data folder.

    Raises
    ------
    DataValidationError
        If a path (or the file a symlink points to) lies outside the data folder; nothing has
        been read then.
    """
    root, base = data_root(path), path.parent
    named: dict[str, tuple[tuple, str]] = {
        "rumours": (("data", "rumours"), spec.data.rumours),
        "sources": (("data", "sources"), spec.data.sources),
    }
    for key in ("team_names", "facts", "track_record"):
        if getattr(spec.data, key):
            named[key] = (("data", key), getattr(spec.data, key))
    for i, results in enumerate(spec.data.results):
        named[f"results{i}"] = (("data", "results", i), results)
    files: dict[str, Path] = {}
    problems = []
    for key, (loc, relative) in named.items():
        files[key] = Path(os.path.normpath(base / relative))
        if not confined(files[key], root):
            problems.append(Problem(str(path), lines.get(loc), ".".join(map(str, loc)),
                                    f"{relative!r} is outside the data folder {root}",
                                    "keep every table under the data folder (see data/README.md)"))
    removals = removals_path(files["rumours"])
    if not problems and (removals.exists() or removals.is_symlink()):
        if not confined(removals, root):
            problems.append(Problem(str(removals), None, None,
                                    f"links to a file outside the data folder {root}"))
        files["removals"] = removals
    if problems:
        raise DataValidationError(problems)
    return files


def removals_path(rumours: Path) -> Path:
    """Return the file that records removed rumours, next to the rumour file."""
    return rumours.with_name(rumours.stem + ".removals.csv")


def resolve_scenario_path(scenario: str | os.PathLike | None) -> Path:
    """Turn a scenario id or path into the YAML file's path."""
    if scenario is None:
        scenario = DEFAULT_SCENARIO
    path = Path(scenario)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise ScenarioNotFoundError(f"scenario file not found: {path}")
        return path
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(scenario)):
        raise ScenarioNotFoundError(
            f"{str(scenario)[:80]!r} is neither a scenario id (lower-case letters, digits, '-') nor "
            "a .yaml file"
        )
    candidate = data_dir() / "scenarios" / f"{scenario}.yaml"
    if not candidate.exists():
        known = sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))
        close = difflib.get_close_matches(str(scenario), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = f"known: {', '.join(known)}" if known else (
            "no scenarios there: give --data DIR or set FORECAST_DATA to a folder with scenarios/, "
            "or run from a folder that has data/scenarios/")
        raise ScenarioNotFoundError(f"no scenario {scenario!r} in {candidate.parent} ({where}){hint}")
    return candidate


@dataclass
class Scenario:
    """A validated scenario with its tables.

    Attributes
    ----------
    spec : ScenarioSpec
        The parsed YAML document.
    path : Path
        The YAML file.
    rumours, sources, results, facts, team_names, track_record, removals : pandas.DataFrame
        Validated tables; each keeps a ``line`` column pointing into its file.
    """

    spec: ScenarioSpec
    path: Path
    rumours: pd.DataFrame
    sources: pd.DataFrame
    results: pd.DataFrame
    facts: pd.DataFrame
    team_names: pd.DataFrame
    track_record: pd.DataFrame
    removals: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Return the scenario id."""
        return self.spec.id

    @classmethod
    def load(cls, scenario: str | os.PathLike | None = None, today: dt.date | None = None) -> Scenario:
        """Load and validate a scenario and all its tables.

        Parameters
        ----------
        scenario : str or path, optional
            A scenario id (looked up in ``data/scenarios``) or a YAML path; default scenario if None.
        today : date, optional
            The date after which nothing may be dated (default: the system date).

        Raises
        ------
        DataValidationError
            With every problem found across the scenario and its tables.
        """
        path = resolve_scenario_path(scenario)
        raw, lines = read_scenario_yaml(path)
        try:
            spec = ScenarioSpec.model_validate(raw)
        except ValidationError as exc:
            problems = []
            for err in exc.errors():
                loc = tuple(err["loc"])
                line = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), None)
                problems.append(Problem(str(path), line, ".".join(map(str, loc)), err["msg"]))
            raise DataValidationError(problems) from None

        files = _table_paths(spec, path, lines)
        problems: list[Problem] = []

        def load(key, model):
            if key not in files:
                return rows_to_frame([], model)
            rows, probs = read_rows(files[key], model)
            problems.extend(probs)
            return rows_to_frame(rows, model)

        sources = load("sources", SourceRow)
        rumours = load("rumours", RumourRow)
        removed = load("removals", RemovalRow)
        facts = load("facts", FactRow)
        team_names = load("team_names", TeamNameRow)
        track_record = load("track_record", TrackRecordRow)
        result_frames = []
        for key in [k for k in files if k.startswith("results")]:
            frame = load(key, ResultRow)
            frame["file"] = str(files[key])
            result_frames.append(frame)
        results = (
            pd.concat(result_frames, ignore_index=True)
            if result_frames
            else rows_to_frame([], ResultRow)
        )
        scenario = cls(spec, path, rumours, sources, results, facts, team_names, track_record,
                       removed, files)
        problems.extend(scenario._cross_check(lines, today or dt.date.today()))
        if problems:
            raise DataValidationError(problems)
        return scenario

    def add_rumour(self, **fields) -> Scenario:
        """Append a rumour to the scenario's file (validated, atomic) and return the reloaded scenario.

        Raises :class:`forecast.errors.RumourRefusedError` and leaves the file unchanged when the
        rumour is invalid, dated in the future, or an exact duplicate.
        """
        from forecast.store import add_rumour

        add_rumour(self, fields)
        return Scenario.load(self.path)

    def active_rumours(self) -> pd.DataFrame:
        """Return the rumours not recorded as removed."""
        return self.rumours[~self.rumours["id"].isin(self.removals["id"])]

    # -- names ------------------------------------------------------------------------------
    def coaches(self) -> set[str]:
        """Return every coach the scenario knows: incumbents and candidates."""
        names = {p.coach for p in self.spec.posts}
        for q in self.spec.questions:
            names |= {c.name for c in q.candidates}
        return names

    def clubs(self) -> set[str]:
        """Return every club the scenario knows."""
        names = {p.club for p in self.spec.posts} | set(self.spec.other_clubs)
        for q in self.spec.questions:
            names |= {c.club for c in q.candidates if c.club}
        return names

    def source_names(self) -> dict[str, str]:
        """Map every source name and alias (lower case) to the canonical source name."""
        names: dict[str, str] = {}
        for row in self.sources.itertuples():
            names[row.name.lower()] = row.name
            for alias in SourceRow.alias_list(row):  # type: ignore[arg-type]
                names[alias.lower()] = row.name
        return names

    def source_hosts(self) -> dict[str, str]:
        """Map every source's home page (host without ``www.``, and path) to the source name.

        ``https://www.nytimes.com/athletic`` gives ``nytimes.com/athletic``.
        """
        hosts: dict[str, str] = {}
        for name, url in zip(self.sources["name"], self.sources["url"].fillna(""), strict=True):
            parts = urlsplit(str(url))
            if parts.hostname:
                key = parts.hostname.lower().removeprefix("www.") + parts.path.rstrip("/").lower()
                hosts.setdefault(key, name)
        return hosts

    def canonical_source(self, name: str) -> str | None:
        """Return the canonical name of a source or alias, or None if unknown."""
        return self.source_names().get(name.strip().lower())

    def content_hash(self) -> str:
        """Return a SHA-256 over the scenario file and every table it reads."""
        digest = hashlib.sha256(self.path.read_bytes())
        for key in sorted(self.files):
            if self.files[key].exists():
                digest.update(key.encode())
                digest.update(self.files[key].read_bytes())
        return digest.hexdigest()

    # -- checks across tables -------------------------------------------------------------
    def _cross_check(self, lines: dict[tuple, int], today: dt.date) -> list[Problem]:
        spec, file = self.spec, str(self.path)
        problems: list[Problem] = []

        def yaml_problem(loc, fld, msg, hint=None):
            problems.append(Problem(file, lines.get(loc), fld, msg, hint))

        hy, hm = spec.horizon_month
        if (hy, hm) < (spec.as_of.year, spec.as_of.month):
            yaml_problem(("horizon",), "horizon", "horizon is before the as-of date")
        post_clubs = [p.club for p in spec.posts]
        incumbents = {p.coach: p.club for p in spec.posts}
        for i, post in enumerate(spec.posts):
            if post_clubs.count(post.club) > 1:
                yaml_problem(("posts", i, "club"), "club", f"club {post.club!r} is tracked twice")
            if post.contract_end < spec.as_of:
                yaml_problem(
                    ("posts", i, "contract_end"), "contract_end", "contract ends before the as-of date"
                )
            if post.appointed and post.contract_end < post.appointed:
                yaml_problem(("posts", i, "contract_end"), "contract_end",
                             f"contract ends before the appointment ({post.appointed})")
        linked: dict[str, str] = {}
        for i, q in enumerate(spec.questions):
            if q.kind == "successor" and q.club not in post_clubs:
                yaml_problem(
                    ("questions", i, "club"), "club", f"{q.club!r} is not a tracked post",
                    _closest(q.club, post_clubs),
                )
            if q.kind == "departure" and q.coach not in incumbents:
                yaml_problem(
                    ("questions", i, "coach"), "coach", f"{q.coach!r} is not a tracked incumbent",
                    _closest(q.coach, list(incumbents)),
                )
            names = [c.name for c in q.candidates]
            for j, cand in enumerate(q.candidates):
                loc = ("questions", i, "candidates", j)
                if names.count(cand.name) > 1:
                    yaml_problem((*loc, "name"), "name", f"candidate {cand.name!r} listed twice")
                if cand.name == incumbents.get(q.club or ""):
                    yaml_problem((*loc, "name"), "name", "the incumbent cannot succeed himself")
                if cand.club in post_clubs and incumbents.get(cand.name) != cand.club:
                    yaml_problem(
                        (*loc, "club"), "club",
                        f"{cand.club!r} is tracked with another coach; a candidate there must be its "
                        "incumbent",
                    )
                if cand.name in incumbents:
                    if cand.name in linked and linked[cand.name] != q.club:
                        yaml_problem(
                            (*loc, "name"), "name",
                            f"{cand.name} is a candidate for two tracked vacancies "
                            f"({linked[cand.name]}, {q.club}); this is not supported yet",
                        )
                    linked[cand.name] = q.club or ""
        for name in spec.priors:
            if name not in KNOWN_PRIORS:
                yaml_problem(("priors", name), f"priors.{name}", "unknown prior",
                             _closest(name, list(KNOWN_PRIORS)) or f"known: {', '.join(KNOWN_PRIORS)}")
        problems += self._check_cycles(linked, incumbents, file)
        problems += self._check_sources()
        problems += self.check_rumours(self.rumours, today)
        problems += self._check_removals(today)
        problems += self._check_track_record(today)
        problems += self._check_facts(today)
        problems += self._check_results()
        return problems

    def _check_cycles(self, linked, incumbents, file) -> list[Problem]:
        # linked: coach -> club whose vacancy he may fill; following it must not return to a club.
        for start in linked:
            seen, coach = set(), start
            while coach in linked:
                club = linked[coach]
                if club in seen:
                    return [Problem(file, None, "questions", f"candidate links form a cycle via {club}")]
                seen.add(club)
                coach = next((c for c, k in incumbents.items() if k == club), None)
        return []

    def _check_sources(self) -> list[Problem]:
        # One name (or alias) must mean one outlet: otherwise its tier depends on row order.
        file, problems = str(self.files["sources"]), []
        owner: dict[str, str] = {}
        for row in self.sources.itertuples():
            # A row's own spellings count once (an alias may repeat its name in another case).
            spellings = {n.lower(): n for n in reversed([row.name, *SourceRow.alias_list(row)])}
            for key, name in spellings.items():  # type: ignore[arg-type]
                if key in owner and owner[key] != row.name:
                    problems.append(Problem(file, row.line, "aliases", f"{name!r} already names "
                                            f"{owner[key]!r}"))
                elif key in owner:
                    problems.append(Problem(file, row.line, "name", f"source {name!r} listed twice"))
                owner.setdefault(key, row.name)
        return problems

    def _check_track_record(self, today: dt.date) -> list[Problem]:
        if "track_record" not in self.files:
            return []
        file, problems = str(self.files["track_record"]), []
        sources = self.source_names()
        ids = self.track_record["id"].tolist()
        for row in self.track_record.itertuples():
            if ids.count(row.id) > 1:
                problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
            if row.source.lower() not in sources:
                problems.append(Problem(file, row.line, "source", f"unknown source {row.source!r}",
                                        _closest(row.source, list(self.sources["name"]))))
            if row.resolution_date < row.claim_date:
                problems.append(Problem(file, row.line, "resolution_date",
                                        "resolved before the claim was made"))
            if row.resolution_date > today:
                problems.append(Problem(file, row.line, "resolution_date",
                                        f"{row.resolution_date} is in the future"))
            if row.echo_of and row.echo_of not in ids:
                problems.append(Problem(file, row.line, "echo_of", f"no claim {row.echo_of!r}"))
        return problems

    def _check_removals(self, today: dt.date) -> list[Problem]:
        if "removals" not in self.files:
            return []
        file, ids = str(self.files["removals"]), set(self.rumours["id"])
        problems = []
        for row in self.removals.itertuples():
            if row.id not in ids:
                problems.append(Problem(file, row.line, "id", f"no rumour {row.id!r} to remove"))
            if row.date > today:
                problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
        return problems

    def check_rumours(self, rumours: pd.DataFrame, today: dt.date) -> list[Problem]:
        """Check rumour rows against the scenario (sources, coaches, clubs, dates, ids, cites)."""
        file = str(self.files["rumours"])
        problems = []
        sources = self.source_names()
        coaches, clubs = sorted(self.coaches()), sorted(self.clubs())
        ids = rumours["id"].tolist()
        for row in rumours.itertuples():
            if ids.count(row.id) > 1:
                problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
            if row.source.lower() not in sources:
                problems.append(
                    Problem(file, row.line, "source", f"unknown source {row.source!r}",
                            _closest(row.source, [s for s in self.sources["name"]]))
                )
            if row.subject not in coaches:
                problems.append(
                    Problem(file, row.line, "subject", f"unknown coach {row.subject!r}",
                            _closest(row.subject, coaches) or "add him to the scenario")
                )
            if row.club not in clubs:
                problems.append(
                    Problem(file, row.line, "club", f"unknown club {row.club!r}",
                            _closest(row.club, clubs) or "add it to other_clubs in the scenario")
                )
            if row.date > today:
                problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
            if row.cites and row.cites not in ids and row.cites.lower() not in sources:
                problems.append(
                    Problem(file, row.line, "cites",
                            f"{row.cites!r} is neither a rumour id nor a known source")
                )
            if row.cites in ids:
                cited = rumours.loc[rumours["id"] == row.cites, "date"].iloc[0]
                if cited > row.date:
                    problems.append(
                        Problem(file, row.line, "cites", f"cites {row.cites}, which is dated later")
                    )
        return problems

    def _check_facts(self, today: dt.date) -> list[Problem]:
        if "facts" not in self.files:
            return []
        file = str(self.files["facts"])
        problems = []
        ids = self.facts["id"].tolist()
        for row in self.facts.itertuples():
            if ids.count(row.id) > 1:
                problems.append(Problem(file, row.line, "id", f"duplicate id {row.id!r}"))
            if row.kind == "extended" and row.value is None:
                problems.append(Problem(file, row.line, "value", "an extension needs the new end date"))
            if row.kind == "extended" and row.value is not None and row.value < row.date:
                problems.append(Problem(file, row.line, "value",
                                        "the extended contract ends before the extension was announced"))
            if row.date > today:
                problems.append(Problem(file, row.line, "date", f"{row.date} is in the future"))
        return problems

    def _check_results(self) -> list[Problem]:
        problems = []
        mapped = set(self.team_names["canonical"]) if len(self.team_names) else set()
        for club in (p.club for p in self.spec.posts):
            names = {club} | set(self.team_names.loc[self.team_names["canonical"] == club, "name"])
            if len(self.results) and not (
                self.results["HomeTeam"].isin(names).any() or self.results["AwayTeam"].isin(names).any()
            ):
                problems.append(
                    Problem(str(self.path), None, "data.results",
                            f"no match of {club!r} in the results files",
                            "map its spelling in team_names" if club not in mapped else None)
                )
        for row in self.results.itertuples():
            if not (row.Competition or row.Div):
                problems.append(
                    Problem(row.file, row.line, "Competition", "a match needs Competition or Div")
                )
        return problems


def _closest(name: str | None, known: list[str]) -> str | None:
    if not name:
        return None
    match = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    if not match:
        lowered = {k.lower(): k for k in known}
        match = [lowered[m] for m in difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)]
    return f"did you mean {match[0]!r}?" if match else None
