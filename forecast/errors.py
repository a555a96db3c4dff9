"""Typed exceptions; the CLI maps each to an exit code and a message without a traceback."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        Path of the file, as given.
    line : int or None
        1-based line number in the file (the header is line 1 of a CSV), if known.
    field : str or None
        Column or key the problem is in.
    message : str
        What is wrong.
    hint : str or None
        How to fix it (for example the closest known name).
    """

    file: str
    line: int | None
    field: str | None
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f" [{self.field}]"
        text = f"{where}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


class ForecastError(Exception):
    """Base class of every error this package raises on purpose."""

    exit_code = 1


class DataValidationError(ForecastError):
    """Input data failed validation; carries every problem found, not just the first."""

    exit_code = 2

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioNotFoundError(ForecastError):
    """A scenario id or path that does not exist."""

    exit_code = 2


class RumourRefusedError(ForecastError):
    """A rumour that may not be added (duplicate, future date, invalid field)."""

    exit_code = 2


class ResultsMismatchError(ForecastError):
    """A saved result does not belong to the scenario or version it is loaded for."""

    exit_code = 2


class OptionError(ForecastError):
    """A command-line option that cannot work; found before any data is read or model fitted."""

    exit_code = 2
