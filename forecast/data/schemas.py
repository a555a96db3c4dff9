"""Declarative row schemas for every table the tool reads.

Each CSV row is validated by a pydantic model; :func:`forecast.io.tables.read_rows` runs them over
a file and collects every problem with its line and field. The field docs here are the contract
documented in ``data/README.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

CLAIM_KINDS = ("leaves", "joins", "shortlisted", "talks", "agreement", "stays", "denial")


STRENGTHS = ("weak", "medium", "strong")


SOURCE_KINDS = (
    "club_official",
    "national_daily",
    "sports_daily",
    "broadcaster",
    "agency",
    "aggregator",
    "journalist",
)


#: ``reversed``: a departure announced earlier is called off (Xavi at Barcelona, April 2024).
FACT_KINDS = ("left", "appointed", "extended", "reversed")


#: Who is speaking in a report: the outlet's own information, or someone it quotes.
SPEAKERS = ("outlet", "coach", "club_official", "agent")


_WINDOW = re.compile(r"^(\d{4})-(\d{2})(?:/(\d{4})-(\d{2}))?$")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _blank_to_none(value):
    if isinstance(value, str) and value.strip() == "":
        return None
    return value.strip() if isinstance(value, str) else value


def parse_date(value):
    """Accept ISO dates and the football-data.co.uk ``dd/mm/yy`` and ``dd/mm/yyyy`` forms."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = value.strip()
    if _ISO_DATE.match(text):  # the common form, without strptime's cost (a tenth of a load)
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r} (use YYYY-MM-DD)")


#: The only URL schemes a data file may use: anything else (``javascript:``, ``data:``, ``file:``)
#: could run or read something when a reader clicks the link in a report.
URL_SCHEMES = ("http", "https")


def is_web_url(text: object) -> bool:
    """Return True for an absolute ``http``/``https`` URL with a host and no whitespace.

    The one URL check of the package: the row schemas use it when a file is read and the report
    template uses it again (the ``web_url`` filter) before rendering a link.
    """
    if not isinstance(text, str) or not text or any(c.isspace() or ord(c) < 32 for c in text):
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in URL_SCHEMES and bool(host)


def _web_url(value):
    if value is not None and not is_web_url(value):
        raise ValueError("not a web address: use an absolute http:// or https:// URL")
    return value


Text = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1)]


OptText = Annotated[str | None, BeforeValidator(_blank_to_none)]


Url = Annotated[str, BeforeValidator(_blank_to_none), Field(min_length=1), AfterValidator(_web_url)]


OptUrl = Annotated[str | None, BeforeValidator(_blank_to_none), AfterValidator(_web_url)]


Date = Annotated[dt.date, BeforeValidator(parse_date)]


OptDate = Annotated[dt.date | None, BeforeValidator(lambda v: parse_date(v) if _blank_to_none(v) else None)]


def parse_window(text: str | None) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """Parse a claim window ``YYYY-MM`` or ``YYYY-MM/YYYY-MM`` into inclusive (year, month) bounds.

    Parameters
    ----------
    text : str or None
        The window as written in a data file; empty means "no stated time".

    Returns
    -------
    tuple or None
        ``((y0, m0), (y1, m1))`` or ``None`` for no window.
    """
    if text is None or text.strip() == "":
        return None
    match = _WINDOW.match(text.strip())
    if not match:
        raise ValueError(f"window {text!r} is not YYYY-MM or YYYY-MM/YYYY-MM")
    y0, m0 = int(match.group(1)), int(match.group(2))
    y1, m1 = (int(match.group(3)), int(match.group(4))) if match.group(3) else (y0, m0)
    for month in (m0, m1):
        if not 1 <= month <= 12:
            raise ValueError(f"window {text!r} has a month outside 01-12")
    if (y1, m1) < (y0, m0):
        raise ValueError(f"window {text!r} ends before it starts")
    return (y0, m0), (y1, m1)


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class SourceRow(_Row):
    """An outlet or journalist that makes claims."""

    name: Text
    kind: Literal[SOURCE_KINDS]  # type: ignore[valid-type]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")]
    tier: Annotated[int, Field(ge=1, le=4)]
    aliases: OptText = None
    url: OptUrl = None

    @staticmethod
    def alias_list(aliases: str | None) -> list[str]:
        """Return a row's semicolon-separated ``aliases`` as a list."""
        return [a.strip() for a in (aliases or "").split(";") if a.strip()]


class _ClaimFields(_Row):
    source: Text
    journalist: OptText = None
    subject: Text
    claim: Literal[CLAIM_KINDS]  # type: ignore[valid-type]
    club: Text
    strength: Annotated[
        Literal[STRENGTHS] | None, BeforeValidator(_blank_to_none)  # type: ignore[valid-type]
    ] = None
    window: OptText = None
    summary: Text

    @field_validator("window")
    @classmethod
    def _window_ok(cls, value):
        parse_window(value)
        return value


class RumourRow(_ClaimFields):
    """A report about a scenario's open questions."""

    id: Text
    date: Date
    cites: OptText = None
    speaker: Annotated[
        Literal[SPEAKERS], BeforeValidator(lambda v: _blank_to_none(v) or "outlet")  # type: ignore[valid-type]
    ] = "outlet"
    url: Url


class RumourImportRow(RumourRow):
    """A rumour in a file to import (``forecast rumour import``): its id may be left to the tool."""

    id: OptText = None


class RemovalRow(_Row):
    """A rumour taken out of a scenario: recorded, never deleted."""

    id: Text
    date: Date
    reason: Text


class TrackRecordRow(_ClaimFields):
    """A resolved past claim, used to learn source reliability."""

    id: Text
    claim_date: Date
    came_true: Annotated[int, Field(ge=0, le=1)]
    resolution_date: Date
    report_url: Url
    resolution_source: Text
    echo_of: OptText = None


class FactRow(_Row):
    """An official event that constrains the outcome."""

    id: Text
    date: Date
    kind: Literal[FACT_KINDS]  # type: ignore[valid-type]
    coach: Text
    club: Text
    value: OptDate = None
    interim: Annotated[int, BeforeValidator(lambda v: _blank_to_none(v) or 0), Field(ge=0, le=1)] = 0
    url: Url
    summary: Text


class ResultRow(_Row):
    """A match in the football-data.co.uk layout (extra columns are ignored)."""

    Date: Date
    HomeTeam: Text
    AwayTeam: Text
    FTHG: Annotated[int, Field(ge=0)]
    FTAG: Annotated[int, Field(ge=0)]
    Competition: OptText = None
    Div: OptText = None


class OddsRow(_Row):
    """One name's price in a bookmaker's or exchange's market on who a club appoints next.

    Rows sharing ``snapshot`` are one market as quoted on one day by one bookmaker.
    """

    snapshot: Text
    date: Date
    bookmaker: Text
    club: Text
    name: Text
    price: Annotated[float, Field(gt=1.0, allow_inf_nan=False)]  # decimal odds (7/2 is 4.5)
    url: Url
    note: OptText = None


class TeamNameRow(_Row):
    """Maps a team name used by one data source to the scenario's canonical club name."""

    name: Text
    canonical: Text
    source: OptText = None
