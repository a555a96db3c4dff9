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
    existing = path.read_bytes() if path.exists() else b""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    if not existing:
        writer.writeheader()
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
    path = scenario.files["rumours"]
    today = today or dt.date.today()
    with locked(path):
        rows, problems = read_rows(path, RumourRow)
        if problems:
            raise DataValidationError(problems)
        existing = rows_to_frame(rows, RumourRow)
        record = {k: v for k, v in fields.items() if v not in (None, "")}
        record.setdefault("id", next_id(existing["id"]))
        line = len(rows) + 2
        try:
            row = RumourRow.model_validate(record)
        except ValidationError as exc:
            raise RumourRefusedError(_describe([
                Problem(str(path), line, ".".join(map(str, e["loc"])), e["msg"]) for e in exc.errors()
            ])) from None
        candidate = pd.concat([existing, rows_to_frame([(line, row)], RumourRow)], ignore_index=True)
        new_problems = [p for p in scenario.check_rumours(candidate, today) if p.line == line]
        if new_problems:
            raise RumourRefusedError(_describe(new_problems))
        same = existing[
            (existing["date"] == row.date) & (existing["source"].str.lower() == row.source.lower())
            & (existing["subject"] == row.subject) & (existing["claim"] == row.claim)
            & (existing["club"] == row.club) & (existing["url"] == row.url)
            & (existing["window"].fillna("") == (row.window or ""))
        ]
        if len(same):
            raise RumourRefusedError(
                f"{path}:{line}: exact duplicate of rumour {same['id'].iloc[0]}; nothing written"
            )
        with path.open(newline="", encoding="utf-8-sig") as handle:
            header = next(csv.reader(handle))
        dropped = [k for k, v in row.model_dump(mode="json").items()
                   if k not in header and v not in (None, "", "outlet")]
        if dropped:
            raise RumourRefusedError(f"{path}:1 [{dropped[0]}]: the file has no {dropped[0]!r} column "
                                     "to hold this value; add the column; nothing written")
        append_record(path, header, row.model_dump(mode="json"))
    return row


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
