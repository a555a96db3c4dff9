"""The model's data arrays as a labelled Dataset, each axis named by what it indexes.

Inside the model the arrays keep positional names (``form_0``), so that scenarios of one shape
share one compiled function; saved with a fit, they are labelled here.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from forecast.dims import (
    AFTER,
    MONTH,
    SOURCE,
    STRENGTH,
    STRENGTH_LEVELS,
    slug,
)
from forecast.features.arrays import ModelInputs, model_data

#: Axes of an appointee's lag matrix: the vacancy's month and the month he leaves his post.
VACANCY_MONTH, LEAVE_MONTH = "vacancy_month", "leave_month"


def data_dims(inputs: ModelInputs) -> tuple[dict[str, tuple[str, ...]], dict[str, list]]:
    """Return the labelled dimensions of every array of :func:`model_data`, and their coordinates."""
    dims: dict[str, tuple[str, ...]] = {
        "unit_tier": (SOURCE,), "unit_learned": (SOURCE,), "unit_mu": (SOURCE,),
        "unit_sd": (SOURCE,), "strength_offset": (STRENGTH,), "discount": (), "soon_offset": (),
        "season_end": (MONTH,), "live": (MONTH,),
    }
    coords: dict[str, list] = {SOURCE: list(inputs.units), STRENGTH: list(STRENGTH_LEVELS),
                               MONTH: list(inputs.grid.labels),
                               VACANCY_MONTH: [*inputs.grid.labels, AFTER],
                               LEAVE_MONTH: [*inputs.grid.labels, AFTER]}
    for i, p in enumerate(inputs.posts):
        s = slug(p.club)
        report, state, choice = f"report_{s}", f"state_{s}", f"candidate_{s}"
        dims.update({f"form_{i}": (), f"caretaker_{i}": (), f"expiry_{i}": (MONTH,),
                     f"final_year_{i}": (MONTH,),
                     f"mask_{i}": (state,), f"truth_{i}": (report, state)})
        dims.update({f"{k}_{i}": (report,)
                     for k in ("unit", "strength", "weight", "rank", "surprise", "soon")})
        dims[f"lag_{i}"] = (VACANCY_MONTH, LEAVE_MONTH)
        if p.has_successor:
            dims.update({f"employed_{i}": (MONTH, choice), f"choice_end_{i}": (MONTH,),
                         f"named_{i}": ()})
            dims.update({f"{k}_{i}": (choice,)
                         for k in ("cand_form", "appeal_shift", "ties", "buyout", "spare")})
            coords[choice] = list(p.candidates)
    return dims, coords


def constant_data(inputs: ModelInputs, data: dict[str, np.ndarray] | None = None) -> xr.Dataset:
    """Return the model's data arrays (``data``, default :func:`model_data`) as a labelled Dataset."""
    dims, coords = data_dims(inputs)
    data = model_data(inputs) if data is None else data
    used = {d for name in data for d in dims[name]}
    return xr.Dataset({name: xr.DataArray(value, dims=dims[name]) for name, value in data.items()},
                      coords={d: v for d, v in coords.items() if d in used})
