"""The sources table and forest plot of learned reliability, written to a folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_sources(table: pd.DataFrame, folder: Path) -> Path:
    """Write a reliability table as CSV and a forest plot as PNG into ``folder``."""
    from forecast.io.files import atomic_write, write_csv
    from forecast.report.plots import plot_reliability

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_csv(table, folder / "sources.csv")
    ax = plot_reliability(table)
    atomic_write(folder / "sources.png", lambda p: ax.figure.savefig(p, dpi=110))
    return folder
