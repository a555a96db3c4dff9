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
    """

    draws: int = 1000
    tune: int = 1000
    chains: int = 4
    seed: int = 20241115
    sampler: str = "nutpie"
    target_accept: float = 0.9
    progressbar: bool = False
    track_draws: int = 1000
    track_tune: int = 1000
    track_chains: int = 4
    track_target_accept: float = 0.95
