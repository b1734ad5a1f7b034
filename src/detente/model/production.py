"""Fissile-material production physics.

Plutonium: a reactor makes ``power (MWt) × capacity factor × g Pu per MWd`` — about 0.9 g/MWd in
a natural-uranium graphite reactor — so 25 MWt at a 0.73 capacity factor gives ≈ 6 kg/yr.

Uranium: separative work from the value function ``V(x) = (2x − 1) ln(x / (1 − x))``; 90 %
product from 0.711 % feed at 0.3 % tails needs ≈ 193 SWU per kg.
"""

from __future__ import annotations

import numpy as np

DAYS_PER_YEAR = 365.25


def reactor_pu_kg_per_year(power_mwt, capacity_factor, g_pu_per_mwd):
    """Plutonium made in a year of operation (kg/yr)."""
    return np.asarray(power_mwt) * capacity_factor * g_pu_per_mwd * DAYS_PER_YEAR / 1000.0


def value_function(x):
    """Separation potential V(x) of an assay x (fraction U-235), dimensionless."""
    x = np.asarray(x, dtype=float)
    return (2 * x - 1) * np.log(x / (1 - x))


def feed_per_product(product, feed, tails):
    """kg of feed per kg of product (mass balance)."""
    return (np.asarray(product) - tails) / (np.asarray(feed) - tails)


def swu_per_kg(product, feed, tails):
    """Separative work (SWU) per kg of product at the given assays."""
    f = feed_per_product(product, feed, tails)
    return value_function(product) + (f - 1) * value_function(tails) - f * value_function(feed)


def product_kg(swu, product, feed, tails):
    """kg of product that ``swu`` separative work units make."""
    return np.asarray(swu) / swu_per_kg(product, feed, tails)
