"""Peer groups: city tier × volume band by the month's repair count."""

import pytest

from assessments.kpis.peers import peer_key, volume_band


@pytest.mark.parametrize(
    ("count", "band"),
    [
        (None, None),
        (0, "S"),
        (99, "S"),
        (100, "M"),
        (299, "M"),
        (300, "L"),
        (999, "L"),
        (1000, "XL"),
        (25000, "XL"),
    ],
)
def test_a_repair_count_falls_in_exactly_one_volume_band(count, band):
    assert volume_band(count) == band


def test_a_peer_group_is_the_city_tier_and_the_band():
    assert peer_key(3, 150) == "3-M"
    assert peer_key(1, 1200) == "1-XL"
    assert peer_key(2, None) is None
