"""Read CSV tables through their row schemas, collecting every problem with file, line and field."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ValidationError

from forecast.errors import DataValidationError, Problem


def required_columns(model: type[BaseModel]) -> list[str]:
    """Return the columns a file must have for ``model`` (fields without a default)."""
    return [name for name, f in model.model_fields.items() if f.is_required()]


def read_rows(path: Path, model: type[BaseModel]) -> tuple[list[tuple[int, BaseModel]], list[Problem]]:
    """Validate every row of a CSV file.

    Parameters
    ----------
    path : Path
        The CSV file (header in line 1).
    model : type of BaseModel
        Row schema from :mod:`forecast.schemas`.

    Returns
    -------
    rows : list of (int, BaseModel)
        Valid rows with their 1-based line numbers.
    problems : list of Problem
        Every problem found; empty when the file is valid.
    """
    problems: list[Problem] = []
    rows: list[tuple[int, BaseModel]] = []
    name = str(path)
    if not path.exists():
        return [], [Problem(name, None, None, "file not found")]
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        missing = [c for c in required_columns(model) if c not in header]
        if missing:
            return [], [
                Problem(name, 1, col, "required column missing", f"header is {','.join(header)}")
                for col in missing
            ]
        for record in reader:
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
                        msg += f" (got {value!r})"
                    problems.append(Problem(name, line, field, msg))
    return rows, problems


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
    rows, problems = read_rows(path, model)
    if problems:
        raise DataValidationError(problems)
    return rows_to_frame(rows, model)
