"""Terminal text: headline numbers before -> after."""

from __future__ import annotations

import pandas as pd


def moves_text(before: pd.DataFrame, after: pd.DataFrame, own: pd.DataFrame, as_of,
               title: str | None = None) -> str:
    """Format each headline number before -> after, with intervals and the rumour's own part."""
    prev = before.set_index("metric") if len(before) else pd.DataFrame()
    mine = own.set_index("metric")["change_pp"] if len(own) else pd.Series(dtype=float)
    when = f" (previous run as of {before['as_of'].iloc[0]})" if len(before) and "as_of" in before else ""
    lines = [title or f"What moved, as of {as_of}{when}:"]
    for row in after.itertuples():
        had = prev.loc[row.metric] if row.metric in prev.index else None
        if row.mean < 0.01 and (had is None or had["mean"] < 0.01):
            continue
        old = f"{had['mean']:.0%} ({had['lo']:.0%}-{had['hi']:.0%})" if had is not None else "n/a"
        part = f"; this rumour {mine[row.metric]:+.1f} pp" if row.metric in mine.index else ""
        lines.append(f"  {row.metric}: {old} -> {row.mean:.0%} ({row.lo:.0%}-{row.hi:.0%}){part}")
    return "\n".join(lines)
