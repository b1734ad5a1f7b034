"""Every output metric once: its name, unit, label, kind and (for histograms) bins.

Kinds: ``binned`` — a histogram per month, from which quantiles and means come; ``sum`` — an
exact per-month sum over samples (kg means, P(at least one arrives)); ``share`` — samples per
month in a deal state; ``per-sample`` — one value per sample at the horizon. Metrics marked
``per`` a region or facility exist once per target region (``deliverable:guam``) or facility; ``paired`` ones are the
per-sample difference scenario − baseline on the same draws (``delta:pu_kg``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .histograms import Bins, CountBins, KgBins, SignedCountBins, SignedKgBins, UnitBins

PAIRED = ("pu_kg", "heu_kg", "warheads_possible", "warheads_assembled")  # metrics with paired differences
KG_BINS = KgBins()  # 0.5 % relative bins from 10 g to ~10⁶ kg
COUNT_BINS = CountBins(2048)  # whole warheads 0 … 2,046 and an overflow bin
DELIVER_BINS = KgBins(floor=0.01, resolution=0.02, size=700)  # expected warheads, 2 % bins
RELIABILITY_BINS = UnitBins(1001)  # a probability in steps of 0.001
BREAKOUT_BINS = KgBins(floor=0.1, resolution=0.02, size=600)  # months, 2 % bins to ~14,000 months
BREAKOUT_WEAPONS = 1  # breakout counts months to material for this many more weapons
CRISIS_BINS = KgBins(floor=0.001, resolution=0.02, size=600)  # crises a year, 2 % bins to ~150 a year


@dataclass(frozen=True)
class Metric:
    name: str
    unit: str  # "kg", "warheads", "1" (a probability or share), "months"
    label: str
    kind: str  # "binned", "sum", "share" or "per-sample"
    bins: Bins | None = None
    per: str = ""  # "region", "facility", "missile_class" or "design": one value per target region, facility, …
    paired: bool = False  # scenario − baseline
    missiles: bool = False  # only with the missile model
    crisis: bool = False  # only with a profile's crisis model

    @property
    def per_region(self) -> bool:
        return self.per == "region"
    binning: str = ""  # name of a histogram's bins (its dimension in Results is "<binning>_bin")


def _paired(m: Metric) -> Metric:
    bins = SignedKgBins(m.bins) if isinstance(m.bins, KgBins) else SignedCountBins(m.bins.size)
    return Metric(f"delta:{m.name}", m.unit, f"Change in {m.label[0].lower()}{m.label[1:]} vs the baseline",
                  m.kind, bins, m.per, True, m.missiles, m.crisis, f"signed_{m.binning}")


_MATERIAL = (
    Metric("pu_kg", "kg", "Separated plutonium on hand", "binned", KG_BINS, binning="kg"),
    Metric("heu_kg", "kg", "Weapon-grade uranium on hand", "binned", KG_BINS, binning="kg"),
    Metric("warheads_possible", "warheads", "Warheads possible (material on hand)", "binned", COUNT_BINS,
           binning="count"),
    Metric("warheads_assembled", "warheads", "Warheads assembled", "binned", COUNT_BINS, binning="count"),
    Metric("breakout_months", "months", "Breakout time: months to new material for one more weapon", "binned",
           BREAKOUT_BINS, binning="breakout"),
)
_DELIVERABLE = Metric("deliverable", "warheads", "Warheads deliverable if all were aimed there (expected)", "binned",
                      DELIVER_BINS, per="region", missiles=True, binning="deliverable")
_RELIABILITY = Metric("icbm_reliability", "1", "ICBM reliability (flight × re-entry)", "binned",
                      RELIABILITY_BINS, missiles=True, binning="reliability")
_ALLOCATED = Metric("allocated", "warheads", "Warheads arriving under the targeting rule (one arsenal split "
                    "across regions, expected)", "binned", DELIVER_BINS, per="region", missiles=True,
                    binning="deliverable")
_CRISIS = Metric("crisis_per_year", "crises / yr", "Militarised crises a year (expected rate)", "binned",
                 CRISIS_BINS, crisis=True, binning="crisis")

METRICS: dict[str, Metric] = {m.name: m for m in (
    *_MATERIAL, _DELIVERABLE, _RELIABILITY, _ALLOCATED, _CRISIS,
    *(_paired(m) for m in _MATERIAL if m.name in PAIRED), _paired(_DELIVERABLE), _paired(_CRISIS),
    Metric("p_arrive", "1", "P(at least one warhead arrives)", "sum", per="region", missiles=True),
    Metric("p_in_force", "1", "P(deal still in force)", "share"),
    Metric("p_cheated", "1", "P(covert production has occurred)", "share"),
    Metric("p_detected", "1", "P(cheating detected)", "share"),
    Metric("months_to_threshold", "months", "Months from the start until warheads possible reach the threshold",
           "per-sample"),
    Metric("months_halted", "months", "Months with every fissile-material production facility stopped",
           "per-sample"),
    Metric("facility_months_halted", "months", "Months the facility was stopped", "per-sample", per="facility"),
    Metric("deal_months", "months", "Months the deal lasted (from its first phase)", "per-sample"),
    Metric("collapsed", "1", "Deal collapsed by the horizon (0/1)", "per-sample"),
    Metric("cheated", "1", "Covert production took place (0/1)", "per-sample"),
    Metric("detected", "1", "Cheating detected (0/1)", "per-sample"),
    Metric("relief", "million USD/yr", "Value the DPRK receives in the last month (0 once the deal collapsed; "
           "snap-back relief gone after a detection)", "per-sample"),
    Metric("p_design", "1", "P(warhead design validated)", "share", per="design"),
    Metric("delta:p_design", "1", "Change in P(warhead design validated) vs the baseline", "share", per="design",
           paired=True),
    Metric("crises", "crises", "Militarised crises from the scenario start to the horizon (expected)",
           "per-sample", crisis=True),
    Metric("flights", "flights", "Flight tests from the data date to the horizon (expected)", "per-sample",
           per="missile_class", missiles=True),
    Metric("warheads_by_design", "warheads", "Warheads on missiles at the horizon, by design (targeting rule)",
           "per-sample", per="design", missiles=True),
)}
DEAL_EVENTS = ("in_force", "cheated", "detected")  # shares counted per month for deals
SUMMED = ("pu_kg", "heu_kg")  # binned metrics whose means come from exact sums


def binned(missiles: bool, paired: bool, crisis: bool = False) -> list[Metric]:
    """The histogram metrics of a run, in their fixed order."""
    return [m for m in METRICS.values() if m.kind == "binned" and (missiles or not m.missiles)
            and (paired or not m.paired) and (crisis or not m.crisis)]


def metric(name: str) -> Metric:
    """The metric of a name, with or without its region (``deliverable:guam`` → deliverable)."""
    if name in METRICS:
        return METRICS[name]
    for m in METRICS.values():
        if m.per and name.startswith(f"{m.name}:"):
            return m
    raise KeyError(name)
