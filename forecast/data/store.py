"""Safe writes of user data: rumours are appended atomically under a lock, never rewritten.

Each write takes an exclusive lock on ``<file>.lock`` (so concurrent adds serialise), re-reads
the file, validates the new row against everything in it, and replaces the file by a complete
new copy through a temporary file and an atomic rename: a reader sees the old file or the new
one, never half of either, and a refused row leaves the file byte-for-byte unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import re

import pandas as pd
from pydantic import ValidationError

from forecast.data.checks import check_rumours
from forecast.data.paths import removals_path
from forecast.data.scenario import Scenario
from forecast.data.schemas import RemovalRow, RumourRow
from forecast.errors import DataValidationError, Problem, RumourRefusedError
from forecast.io.files import append_record, append_records, locked
from forecast.io.tables import read_rows, rows_to_frame


def next_id(ids) -> str:
    """Return the next free id of the form ``r<number>``."""
    numbers = [int(m.group(1)) for i in ids if (m := re.match(r"^r(\d+)", str(i)))]
    return f"r{max(numbers, default=0) + 1:03d}"


def add_rumour(scenario: Scenario, fields: dict, today: dt.date | None = None) -> RumourRow:
    """Validate and append one rumour to the scenario's rumour file.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose rumour file receives the row.
    fields : dict
        Column values; ``id`` is generated when missing.
    today : date, optional
        Dates after it are refused (default: the system date).

    Returns
    -------
    RumourRow
        The row as written.

    Raises
    ------
    RumourRefusedError
        For an invalid field, an unknown name, a future date or an exact duplicate; the file is
        left unchanged.
    """
    return add_rumours(scenario, [fields], today)[0]


def add_rumours(scenario: Scenario, records: list[dict], today: dt.date | None = None,
                origin: list[tuple[str, int]] | None = None) -> list[RumourRow]:
    """Validate rumours and append them all in one atomic write, or none of them.

    Parameters
    ----------
    scenario : Scenario
        The scenario whose rumour file receives the rows.
    records : list of dict
        Column values per rumour; ``id`` is generated when missing.
    today : date, optional
        Dates after it are refused (default: the system date).
    origin : list of (str, int), optional
        File and line each record came from (``forecast rumour import``), named in messages;
        default: the line it would take in the rumour file.

    Raises
    ------
    RumourRefusedError
        With every problem of every record (invalid field, unknown name, future date, duplicate
        of a stored row or of another record); the file is left unchanged.
    """
    path = scenario.files["rumours"]
    today = today or dt.date.today()
    with locked(path):
        rows, problems = read_rows(path, RumourRow)
        if problems:
            raise DataValidationError(problems)
        existing = rows_to_frame(rows, RumourRow)
        first = len(rows) + 2
        where = {first + k: origin[k] if origin else (str(path), first + k)
                 for k in range(len(records))}
        ids = list(existing["id"])
        new, refused = [], []
        for k, fields in enumerate(records):
            record = {key: v for key, v in fields.items() if v not in (None, "")}
            record.setdefault("id", next_id(ids))
            ids.append(record["id"])
            try:
                new.append((first + k, RumourRow.model_validate(record)))
            except ValidationError as exc:
                refused += [Problem(*where[first + k], ".".join(map(str, e["loc"])), e["msg"])
                            for e in exc.errors()]
        candidate = pd.concat([existing, rows_to_frame(new, RumourRow)], ignore_index=True)
        refused += [Problem(*where[p.line], p.field, p.message, p.hint)
                    for p in check_rumours(scenario, candidate, today) if p.line in where]
        key = ["date", "source", "subject", "claim", "club", "url", "window"]
        frame = candidate.assign(source=candidate["source"].str.lower(),
                                 window=candidate["window"].fillna(""))
        first_of = {}
        for row in frame.itertuples():
            value = tuple(getattr(row, c) for c in key)
            if value in first_of and row.line in where:
                refused.append(Problem(*where[row.line], None,
                                       f"exact duplicate of rumour {first_of[value]}"))
            first_of.setdefault(value, row.id)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        for line, row in new:
            dropped = [k for k, v in row.model_dump(mode="json").items()
                       if k not in header and v not in (None, "", "outlet")]
            if dropped:
                refused.append(Problem(*where[line], dropped[0],
                                       f"{path.name} has no {dropped[0]!r} column to hold this value; "
                                       "add the column"))
        if refused:
            raise RumourRefusedError(_describe(refused, "rumours" if len(records) > 1 else "rumour"))
        append_records(path, header, [row.model_dump(mode="json") for _, row in new])
    return [row for _, row in new]


def remove_rumour(scenario: Scenario, rumour_id: str, reason: str,
                  today: dt.date | None = None) -> RemovalRow:
    """Record that a rumour no longer counts (the rumour file itself is not touched)."""
    path = removals_path(scenario.files["rumours"])
    today = today or dt.date.today()
    with locked(path):
        if rumour_id not in set(scenario.rumours["id"]):
            raise RumourRefusedError(f"no rumour {rumour_id!r} in {scenario.files['rumours']}")
        removed = {r.id for _, r in read_rows(path, RemovalRow)[0]} if path.exists() else set()
        if rumour_id in removed:
            raise RumourRefusedError(f"rumour {rumour_id!r} is already recorded as removed")
        try:
            row = RemovalRow(id=rumour_id, date=today, reason=reason)
        except ValidationError as exc:
            raise RumourRefusedError(_describe([
                Problem(str(path), None, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()
            ], "removal")) from None
        append_record(path, list(RemovalRow.model_fields), row.model_dump(mode="json"))
    return row


def _describe(problems: list[Problem], what: str = "rumour") -> str:
    return f"{what} refused, nothing written:\n" + "\n".join(f"  {p}" for p in problems)
