"""Regenerate the README's threat tables: the no-deal ICBM, what tests and deals buy in warhead
designs, the CTBT against a moratorium, and the risk of war.

``python benchmarks/threat_tables.py`` prints them as Markdown (about a minute on two cores).
Numbers, not timings: the seeds and sample counts are the README's.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml

import detente
from detente.inputs.uncertain import Fixed
from detente.results.tables import signed_percent

DEALS = ["freeze-for-freeze", "moratoria-2018", "kimball-2018", "mount-2019", "stanford-roadmap", "hanoi-2019"]
HORIZON = "2041-12"
J = {"judgement": True, "basis": "README comparison"}


def interval(row: dict, digits: int = 1) -> str:
    f = f"{{:.{digits}f}}"
    return (f"{f.format(row['p50'])} ({f.format(row['p5'])} to {f.format(row['p95'])})").replace("-", "−")


def no_deal_icbm(r) -> None:
    month = r.reliable_icbm_month()["no-deal"]
    p = {region: r.p_arrive(region).sel(scenario="no-deal", date="2032-01").item() for region in ("us_west", "us_east")}
    print(f"no-deal: first month P(ICBM reliability ≥ 0.8) > 0.5: {month}; "
          f"P(≥ 1 warhead arrives) 2032-01: Los Angeles {p['us_west']:.0%}, Washington {p['us_east']:.0%}")
    flights = r.horizon("flights:icbm").sel(scenario="no-deal").median().item()
    reliability = r.horizon("icbm_reliability").sel(scenario="no-deal").median().item()
    print(f"no-deal ICBM flights to {HORIZON}: median {flights:.0f}; ICBM reliability there: median {reliability:.2f}")


def designs_and_crises(r) -> None:
    rows = {(x["scenario"], x["metric"]): x for x in r.records() if x["date"] == r.months[-1]}
    designs = r.designs
    print("\n| scenario | " + " | ".join(f"P({d})" for d in designs) + " | crises to the horizon | Δ crises |")
    print("|---|" + "---:|" * (len(designs) + 2))
    for s in ["no-deal", *DEALS]:
        cells = []
        for d in designs:
            p = rows[s, f"p_design:{d}"]["mean"]
            delta = rows.get((s, f"delta:p_design:{d}"))
            cells.append(f"{p:.0%}" + (f" ({signed_percent(delta['mean'])})" if delta else ""))
        crisis = interval(rows[s, "crises"])
        change = interval(rows[s, "delta:crises"]) if (s, "delta:crises") in rows else "–"
        print(f"| `{s}` | " + " | ".join(cells) + f" | {crisis} | {change} |")


def ctbt_against_moratorium() -> None:
    """The same one-phase deal with a moratorium, a signed CTBT, a ratified CTBT, and a ratified
    CTBT with the test site demolished; CTBT and site valued like the moratorium so only the
    resumption delay differs."""
    measures = {"moratorium": [{"kind": "test-moratorium"}],
                "ctbt-signed": [{"kind": "test-moratorium"}, {"kind": "ctbt", "step": "sign"}],
                "ctbt-ratified": [{"kind": "test-moratorium"}, {"kind": "ctbt", "step": "ratify"}],
                "ratified-site-demolished": [{"kind": "test-moratorium"}, {"kind": "ctbt", "step": "ratify"},
                                             {"kind": "test-site-closure", "method": "demolish"}]}
    profile = detente.load_profile("dprk")
    zero = Fixed(value=0, **J)
    values = profile.values.model_copy(update={"measures": {
        **profile.values.measures, "ctbt": zero, "test-site-closure": zero}})
    profile = profile.model_copy(update={"values": values})
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for name, ms in measures.items():
            data = {"name": name, "title": name, "start": "2027-01", "phases": [{
                "id": "p", "name": "p", "start": {"at": "signature"},
                "duration_months": {"dist": "fixed", "value": 1, **J}, "measures": ms}]}
            path = Path(folder) / f"{name}.yaml"
            path.write_text(yaml.safe_dump(data))
            paths.append(str(path))
        r = detente.compare(paths, profile=profile, samples=20_000, seed=0, horizon=HORIZON)
    print("\n| one-phase deal | Δ P(compact-fission) | Δ P(thermonuclear) | Δ P(icbm-rv) | P(in force 2032) |")
    print("|---|---:|---:|---:|---:|")
    for name in measures:
        cells = [signed_percent(r.delta_p_design(d)["change"].sel(scenario=name).values[-1])
                 for d in ("compact-fission", "thermonuclear", "icbm-rv")]
        alive = r.probability("in_force").sel(scenario=name, date="2032-01").item()
        print(f"| {name} | " + " | ".join(cells) + f" | {alive:.0%} |")


if __name__ == "__main__":
    results = detente.compare(DEALS, samples=20_000, seed=0, horizon=HORIZON)
    no_deal_icbm(results)
    designs_and_crises(results)
    ctbt_against_moratorium()
