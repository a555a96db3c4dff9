"""Every prior of the succession model, in one place, with where its centre and scale come from.

Precedence: a scenario's ``priors:`` block overrides the defaults below, one name at a time.
All hazards are per calendar month on the logit scale; all choice terms are on the softmax
(log-odds) scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from types import MappingProxyType

from forecast.errors import DataValidationError, Problem


@dataclass(frozen=True)
class Prior:
    """A normal prior (or half-normal when ``positive``) with its provenance.

    Attributes
    ----------
    name : str
        Variable name in the model.
    mu, sigma : float
        Centre and scale.
    meaning : str
        What the parameter does.
    citation : str
        Where the numbers come from.
    positive : bool
        Half-normal with scale ``sigma`` (``mu`` ignored) when True.
    """

    name: str
    mu: float
    sigma: float
    meaning: str
    citation: str
    positive: bool = False

    def create(self, dims: str | None = None, shift=0.0, name: str | None = None):
        """Create the PyMC variable of this prior; call inside a model context.

        Parameters
        ----------
        dims : str, optional
            The variable's dimension (a coordinate of the model).
        shift : float or array, optional
            Added to the centre, per element (a scenario's appeal of each candidate).
        name : str, optional
            Variable name, when it differs from the prior's.
        """
        import pymc as pm

        if self.positive:
            return pm.HalfNormal(name or self.name, self.sigma, dims=dims)
        return pm.Normal(name or self.name, self.mu + shift, self.sigma, dims=dims)

    def draw(self, rng, size=None, shift=0.0):
        """Draw from this prior with NumPy (the simulators' twin of :meth:`create`)."""
        if self.positive:
            return abs(rng.normal(0.0, self.sigma, size))
        return rng.normal(self.mu + shift, self.sigma, size)


_EXIT = (
    "About one top-flight coach in three leaves per season (Bachan, Reilly & Witt 2008; "
    "36%/season in the Bundesliga, Frick, Barros & Passos 2010); per-match hazard about 1% "
    "(Bryson, Buraimo, Farnell & Simmons 2021), i.e. 3-5% a month in season."
)
_RUMOURS = (
    "Transfer-gossip hit rates are low (under 8% of English-media winter rumours came true) while "
    "a top broadsheet is near 40% and 'club sources' reports are near certain (MODEL.md, outlets); "
    "rumoured moves have base rates around 10%, which puts tier likelihood ratios near 15 / 5 / 2.6 "
    "/ 1.6. Weak scale: learned from the track record once it lands."
)

#: How many ties' worth of appeal (the ``tie`` prior) each kind of tie to the club carries. The
#: backtest's check by candidate feature found former players appointed more often than forecast
#: (22.8 expected, 29 appointed, SE 3.4, 230 cases) and former head coaches less (13.1 and 10, SE
#: 2.7) with every tie counting one. Chosen on the cases before 2023 (who, mean log score per
#: question against all ones, 146 questions, paired): former players 2 +0.007 (SE 0.009), 3
#: +0.008 (0.015), 2 with former coaches 0.5 +0.010 (0.009); confirmed from 2023 (78 questions):
#: +0.007 (0.010), +0.008 (0.019), +0.011 (0.012). Small, about a standard error in each period,
#: but the same sign and size in both (docs/RESULTS.md, "Tie types").
TIE_WEIGHTS = MappingProxyType({"former_player": 2.0, "former_coach": 0.5, "reserve_coach": 1.0,
                                "national": 1.0})

DEFAULT_PRIORS: tuple[Prior, ...] = (
    Prior("sack_base", -3.7, 0.5, "logit monthly sacking hazard in season", _EXIT),
    Prior("sack_season_end", 0.7, 0.5, "extra sacking hazard in season-end months",
          "Most coaching changes cluster in the close season (Besters, van Ours & van Tuijl 2016: "
          "84 in-season changes in 300 club-seasons, the rest between seasons)."),
    Prior("sack_form", 1.0, 0.5,
          "logit change in sacking hazard per point-per-match below the club's own expectation",
          "Results against expectation are the strongest predictor of dismissal (Hope 2002; Audas, "
          "Goddard & Rowe 2006; Bryson et al. 2021); scale weakly informative."),
    Prior("quit_base", -5.5, 0.7, "logit monthly hazard of a voluntary move in season",
          "Quits are a minority of exits and rare mid-season (Bryson et al. 2021)."),
    Prior("quit_season_end", 2.0, 0.7, "extra voluntary-move hazard in season-end months",
          "Most voluntary moves happen at season end (MODEL.md, contracts)."),
    Prior("quit_expiry", 3.0, 1.0, "extra voluntary-move hazard in the month the contract ends",
          "No published estimate of the contract effect was found (MODEL.md); weak prior with a "
          "spike at expiry."),
    Prior("quit_final_year", 1.0, 0.7,
          "extra voluntary-move hazard at the season end a year before expiry (sell, not lose)",
          "Weak prior (MODEL.md, contracts): clubs cash in on a buy-out before a final year."),
    Prior("quit_caretaker", 5.5, 1.0,
          "extra monthly hazard that a caretaker (in charge until someone is appointed) is replaced",
          "Caretakers go fast: of 39 senior-team 'Interimstrainer' spells in Transfermarkt's "
          "careers of Bundesliga coaches (../shared/data/bundesliga-coach-careers-tm), the median "
          "lasted 23 days, 72% ended within two months and 95% within three. The centre puts the "
          "in-season monthly hazard near one half (logit 0 with quit_base); a fixed remit is a "
          "contract end instead."),
    Prior("appeal", 0.0, 1.0, "candidate's appeal to the club (added to the scenario's appeal)",
          "Exchangeable candidates a priori; a scenario may shift a candidate's centre."),
    Prior("not_listed", 0.35, 0.75,
          "appeal of someone not on the list (plus log of the list size)",
          "Many appointees were on no shortlist weeks before (MODEL.md). Centre chosen on the "
          "backtest cases before 2023 (importance-sampled posteriors, mean log score of the true "
          "outcome over 18 cases: -1.670 at the earlier centre -0.7, -1.618 at 0.35; 0.7 scored "
          "-1.615 on far fewer effective draws) and confirmed on the 12 later ones (-2.741 to "
          "-2.686); the winner was on no list in 5 of 18 and 4 of 12 of them."),
    Prior("destination_appeal", 0.0, 1.0,
          "appeal of a named destination of a leaving coach, against anywhere else (which has "
          "the log of the number named)",
          "Exchangeable destinations a priori; with 'anywhere else (or no job)' standing for as "
          "many clubs as are named, half of the coach's own departures go to a named club before "
          "any report, as 'not listed' does for a successor (MODEL.md)."),
    Prior("tie", 0.5, 0.5,
          "appeal per tie to the club, weighted by kind ("
          + ", ".join(f"{kind.replace('_', ' ')} {w:g}" for kind, w in TIE_WEIGHTS.items()) + ")",
          "Clubs often promote from within or hire former players; weakly informative."),
    Prior("avail_mid", -2.0, 0.75,
          "log-odds penalty for a candidate under contract elsewhere, mid-season",
          "Employed coaches rarely move mid-season (MODEL.md, successor choice)."),
    Prior("avail_season_end", -0.5, 0.5,
          "log-odds penalty for a candidate under contract elsewhere, at season end",
          "Moves of employed coaches concentrate at season end, at a price (MODEL.md)."),
    Prior("buyout", 0.7, 0.5, "log-odds bonus for a candidate with a release clause",
          "A known clause lowers the price of prising a coach away; weakly informative."),
    Prior("pull_form", 0.5, 0.5, "appeal per point-per-match of the candidate's form",
          "Good results raise a coach's market (Bryson et al. 2021, quits); weakly informative."),
    Prior("tier1", 2.0, 0.75, "reliability logit of tier-1 sources", _RUMOURS),
    Prior("tier2", 0.75, 0.75, "reliability logit of tier-2 sources", _RUMOURS),
    Prior("tier3", -0.25, 0.75, "reliability logit of tier-3 sources", _RUMOURS),
    Prior("tier4", -1.25, 0.75, "reliability logit of tier-4 sources", _RUMOURS),
    Prior("source_sd", 0.0, 0.5, "spread of sources around their tier", _RUMOURS, positive=True),
    Prior("source_z", 0.0, 1.0, "each source's standardised deviation from its tier",
          "Non-centred parameterisation: the spread is source_sd."),
)

#: Reliability logit offset of each claim strength (weak, medium, strong) before the track record
#: is learned; :mod:`forecast.inference.reliability` learns them and passes them on.
STRENGTH_OFFSET = (-0.75, 0.0, 0.75)
#: Weight of each further report of one claim (the k-th most reliable counts ``DISCOUNT**k``)
#: before the track record is learned; :mod:`forecast.inference.reliability` learns it from events that
#: several outlets reported.
DISCOUNT = 0.5
#: Reliability logit offset of a claim about the next weeks before the track record is learned.
SOON_OFFSET = 0.0
#: Weight of a bookmakers' market on the successor prior (:mod:`forecast.features.market`): 1 would
#: take the prices at face value, 0 ignores them. First 0.25, chosen on the 13 backtest cases before
#: 2023 whose odds were at most 60 days old (who log score against weight 0, paired: 0.25 +0.037
#: (SE 0.067), 0.5 +0.033 (0.135), 1 -0.084 (0.263)) and confirmed on the 7 later ones. Checked
#: again on 43 cases with odds, 16 of them new (6 December 2026, night), against weight 0: before
#: 2023 (23 cases) 0.125 +0.011, 0.25 +0.020, 0.5 +0.022, 0.75 -0.012, 1 -0.060; from 2023 (20)
#: +0.037, +0.071, +0.117, +0.149, +0.152. 0.5 is the best before 2023 (by a hair over 0.25) and
#: the later cases confirm it over 0.25 (+0.046, SE 0.035), as do the 16 new cases no earlier
#: choice saw (+0.068, 0.034): prices already reflect the reports the model counts, and at face
#: value they overrate favourites.
MARKET_WEIGHT = 0.5
#: How much more a report of an unexpected proposition says than one of the expected
#: (:mod:`forecast.features.surprise`), by the report's strength: 0 gives a report the likelihood
#: ratio its source and strength earned whatever its proposition's prior, 1 takes each proposition
#: the same share of the way to certain (a source that knows; one that does not repeats what is
#: expected). The more a claim says its source knows (a deal agreed against a name on a list), the
#: more of the second story. Chosen on the backtest's cases before 2023 (mean log score per
#: question, 42 who, when and where questions): one exponent for all, against 0: 0.25 +0.013,
#: 0.5 +0.012, 0.75 -0.009, 1 -0.051; then by strength, against 0.25 for all (weak / medium /
#: strong): 0.25 / 0.25 / 0.5 +0.014, 0.25 / 0.25 / 1 +0.031, 0.25 / 0.5 / 1 +0.023,
#: 0 / 0.25 / 1 +0.039. The later cases, paired per case against 0.25 for all: who -0.049
#: (SE 0.076), 20 cases; when +0.006 (0.023), 22 cases: not confirmed, not refuted.
SURPRISE_EXPONENTS = {"weak": 0.0, "medium": 0.25, "strong": 1.0}


def priors_key(priors: dict[str, Prior], names=None) -> tuple:
    """Return ``(name, mu, sigma, positive)`` of each prior in ``names`` (default all), sorted.

    What a compiled graph or a cached fit depends on in the priors, as a hashable key.
    """
    return tuple(sorted((k, p.mu, p.sigma, p.positive) for k, p in priors.items()
                        if names is None or k in names))


def resolve_priors(overrides: dict | None = None, where: str = "scenario") -> dict[str, Prior]:
    """Return the priors by name with a scenario's overrides applied.

    Parameters
    ----------
    overrides : dict, optional
        ``{name: object with mu and sigma}`` from the scenario file.
    where : str
        File name for error messages.

    Raises
    ------
    DataValidationError
        If an override names an unknown prior.
    """
    priors = {p.name: p for p in DEFAULT_PRIORS}
    problems = []
    for name, value in (overrides or {}).items():
        if name not in priors:
            problems.append(Problem(where, None, f"priors.{name}", "unknown prior",
                                    f"known: {', '.join(priors)}"))
            continue
        priors[name] = replace(priors[name], mu=value.mu, sigma=value.sigma,
                               citation=f"scenario override (default: {priors[name].citation})")
    if problems:
        raise DataValidationError(problems)
    return priors



#: Priors of the track-record model (the tier centres are the succession model's tier priors).
RELIABILITY_PRIORS = (
    Prior("base_rate", -0.5, 1.0, "log-odds a claimed proposition of a kind holds before any report",
          "Weak: rumoured moves are plausible ones; about 40% before a report."),
    Prior("strength_weak", STRENGTH_OFFSET[0], 0.5, "reliability offset of a weakly stated claim",
          "Weak prior."),
    Prior("strength_strong", STRENGTH_OFFSET[2], 0.5, "reliability offset of a firmly stated claim",
          "Weak prior."),
    Prior("soon", 0.0, 1.0,
          "reliability offset of a claim about the next weeks (forecast.data.readings.is_soon)",
          "Weak prior, centred on no effect. In the track record a claim whose window ends by the "
          "end of the next month came true 194 times in 274 (71%), the others 133 in 343 (39%): "
          "leaves 26/28 against 14/26, joins 59/96 against 29/135, agreement 74/82 against "
          "20/38; shortlisted 6/25 against 14/51, no better."),
    Prior("discount_logit", math.log(DISCOUNT / (1 - DISCOUNT)), 1.0,
          "logit of the weight of each further report of one event",
          "Dependent sources are worth fewer independent ones (Clemen & Winkler 1985); centred on "
          "half weight, wide."),
    Prior("kind_sd", 0.0, 0.5, "spread of source kinds around their tier", "Weak prior.", positive=True),
    Prior("country_sd", 0.0, 0.5, "spread of countries", "Weak prior.", positive=True),
)
