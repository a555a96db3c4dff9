"""Read CSV tables through their row schemas, collecting every problem with file, line and field."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ValidationError

from forecast.errors import DataValidationError, Problem


def required_columns(model: type[BaseModel]) -> list[str]:
    """Return the columns a file must have for ``model`` (fields without a default)."""
    return [name for name, f in model.model_fields.items() if f.is_required()]


#: Longest excerpt of a cell or header name quoted back in a message.
MAX_ECHO = 40


def echo(value: object) -> str:
    """Quote a value from a file for a message: ``repr`` (so control characters show), shortened."""
    text = repr(value)
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 4] + "...'"


def decode_text(path: Path) -> tuple[str | None, list[Problem]]:
    """Read a UTF-8 text file (a BOM is allowed), or say where it is not UTF-8 or not a file.

    Returns
    -------
    text : str or None
        The content, or None when it could not be read.
    problems : list of Problem
        Empty when the file was read.
    """
    name = str(path)
    if not path.exists():
        return None, [Problem(name, None, None, "file not found")]
    if not path.is_file():
        return None, [Problem(name, None, None, "not a regular file (a folder or a device?)")]
    data = path.read_bytes()
    if b"\0" in data:
        line = data[: data.index(b"\0")].count(b"\n") + 1
        return None, [Problem(name, line, None, "contains a NUL byte: a binary file, or UTF-16?")]
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, None, f"not UTF-8 text (byte {data[exc.start]:#04x}); "
                              "save the file as UTF-8")]


#: Rows of files found valid in this process, by schema and content, with the frame built from
#: them once asked for ([rows, frame or None]), least recently used first: the shared tables
#: (results, track record, sources) are read once per backtest case, and validating their rows
#: and framing them again costs most of a scenario's load. Keyed by content, so an edited file is
#: always validated afresh.
_VALID: dict[tuple[type[BaseModel], bytes], list] = {}
_VALID_MAX = 32


def read_rows(path: Path, model: type[BaseModel]) -> tuple[list[tuple[int, BaseModel]], list[Problem]]:
    """Validate every row of a CSV file.

    A file that is not a UTF-8 CSV with the model's columns is refused as a whole, and nothing of
    its content is quoted back except a header name close to a missing column. The rows of a
    valid file are kept (by schema and content) so that the same content is not validated twice
    in one process; a file with problems is checked again every time.

    Parameters
    ----------
    path : Path
        The CSV file (header in line 1).
    model : type of BaseModel
        Row schema from :mod:`forecast.data.schemas`.

    Returns
    -------
    rows : list of (int, BaseModel)
        Valid rows with their 1-based line numbers.
    problems : list of Problem
        Every problem found; empty when the file is valid.
    """
    rows, problems, _ = _read_rows(path, model)
    return rows, problems


def read_frame(path: Path, model: type[BaseModel]) -> tuple[pd.DataFrame, list[Problem]]:
    """Validate every row of a CSV file and return them as a frame (:func:`rows_to_frame`).

    The frame of a valid file's content is built once per process; each call gets its own copy.
    """
    rows, problems, key = _read_rows(path, model)
    if key is None:
        return rows_to_frame(rows, model), problems
    entry = _VALID[key]
    if entry[1] is None:
        entry[1] = rows_to_frame(rows, model)
    return entry[1].copy(), problems


def _read_rows(path: Path, model: type[BaseModel]) -> tuple[list, list[Problem], tuple | None]:
    """Return :func:`read_rows`'s rows and problems, and the content key of a valid file (else None)."""
    problems: list[Problem] = []
    rows: list[tuple[int, BaseModel]] = []
    name = str(path)
    text, unreadable = decode_text(path)
    if text is None:
        return [], unreadable, None
    key = (model, hashlib.sha256(text.encode()).digest())
    if key in _VALID:
        _VALID[key] = _VALID.pop(key)  # the most recently used now
        return list(_VALID[key][0]), [], key
    # strict: a stray or unclosed quote is an error, not a field that swallows the next rows.
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    try:
        header = reader.fieldnames or []
    except csv.Error as exc:
        return [], [Problem(name, 1, None, f"not a CSV header: {exc}")], None
    missing = [c for c in required_columns(model) if c not in header]
    if missing:
        expected = ", ".join(required_columns(model))
        return [], [
            Problem(name, 1, col, "required column missing",
                    _closest_column(col, header) or f"the header must name {expected}")
            for col in missing
        ], None
    doubled = sorted({c for c in header if header.count(c) > 1})
    if doubled:
        return [], [Problem(name, 1, col, "column appears more than once") for col in doubled], None
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            # The reader stops at a malformed record (an over-long field, a stray quote at the
            # end of the file): report it and do not guess at the rest.
            problems.append(Problem(name, reader.reader.line_num, None, f"not valid CSV: {exc}"))
            break
        line = reader.line_num
        if None in record:
            problems.append(Problem(name, line, None, "more values than header columns"))
            continue
        try:
            rows.append((line, model.model_validate(record)))
        except ValidationError as exc:
            for err in exc.errors():
                field = ".".join(str(p) for p in err["loc"]) or None
                value = record.get(field) if field else None
                msg = err["msg"]
                if value not in (None, ""):
                    msg += f" (got {echo(value)})"
                problems.append(Problem(name, line, field, msg))
    if problems:
        return rows, problems, None
    if len(_VALID) >= _VALID_MAX:
        del _VALID[next(iter(_VALID))]  # the least recently used
    _VALID[key] = [tuple(rows), None]
    return rows, problems, key


def _closest_column(column: str, header: list[str]) -> str | None:
    match = difflib.get_close_matches(column, [h[:MAX_ECHO] for h in header], n=1, cutoff=0.6)
    return f"is {echo(match[0])} meant to be {column!r}?" if match else None


def rows_to_frame(rows: list[tuple[int, BaseModel]], model: type[BaseModel]) -> pd.DataFrame:
    """Turn validated rows into a DataFrame with a ``line`` column for later messages."""
    columns = ["line", *model.model_fields]
    data = [{"line": line, **row.model_dump()} for line, row in rows]
    frame = pd.DataFrame(data, columns=columns)
    for col in frame.columns:
        # Keep empty optional fields as None (not NaN, which is truthy) so `if row.cites:` works.
        if frame[col].isna().any():
            frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def read_table(path: Path, model: type[BaseModel]) -> pd.DataFrame:
    """Read and validate a table, raising :class:`DataValidationError` with every problem."""
    frame, problems = read_frame(path, model)
    if problems:
        raise DataValidationError(problems)
    return frame
