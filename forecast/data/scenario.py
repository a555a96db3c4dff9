"""The :class:`Scenario`: a scenario file and its tables, loaded, validated and named."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
from pydantic import ValidationError

from forecast.data.checks import cross_check
from forecast.data.paths import confined, data_root, removals_path, resolve_scenario_path
from forecast.data.schemas import (
    FactRow,
    OddsRow,
    RemovalRow,
    ResultRow,
    RumourRow,
    SourceRow,
    TeamNameRow,
    TrackRecordRow,
)
from forecast.data.spec import ScenarioSpec, read_scenario_yaml
from forecast.errors import DataValidationError, Problem
from forecast.io.tables import read_frame, rows_to_frame


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
    for key in ("team_names", "facts", "track_record", "odds"):
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
    odds : pandas.DataFrame
        Bookmakers' prices on who a club appoints next (empty when the scenario lists none).
    files : dict of Path
        The file of each table, by key.
    assumed : dict of str to bool
        What-if assumptions, in memory only: rumour id -> whether its claim is taken to hold
        (:mod:`forecast.inference.whatif`); the forecast is then conditional on them.
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
    odds: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)
    assumed: dict[str, bool] = field(default_factory=dict)

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
            frame, probs = read_frame(files[key], model)
            problems.extend(probs)
            return frame

        sources = load("sources", SourceRow)
        rumours = load("rumours", RumourRow)
        removed = load("removals", RemovalRow)
        facts = load("facts", FactRow)
        team_names = load("team_names", TeamNameRow)
        track_record = load("track_record", TrackRecordRow)
        odds = load("odds", OddsRow)
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
                       removed, odds, files)
        problems.extend(cross_check(scenario, lines, today or dt.date.today()))
        if problems:
            raise DataValidationError(problems)
        return scenario

    def reload(self) -> Scenario:
        """Return the scenario read afresh from its file (after rumours were added or removed)."""
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
            names |= {c.club for c in q.candidates if c.club} | set(q.destinations)
        return names

    def source_names(self) -> dict[str, str]:
        """Map every source name and alias (lower case) to the canonical source name."""
        names: dict[str, str] = {}
        # Two columns as lists: iterating every column of the frame row by row costs more.
        for name, aliases in zip(self.sources["name"].tolist(), self.sources["aliases"].tolist(),
                                 strict=True):
            names[name.lower()] = name
            for alias in SourceRow.alias_list(aliases):
                names[alias.lower()] = name
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
