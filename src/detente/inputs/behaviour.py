"""Evidence about how deals behave: the DPRK profile's walk-away hazards, reciprocity, disputes,
cheating and detection, restart delays, the value each side puts on measures and incentives,
the UN and US sanctions a deal can relax (with the revenue or access they withhold) and the
confidence-building steps either side can take.

All behavioural numbers are judgement, calibrated so the historical analogues last about as
long as the real deals did (1994 ≈ 98 months, 2007 ≈ 21, 2012 ≈ 1.5); the data file says so.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .uncertain import Fixed, Spec, _Spec
from .validators import Fraction, Months, NonNegative, PerYear, Positive

# the value of an optional mechanism a profile does not describe: it has no effect
ABSENT = Fixed(value=0, judgement=True, basis="not given in this profile: the mechanism has no effect")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RestartDelays(_Model):
    """Months from a deal's collapse until a restricted facility runs again, by restriction."""

    freeze: Months
    disable: Months
    dismantle: Months
    dismantle_never: Fraction  # chance a dismantled facility is never rebuilt
    # before nuclear tests resume after a collapse (optional: older profiles lack them)
    ctbt_signed: Months = ABSENT  # the DPRK had signed the CTBT
    ctbt_ratified: Months = ABSENT  # … had ratified it (six months' notice of withdrawal, once in force)
    test_site_closed: Months = ABSENT  # the test site's tunnels were closed and sealed
    test_site_demolished: Months = ABSENT  # … its portals and tunnels were demolished


class Dynamics(_Model):
    """Monthly walk-away hazards and what raises or lowers them."""

    dprk_base_hazard: Fraction  # per month, balanced deal, no disputes
    us_base_hazard: Fraction
    reciprocity_sensitivity: NonNegative  # hazard × exp(β · one-sided imbalance)
    tension_relief: Fraction  # hazards × (1 − relief) with tension-reduction in force
    dispute_multiplier: Positive  # hazards × this while a verification dispute lasts
    dispute_months: Months
    dispute_background: Fraction  # share of a regime's dispute rate that applies while nothing is concealed
    confirmation_without_verification_months: Months  # months to confirm an unverified phase
    walk_on_detection: Fraction  # chance detected cheating ends the deal
    ntm_detection_per_month: Fraction  # satellites etc. see covert enrichment without on-site verification
    ntm_detection_reactor: Fraction  # … and covert operation of a restricted reactor (thermal signatures)
    cheat_temptation: Fraction  # monthly chance of starting covert production where it could not be caught
    decision_horizon_months: Positive  # months over which the chance of being caught is weighed
    covert_gain_musd_per_year: Positive  # what covert production gains, on the scale of `values`
    suspend_on_detection: Fraction  # a detection short of collapse suspends relief (else it is resolved)
    suspension_months: Months
    verification_confidence: Fraction  # the other side's hazard × (1 − this) with informing verification
    commitment_scale_musd_per_year: Positive  # a side's hazard × S / (S + value it receives)
    shock_per_year: PerYear  # outside shocks that hit every deal (launches, exercises, elections)
    shock_breach: Fraction  # chance a shock ends the deal
    # satellite launches under a moratorium whose scope was never agreed (optional: older profiles lack them)
    disputed_launch_per_year: PerYear = ABSENT  # launches a year while the DPRK holds them permitted
    disputed_launch_breach: Fraction = ABSENT  # chance the other side rules such a launch a breach
    # what declarations and goodwill do (optional: older profiles lack them, and then they do nothing)
    declaration_completeness: Fraction = ABSENT  # chance a declaration really opens a facility it names
    goodwill_relief: Fraction = ABSENT  # the other side's hazard × (1 − this) once a confidence-building step is done
    restart_months: RestartDelays


class Crisis(_Model):
    """Militarised crises on the peninsula: a monthly hazard ``base/12 × (1 − relief · calm) ×
    (1 + after_collapse · [within window of a collapse]) × (1 + after_test · [within 12 months of a
    nuclear test]) × (1 + long_range_flights · f)``, where calm is the tension reduction in force
    (0–1) and f the share of long-range missile classes flight-testing."""

    base_per_year: PerYear  # crises a year with no deal, no recent test and no long-range testing
    tension_relief: Fraction  # share of that rate removed while tension-reduction measures are in force
    after_collapse: NonNegative  # the rate × (1 + this) for `window_months` after a deal collapses
    window_months: Months
    after_test: NonNegative  # × (1 + this) for 12 months after a nuclear test
    long_range_flights: NonNegative  # × (1 + this · share of IRBM and ICBM classes flight-testing)


class Sanction(_Model):
    """A sanctions measure a deal can relax, with the revenue (or access to finance) it withholds:
    a UN Security Council resolution's (``issuer: un``, the default) or a US executive order's or
    statute's (``issuer: us``, named in ``instrument``)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    issuer: Literal["un", "us"] = "un"
    resolution: str | None = None  # UN: the resolutions
    instrument: str | None = None  # US: the executive order or statute
    year: int | None = None
    measure: str
    musd_per_year: Annotated[Spec, Field(description="revenue blocked, million USD per year")]
    note: str | None = None

    @model_validator(mode="after")
    def _named(self) -> Sanction:
        if (self.resolution if self.issuer == "un" else self.instrument) is None:
            raise ValueError("a UN measure names its `resolution`, a US one its `instrument`")
        return self


class ConfidenceStep(_Model):
    """A goodwill step one side can take (the DPRK's are measures, the other side's incentives),
    with its value and a historical example."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    side: Literal["dprk", "us"]
    action: str
    example: str | None = None
    musd_per_year: NonNegative  # its value to the side receiving it (its sources are the spec's)
    note: str | None = None


class Values(_Model):
    """What each measure costs the DPRK and each incentive is worth to it (million USD/yr
    equivalent; judgement): the scale on which reciprocity is weighed."""

    measures: dict[str, NonNegative]
    incentives: dict[str, NonNegative]

    def parameters(self) -> dict[str, _Spec]:
        out = {f"value.{k}": v for k, v in self.measures.items()}
        out.update({f"value.{k}": v for k, v in self.incentives.items()})
        return out
