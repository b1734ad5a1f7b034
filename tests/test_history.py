"""The model's replay of history, with every parameter at its median, against published figures."""

import pytest


def separated(central_state, month):
    return float(central_state(month)["pu_separated"][0])


def test_separated_by_mid_2008_within_the_2008_declaration(central_state):
    # the DPRK's June 2008 declaration is reported at 31 kg (INMM) to 38.5 kg (Nuclear Diner)
    assert 31.0 <= separated(central_state, "2008-06") <= 38.5


def test_1994_core_within_albright_range(central_state):
    core = float(central_state("1994-04")["core"][0, 0])
    assert 17.0 <= core <= 33.0  # Albright 1994: 25 ± 8 kg


@pytest.mark.parametrize(
    ("before", "after", "low", "high"),
    [
        ("2009-03", "2009-06", 6.0, 10.0),  # ISIS: ~8 kg
        ("2016-03", "2016-04", 5.5, 8.0),  # ISIS: 5.5–8 kg
        ("2018-05", "2018-06", 5.0, 8.0),  # Hecker, Carlin & Serbin: 5–8 kg
    ],
)
def test_reprocessing_campaigns_match_published_amounts(central_state, before, after, low, high):
    amount = separated(central_state, after) - separated(central_state, before)
    assert low <= amount <= high


def test_no_plutonium_made_during_the_agreed_framework_freeze(central_state):
    assert central_state("1994-06")["core"][0, 0] == pytest.approx(0.0)
    assert central_state("2003-01")["core"][0, 0] == pytest.approx(0.0)


def test_tests_consume_material(central_state):
    before, after = central_state("2006-09"), central_state("2006-10")
    assert float(after["pu_used"][0] - before["pu_used"][0]) == pytest.approx(2.0)  # declared


def test_enrichment_starts_with_yongbyon(central_state, profile):
    # no weapon-grade uranium before the first plant's central start (Kangson's median is 2008-12)
    assert central_state("2001-12")["heu_made"][0] == 0.0
    assert central_state("2012-01")["heu_made"][0] > 0.0
