"""The one sampler configuration that flows through every fit, from the CLI to the reports."""

from __future__ import annotations

from dataclasses import dataclass

#: Convergence thresholds every run is held to: largest R-hat, smallest bulk and tail ESS (and,
#: for an importance update, smallest weight ESS).
MAX_RHAT = 1.01
MIN_ESS = 400


@dataclass(frozen=True)
class SamplerSettings:
    """How to sample, kept apart from what to model.

    ``sampler`` is ``"nutpie"`` (default: fastest effective samples per second in
    ``benchmarks/``) or ``"pymc"``. One ``seed`` reaches every random call: the succession
    model's chains, the track-record model's (whose posterior every forecast of the same claims
    reuses, so it has its own draws, tuning and step size, long enough for any run) and the
    report's prior draws. The whole object is stamped on the saved results.

    500 tuning steps, not 1000: nutpie's adaptation had settled by then on the default scenario
    (same step size, bulk ESS 2384 against 2333, 4.7 s of sampling against 6.2 s) and on the
    track record (bulk ESS 1408 against 1636, 10.3 s against 14.0 s). ``target_accept`` stays
    0.9: at 0.8 sampling took another 30% off, but 7 of the 36 backtest cases failed their checks;
    at 0.9 one of 157 does (dortmund-2023-11, one divergence in 4000 draws; none at 0.95 or with
    another seed, and the same answers to 0.003).
    """

    draws: int = 1000
    tune: int = 500
    chains: int = 4
    seed: int = 20241115
    sampler: str = "nutpie"
    target_accept: float = 0.9
    progressbar: bool = False
    track_draws: int = 1000
    track_tune: int = 500
    track_chains: int = 4
    track_target_accept: float = 0.95
