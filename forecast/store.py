"""Safe writes of user data: rumours are appended atomically under a lock, never rewritten.

Each write takes an exclusive lock on ``<file>.lock`` (so concurrent adds serialise), re-reads
the file, validates the new row against everything in it, and replaces the file by a complete
new copy through a temporary file and an atomic rename: a reader sees the old file or the new
one, never half of either, and a refused row leaves the file byte-for-byte unchanged.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import glob
import io
import os
import re
import stat
import tempfile
from pathlib import Path

import pandas as pd
from filelock import FileLock
from pydantic import ValidationError

from forecast.errors import DataValidationError, Problem, RumourRefusedError
from forecast.scenario import Scenario, removals_path
from forecast.schemas import RemovalRow, RumourRow
from forecast.tables import read_rows, rows_to_frame

LOCK_TIMEOUT = 60  # seconds a writer waits for another


def locked(path: Path) -> FileLock:
    """Return the exclusive lock that serialises writers of ``path`` (of a symlink's target)."""
    return FileLock(str(Path(path).resolve()) + ".lock", timeout=LOCK_TIMEOUT)


def _temp_files(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def _umask() -> int:
    """Return the process umask without changing it (``os.umask`` would, racing other threads)."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path("/proc/self/status").read_text()
        return int(next(line for line in status.splitlines() if line.startswith("Umask:")).split()[1], 8)
    return 0o022


def _atomic_replace(path: Path, content: bytes) -> None:
    """Replace ``path`` by ``content`` through a temporary sibling; call with the lock held.

    A symlink is written through (its target is replaced); the file keeps its mode and, where
    the user may set it, its owner. Temporary files of killed writers are removed: under the
    lock no other writer can own one.
    """
    path = path.resolve()
    for stale in _temp_files(path):
        stale.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if path.exists():
            st = path.stat()
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            with contextlib.suppress(PermissionError):
                os.chown(tmp, st.st_uid, st.st_gid)
        else:
            os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_record(path: Path, header: list[str], record: dict) -> None:
    """Append one CSV record (writing the header to a new file) by an atomic replace; hold the lock."""
    append_records(path, header, [record])


def append_records(path: Path, header: list[str], records: list[dict]) -> None:
    """Append CSV records (writing the header to a new file) in one atomic replace; hold the lock."""
    existing = path.read_bytes() if path.exists() else b""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    if not existing:
        writer.writeheader()
    for record in records:
        writer.writerow({k: "" if record.get(k) is None else record[k] for k in header})
    if existing and not existing.endswith(b"\n"):
        existing += b"\n"
    _atomic_replace(path, existing + buffer.getvalue().encode("utf-8"))


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
                    for p in scenario.check_rumours(candidate, today) if p.line in where]
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
