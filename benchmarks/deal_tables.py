"""Regenerate the README's deal tables: the reference class, what verification buys, breakout.

``python benchmarks/deal_tables.py`` prints them as Markdown (about two minutes on two cores).
Numbers, not timings: the seeds and sample counts are the README's.
"""

from __future__ import annotations

import tempfile

import detente
from detente.testing import survival_median, without_verification

REFERENCE_CLASS = {  # analogue: months the real deal held (agreements.md, chronology.csv)
    "agreed-framework-1994": 98, "missile-moratorium-1999": 66, "joint-statement-2005": 13,
    "six-party-2007": 21, "leap-day-2012": 1.5, "moratoria-2018": 20,
}
DEALS = ["kimball-2018", "mount-2019", "stanford-roadmap", "hanoi-2019", "jcpoa-style", "all-first",
         "freeze-for-freeze"]
DATES = ["2029-01", "2032-01", "2037-01"]


def signed(x: float, digits: int) -> str:
    """A number with a true minus sign and no negative zero."""
    return f"{x + 0.0:.{digits}f}".replace("-", "−") if round(x, digits) else f"{0:.{digits}f}"


def reference_class() -> None:
    r = detente.simulate(["no-deal", *REFERENCE_CLASS], samples=8192, seed=11, horizon="2046-12", missiles=False)
    print("| analogue | real deal held | model median |\n|---|---:|---:|")
    for name, held in REFERENCE_CLASS.items():
        print(f"| `{name}` | ≈ {held:g} months | {survival_median(r, name):g} months |")


def verification_and_breakout() -> None:
    with tempfile.TemporaryDirectory() as folder:
        copies = [str(without_verification(name, folder)) for name in DEALS]
        r = detente.simulate(["no-deal", *DEALS, *copies], samples=8192, seed=0, horizon="2041-12", missiles=False)
    print("| deal | averted, verified | averted, unverified | P(covert production) verified / unverified "
          "| P(in force 2037) verified / unverified |\n|---|---:|---:|---:|---:|")
    for name in DEALS:
        cells = []
        for s in (name, f"{name}-unverified"):
            q = r.quantiles("delta:warheads_possible").sel(scenario=s, date="2037-01", quantile=0.5).item()
            m = r.mean("delta:warheads_possible").sel(scenario=s, date="2037-01").item()
            cells.append(f"{signed(-q, 0)} (mean {signed(-m, 1)})")
        p = [r.probability(k).sel(scenario=s, date="2037-01").item()
             for k in ("cheated", "in_force") for s in (name, f"{name}-unverified")]
        print(f"| `{name}` | {cells[0]} | {cells[1]} | {p[0]:.0%} / {p[1]:.0%} | {p[2]:.0%} / {p[3]:.0%} |")
    print("\n| scenario | " + " | ".join(DATES) + " |\n|---|" + "---:|" * len(DATES))
    for name in ["no-deal", *DEALS]:
        q = r.quantiles("breakout_months").sel(scenario=name, quantile=0.5)
        print(f"| `{name}` | " + " | ".join(f"{q.sel(date=d).item():.1f}" for d in DATES) + " |")


if __name__ == "__main__":
    reference_class()
    print()
    verification_and_breakout()
