"""forecast: a Bayesian forecaster of football coaching successions.

The public API for notebooks::

    from forecast import Scenario, fit
    scenario = Scenario.load("real-madrid-2024")
    result = fit(scenario, seed=1)
    result.successor, result.departure, result.joint
    scenario = scenario.add_rumour(date=..., source=..., ...)
    result = update(result, scenario)  # reweights the draws; refits if too few keep weight
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("forecast")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["Scenario", "fit", "update", "__version__"]


def __getattr__(name):
    # Lazy, so that validating data or recording a rumour does not pay for importing PyMC.
    if name == "Scenario":
        from forecast.scenario import Scenario

        return Scenario
    if name == "fit":
        from forecast.fit import fit

        return fit
    if name == "update":
        from forecast.reweight import update

        return update
    raise AttributeError(f"module 'forecast' has no attribute {name!r}")
