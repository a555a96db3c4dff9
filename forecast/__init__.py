"""forecast: a Bayesian forecaster of football coaching successions.

The public API for notebooks::

    from forecast import Scenario, add_rumour, fit, update, write_report
    scenario = Scenario.load("real-madrid-2024")
    result = fit(scenario, seed=1)
    result.successor, result.departure, result.joint, result.headlines()
    write_report(result, scenario, "my-report/")  # HTML + PNG + CSV
    add_rumour(scenario, {"date": ..., "source": ..., ...})  # validated, atomic
    result = update(result, scenario.reload())  # reweights the draws; refits if too few keep weight

The package is layered (see docs/ARCHITECTURE.md); these names are imported lazily, so that
validating data or recording a rumour does not pay for importing PyMC.
"""

from importlib import import_module

from forecast.version import __version__

_PUBLIC = {
    "Scenario": "forecast.data.scenario",
    "add_rumour": "forecast.data.store",
    "fit": "forecast.inference.fit",
    "SamplerSettings": "forecast.inference.settings",
    "update": "forecast.inference.update",
    "whatif": "forecast.inference.whatif",
    "WhatIf": "forecast.inference.whatif",
    "write_report": "forecast.report.render",
}

__all__ = [*_PUBLIC, "__version__"]


def __getattr__(name):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
