"""Physics checked against independent numbers: the SWU value function and reactor output."""

import math

import pytest

from detente.model.production import (
    feed_per_product,
    product_kg,
    reactor_pu_kg_per_year,
    swu_per_kg,
    value_function,
)


def test_swu_for_weapon_grade_matches_published_193():
    # 90 % product from 0.711 % feed at 0.3 % tails: 193 SWU/kg (fissile.md §3.3)
    assert swu_per_kg(0.90, 0.00711, 0.003) == pytest.approx(193, abs=1)


@pytest.mark.parametrize(
    ("tails", "swu", "feed"),
    [(0.002, 227, 176), (0.003, 193, 218), (0.004, 170, 288), (0.005, 154, 424)],
)
def test_swu_and_feed_table(tails, swu, feed):
    assert swu_per_kg(0.90, 0.00711, tails) == pytest.approx(swu, abs=1)
    assert feed_per_product(0.90, 0.00711, tails) == pytest.approx(feed, abs=1)


def test_value_function_by_hand():
    # V(x) = (2x - 1) ln(x / (1 - x)): zero at x = 0.5, and a hand value at x = 0.9
    assert value_function(0.5) == pytest.approx(0.0)
    assert value_function(0.9) == pytest.approx(0.8 * math.log(9))


def test_hecker_8000_swu_gives_about_40_kg():
    # ~8,000 SWU/yr ↔ "up to 40 kg of HEU per year" (Hecker 2010)
    assert product_kg(8000, 0.90, 0.00711, 0.003) == pytest.approx(41.4, abs=0.5)


def test_5mwe_reactor_gives_about_6_kg_per_year(profile):
    reactor = profile.facility("yongbyon-5mwe")
    reference_cf = reactor.capacity_factor.mode
    kg = reactor_pu_kg_per_year(reactor.power_mwt.value, reference_cf, 0.9)
    # 25 MWt × 0.73 × 0.9 g/MWd × 365.25 d = 6.0 kg/yr (Hecker: ~6, 5–7)
    assert kg == pytest.approx(25 * reference_cf * 0.9 * 365.25 / 1000)
    assert 5.8 <= kg <= 6.2
