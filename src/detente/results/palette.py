"""Scenario colours: Petroff's ten-colour sequence (matplotlib's ``petroff10`` style), chosen to
stay distinguishable under the common colour-vision deficiencies (Petroff, "Accessible color
sequences for data visualization", arXiv:2107.02270, 2021). A bundled scenario keeps its colour
in every report; the baseline is always grey."""

from __future__ import annotations

PALETTE = ("#3f90da", "#ffa90e", "#bd1f01", "#94a4a2", "#832db6", "#a96b59", "#e76300", "#b9ac70",
           "#717581", "#92dadd")
BASELINE = PALETTE[8]  # grey
HISTORY = "#8a8f99"  # the shared history, drawn once
FIXED = {  # bundled scenarios → their colour, so a deal looks the same in every report
    "kimball-2018": PALETTE[0], "mount-2019": PALETTE[1], "stanford-roadmap": PALETTE[2],
    "jcpoa-style": PALETTE[4], "all-first": PALETTE[5], "freeze-for-freeze": PALETTE[6],
    "moratoria-2018": PALETTE[7], "hanoi-2019": PALETTE[9], "agreed-framework-1994": PALETTE[3],
    "six-party-2007": PALETTE[2], "leap-day-2012": PALETTE[1], "joint-statement-2005": PALETTE[4],
    "missile-moratorium-1999": PALETTE[6], "no-deal": BASELINE,
}


def colours(names: list[str], baseline: str | None = None) -> dict[str, str]:
    """A distinct colour per name: the baseline grey, bundled scenarios their fixed colour
    unless an earlier name took it, others the first free colour in Petroff's order."""
    taken: dict[str, str] = {}
    if baseline in names:
        taken[baseline] = BASELINE
    for name in names:
        if name in taken:
            continue
        used = set(taken.values())
        wanted = FIXED.get(name)
        if wanted is None or wanted in used:
            free = [c for c in PALETTE if c not in used and c != BASELINE] or [c for c in PALETTE if c not in used]
            wanted = free[0] if free else PALETTE[len(taken) % len(PALETTE)]
        taken[name] = wanted
    return {name: taken[name] for name in names}
