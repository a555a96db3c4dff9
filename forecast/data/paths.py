"""Where data lives: the data folder, scenario ids to files, and the confinement of table paths."""

from __future__ import annotations

import difflib
import os
import re
from pathlib import Path

from forecast.errors import ScenarioNotFoundError


def data_dir() -> Path:
    """Return the data folder scenario ids are looked up in.

    In order: ``$FORECAST_DATA`` (the CLI's ``--data`` sets it); ``./data`` when it holds a
    ``scenarios/`` folder (a user's own folder, with an installed package); the ``data/`` of the
    source checkout this package runs from; else ``./data``.
    """
    env = os.environ.get("FORECAST_DATA")
    if env:
        return Path(env)
    here = Path.cwd() / "data"
    if (here / "scenarios").is_dir():
        return here
    return builtin_data() or here


def builtin_data() -> Path | None:
    """Return the ``data/`` of the source checkout this package runs from, or None if installed."""
    repo = Path(__file__).resolve().parents[2] / "data"
    return repo if (repo / "scenarios").is_dir() else None


def new_data_dir() -> Path:
    """Return the data folder a new scenario is written to: ``$FORECAST_DATA``, else ``./data``.

    Never the source checkout's own folder unless asked for: a user's scenarios live with the user.
    """
    env = os.environ.get("FORECAST_DATA")
    return Path(env) if env else Path.cwd() / "data"


def cache_home() -> Path:
    """Return the folder of caches every command on this machine shares.

    ``$FORECAST_CACHE`` when set, else ``$XDG_CACHE_HOME/forecast``, else ``~/.cache/forecast``.
    It holds no user data (learned source reliabilities, keyed by a hash of everything they depend
    on): deleting it costs only a refit.
    """
    env = os.environ.get("FORECAST_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "forecast"


DEFAULT_SCENARIO = "real-madrid-2024"


def data_root(scenario_path: Path) -> Path:
    """Return the data folder a scenario may read and write in (symlinks resolved).

    The parent of ``scenarios/`` for ``<root>/scenarios/<id>.yaml``, the parent of ``cases/`` for
    ``<root>/cases/<case>/scenario.yaml``, else the scenario file's own folder.
    """
    folder = Path(scenario_path).resolve().parent
    if folder.name == "scenarios":
        return folder.parent
    if folder.parent.name == "cases":
        return folder.parent.parent
    return folder


def confined(path: Path, root: Path) -> bool:
    """Return True if ``path``, with every symlink resolved, lies inside ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def removals_path(rumours: Path) -> Path:
    """Return the file that records removed rumours, next to the rumour file."""
    return rumours.with_name(rumours.stem + ".removals.csv")


def resolve_scenario_path(scenario: str | os.PathLike | None) -> Path:
    """Turn a scenario id or path into the YAML file's path."""
    if scenario is None:
        scenario = DEFAULT_SCENARIO
    path = Path(scenario)
    if path.suffix in (".yaml", ".yml"):
        if not path.exists():
            raise ScenarioNotFoundError(f"scenario file not found: {path}")
        return path
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", str(scenario)):
        raise ScenarioNotFoundError(
            f"{str(scenario)[:80]!r} is neither a scenario id (lower-case letters, digits, '-') nor "
            "a .yaml file"
        )
    candidate = data_dir() / "scenarios" / f"{scenario}.yaml"
    if not candidate.exists():
        known = sorted(p.stem for p in (data_dir() / "scenarios").glob("*.yaml"))
        close = difflib.get_close_matches(str(scenario), known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        where = f"known: {', '.join(known)}" if known else (
            "no scenarios there: give --data DIR or set FORECAST_DATA to a folder with scenarios/, "
            "or run from a folder that has data/scenarios/")
        raise ScenarioNotFoundError(f"no scenario {scenario!r} in {candidate.parent} ({where}){hint}")
    return candidate
