"""Writes of files: atomic replacement, spreadsheet-safe CSV export, locked appends.

A file is replaced through a temporary sibling and an atomic rename; the user's CSV tables are
appended to under a lock, never rewritten in place.
"""

from __future__ import annotations

import contextlib
import csv
import glob
import io
import os
import stat
import tempfile
from pathlib import Path

import pandas as pd
from filelock import FileLock


def atomic_write(path: Path, writer) -> None:
    """Write a file through a temporary sibling and an atomic rename.

    ``writer`` is called with the temporary path. The file keeps the mode of the one it replaces,
    or gets the usual mode for a new file (0666 less the umask), not the temporary file's 0600.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=path.suffix)
    os.close(fd)
    try:
        writer(tmp)
        _take_mode(tmp, path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot run as spreadsheet formulas.

    A text cell (or column name) starting with ``= + - @``, a tab or a carriage return gets a
    leading ``'``, which spreadsheets show as text (OWASP, "CSV injection"); a carriage return
    inside text is written as a line feed, so the cell stays quoted and whole. Numbers (a -0.3 in
    a float column) and the stored data files are not changed: this is for exported tables only.
    """
    def safe(v):
        if not isinstance(v, str):
            return v
        v = "'" + v if v.startswith(FORMULA_START) else v
        # pandas quotes a cell with a line feed but not one with a bare carriage return, which a
        # spreadsheet would read as the end of the row.
        return v.replace("\r\n", "\n").replace("\r", "\n")

    out = table.rename(columns=safe)
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(safe)
    return out


def write_csv(table: pd.DataFrame, path: Path) -> None:
    """Export a table as CSV, atomically and with formula-like text neutralised."""
    safe = neutralise_formulas(table)
    atomic_write(path, lambda p: safe.to_csv(p, index=False))







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


def _take_mode(tmp: str, path: Path) -> None:
    """Give ``tmp`` the mode (and, where the user may, the owner) of ``path``, or a new file's."""
    if path.exists():
        st = path.stat()
        os.chmod(tmp, stat.S_IMODE(st.st_mode))
        with contextlib.suppress(PermissionError):
            os.chown(tmp, st.st_uid, st.st_gid)
    else:
        os.chmod(tmp, 0o666 & ~_umask())


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
        _take_mode(tmp, path)
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
