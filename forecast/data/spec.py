"""The scenario file's YAML contract (pydantic specs) and its safe reading, with the line of every key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forecast.data.schemas import (
    Url,
)
from forecast.errors import DataValidationError, Problem
from forecast.io.tables import decode_text
from forecast.priors import DEFAULT_PRIORS, TIE_WEIGHTS

KNOWN_PRIORS = tuple(p.name for p in DEFAULT_PRIORS)


#: The kinds of tie a candidate may have to the club (their weights: :data:`TIE_WEIGHTS`).
TIES = tuple(TIE_WEIGHTS)

#: The longest wait for an appointment a successor question may allow, in months.
MAX_APPOINTMENT_MONTHS = 6
#: The most clubs a departure question may name as destinations.
MAX_DESTINATIONS = 8


def _listed_once(value: list[str], why: str = "") -> list[str]:
    """Return ``value``; raise ValueError naming any item it lists more than once."""
    twice = sorted({item for item in value if value.count(item) > 1})
    if twice:
        raise ValueError(f"{', '.join(twice)} listed twice{why}")
    return value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CandidateSpec(_Spec):
    """A coach linked to a vacancy."""

    name: str = Field(min_length=1)
    club: str | None = None
    contract_end: dt.date | None = None
    free_agent: bool = False
    #: On the club's own staff (its reserve team, a federation's youth team, its front office):
    #: ``club`` names that team, and he is available without prising him from another club.
    own_staff: bool = False
    buyout: bool = False
    ties: list[Literal[TIES]] = []  # type: ignore[valid-type]
    appeal: float | None = None
    sources: list[Url] = []

    @field_validator("ties")
    @classmethod
    def _each_kind_once(cls, value: list[str]) -> list[str]:
        return _listed_once(value, " (each kind of tie once: its weight in TIE_WEIGHTS says how "
                                   "much it counts)")

    @model_validator(mode="after")
    def _employment(self):
        if self.free_agent and self.club:
            raise ValueError("a free agent has no current club")
        if not self.free_agent and not self.club:
            raise ValueError("give the current club, or set free_agent: true")
        if self.own_staff and (self.free_agent or self.contract_end or self.buyout):
            raise ValueError("own staff is on the club's staff: give the team he coaches as club, "
                             "with no free_agent, contract_end or buyout")
        return self


class PostSpec(_Spec):
    """A tracked post: a club and its incumbent head coach."""

    club: str = Field(min_length=1)
    league: str = Field(min_length=1)
    coach: str = Field(min_length=1)
    contract_end: dt.date
    appointed: dt.date | None = None
    #: In charge only until someone is appointed (no fixed remit: a fixed one is contract_end).
    caretaker: bool = False
    sources: list[Url] = []


class QuestionSpec(_Spec):
    """A question the forecast answers: the successor at a club, or when a coach leaves."""

    kind: Literal["successor", "departure"]
    club: str | None = None
    coach: str | None = None
    candidates: list[CandidateSpec] = []
    #: An interim appointment answers the successor question (a question about who takes over
    #: now, like Manchester United's in January 2026); by default only a permanent one does.
    interim_counts: bool = False
    #: Months the appointment may come after the vacancy opens (a national team, Brazil in March to
    #: May 2025): a named coach who is a tracked incumbent leaves his own post at the first season
    #: end in the vacancy month and this many after it, or, when none falls in them, in any of
    #: them, each equally likely (:func:`forecast.features.periods.lag_matrix`). 0: in the vacancy
    #: month.
    appointment_months: int = Field(0, ge=0, le=MAX_APPOINTMENT_MONTHS)
    #: Clubs not tracked in the scenario that a departure question's coach may move to ("where
    #: does he go"): his own departure then also draws a destination, one of these or anywhere
    #: else; a move to a tracked vacancy is that vacancy's successor question.
    destinations: list[Annotated[str, Field(min_length=1)]] = Field([], max_length=MAX_DESTINATIONS)

    @field_validator("destinations")
    @classmethod
    def _once_each(cls, value: list[str]) -> list[str]:
        return _listed_once(value)

    @model_validator(mode="after")
    def _shape(self):
        if self.kind == "successor" and not self.club:
            raise ValueError("a successor question needs club")
        if self.kind == "departure" and not self.coach:
            raise ValueError("a departure question needs coach")
        if self.kind == "departure" and self.appointment_months:
            raise ValueError("appointment_months belongs to a successor question")
        if self.kind == "successor" and self.destinations:
            raise ValueError("destinations belong to a departure question")
        return self


class DataPaths(_Spec):
    """Where the scenario's tables live, relative to the scenario file."""

    rumours: str
    sources: str
    results: list[str] = []
    team_names: str | None = None
    facts: str | None = None
    track_record: str | None = None
    odds: str | None = None


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
    #: A backtest case's set: cases chosen by one rule (the backtest scores each set apart).
    case_set: str = Field("", pattern=r"^([a-z][a-z0-9 -]{0,39})?$")

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


#: PyYAML's safe loader, in C where PyYAML was built with libyaml (it is in PyPI's wheels): the
#: same documents, about 15 times faster, which the backtest's 200 scenario loads notice.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

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
        for event in yaml.parse(text, Loader=_LOADER):
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
        root = yaml.compose(text, Loader=_LOADER)
        raw = yaml.load(text, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataValidationError(
            [Problem(file, mark.line + 1 if mark else None, None, f"not valid YAML: {exc}")]
        ) from None
    lines, problems = _yaml_lines(root, file)
    if problems:
        raise DataValidationError(problems)
    return raw, lines
