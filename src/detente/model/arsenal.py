"""From fissile material to warheads."""

from __future__ import annotations

import numpy as np


def warheads(pu_kg, heu_kg, pu_per_weapon, heu_per_weapon, out=None, scratch=None):
    """Weapons the material supports: ``floor(Pu / kg per weapon) + floor(HEU / kg per weapon)``.

    Single-material designs (each weapon holds Pu or HEU). ``out``/``scratch`` are optional
    float arrays of the same shape, used to avoid allocation in the month loop.
    """
    out = np.divide(pu_kg, pu_per_weapon, out=out)
    np.floor(out, out=out)
    scratch = np.divide(heu_kg, heu_per_weapon, out=scratch)
    np.floor(scratch, out=scratch)
    out += scratch
    return out
