"""The forecast's answers in plain words, each with its 90% interval."""

from __future__ import annotations

import numpy as np

from forecast.dims import ELSEWHERE, IN_POST, NO_VACANCY, NOT_LISTED, slug
from forecast.results.stats import interval_stats as _stats
from forecast.results.windows import month_words


def headlines(result) -> list[str]:
    """Return the answers in words a reader cannot misread, each with its 90% interval.

    Per vacancy: whether the club changes coach before the horizon, then who comes if it
    does, and unconditionally; then when each tracked coach leaves, by the end of the first
    summer and by the horizon. "Most likely" is said only of an outcome above 50%; below it,
    the top outcome is called the single most likely, which it is. Where a question names
    destinations, where the coach goes if he leaves follows his departure.
    """
    lines = []
    horizon = month_words(result.inputs.grid.labels[-1])
    post = result.idata.posterior
    for club, table in result.successor.groupby("club", sort=False):
        vac = table[table["outcome"] == NO_VACANCY].iloc[0]
        lines.append(f"{club} changes coach by the end of {horizon}: {1 - vac['mean']:.0%} "
                     f"(90% interval {1 - vac.hi:.0%}-{1 - vac.lo:.0%}).")
        s = slug(club)
        draws = post[f"successor_{s}"]
        outcomes = [str(o) for o in draws[f"{s}_outcome"].values]
        values = draws.values.reshape(-1, len(outcomes))
        change = values[:, outcomes.index(NO_VACANCY)]
        given = values / np.clip(1.0 - change, 1e-12, None)[:, None]
        named = [k for k, o in enumerate(outcomes) if o != NO_VACANCY]
        if [outcomes[k] for k in named] == [NOT_LISTED]:
            lines.append(f"No successor at {club} is named yet: add candidates to the "
                         "scenario as reports name them.")
            continue
        order = sorted(named, key=lambda k: -given[:, k].mean())
        parts = []
        for rank, k in enumerate(order[:4]):
            mean, lo, hi = _stats(given[:, k])
            who = "someone not on the list" if outcomes[k] == NOT_LISTED else outcomes[k]
            parts.append(f"{who} {mean:.0%}" + (f" (90% interval {lo:.0%}-{hi:.0%})"
                                                  if rank == 0 else ""))
        top = order[0]
        label = "most likely" if given[:, top].mean() > 0.5 else "single most likely"
        lines.append(f"If {club} changes coach, the {label} successor is " + parts[0]
                     + (f"; then {', '.join(parts[1:])}." if len(parts) > 1 else "."))
        mean, lo, hi = _stats(values[:, top])
        who = "Someone not on the list" if outcomes[top] == NOT_LISTED else outcomes[top]
        lines.append(f"{who} as the next {club} coach, counting the chance of no "
                     f"change: {mean:.0%} (90% interval {lo:.0%}-{hi:.0%}).")
        lines += [m.describe() for m in result.inputs.markets if m.club == club]
    summer = result.first_summer_end()
    for coach, table in result.departure.groupby("coach", sort=False):
        club = table["club"].iloc[0]
        by_summer = table[table["month"] == summer].iloc[0]
        by_horizon = table[table["month"] == result.inputs.grid.labels[-1]].iloc[0]
        line = (f"{coach} leaves {club} by the end of {month_words(summer)}: "
                f"{by_summer.cum_mean:.0%} (90% interval {by_summer.cum_lo:.0%}-"
                f"{by_summer.cum_hi:.0%})")
        if summer != by_horizon.month:
            line += f"; by the end of {horizon}: {by_horizon.cum_mean:.0%}"
        lines.append(line + ".")
        where = destination_line(result, coach, horizon)
        if where:
            lines.append(where)
    verdict = "passed" if result.diagnostics["passed"] else "FAILED"
    if "weight_ess" in result.diagnostics:
        lines.append(
            f"{result.diagnostics['method'].capitalize()}: weight ESS "
            f"{result.diagnostics['weight_ess']:.0f} of {result.diagnostics['draws']} draws "
            f"(needs {result.diagnostics['thresholds']['min_weight_ess']}): {verdict}."
        )
        return lines
    lines.append(
        f"Convergence {verdict}: max R-hat {result.diagnostics['max_rhat']:.3f}, min bulk ESS "
        f"{result.diagnostics['min_ess_bulk']:.0f}, min tail ESS "
        f"{result.diagnostics['min_ess_tail']:.0f}, {result.diagnostics['divergences']} divergences."
    )
    return lines


def destination_line(result, coach: str, horizon: str) -> str | None:
    """Return where ``coach`` goes if he leaves before the horizon, or None if not asked."""
    post = next(p for p in result.inputs.posts if p.coach == coach)
    if not post.destinations:
        return None
    s = slug(post.club)
    draws = result.idata.posterior[f"destination_{s}"]
    places = [str(o) for o in draws[f"{s}_destination"].values]
    values = draws.values.reshape(-1, len(places))
    stay = values[:, places.index(IN_POST)]
    given = values / np.clip(1.0 - stay, 1e-12, None)[:, None]
    order = sorted((k for k, o in enumerate(places) if o != IN_POST), key=lambda k: -given[:, k].mean())
    parts = []
    for k in order:
        mean, lo, hi = _stats(given[:, k])
        name = {ELSEWHERE: "anywhere else (or no job)"}.get(places[k], places[k])
        parts.append(f"{name} {mean:.0%} (90% interval {lo:.0%}-{hi:.0%})")
    return f"If {coach} leaves {post.club} by the end of {horizon}, he goes to: " + "; ".join(parts) + "."

