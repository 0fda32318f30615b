"""Peer groups: dealers of the same city tier and the same volume band (scoring.md → groups).

A dealer's volume band is read from its `repair_count` in the month (the repair orders it
closed): the bands below, in monthly repair orders. A peer group is (city tier, band); its
key is a short string such as "3-M" (tier 3, medium volume), the same on every page, export
and API. A dealer without a repair count in the month (no scorecard) has no peer group.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

# (band code, lowest repair count of the band, label); ascending, the first starts at 0.
VOLUME_BANDS: tuple[tuple[str, int, object], ...] = (
    ("S", 0, _("under 100 repair orders a month")),
    ("M", 100, _("100–299 repair orders a month")),
    ("L", 300, _("300–999 repair orders a month")),
    ("XL", 1000, _("1,000 or more repair orders a month")),
)


def volume_band(repair_count: float | int | None) -> str | None:
    """The band of a monthly repair count (None without one)."""
    if repair_count is None:
        return None
    found = None
    for code, lowest, _label in VOLUME_BANDS:
        if repair_count >= lowest:
            found = code
    return found


def peer_key(city_tier: int, repair_count: float | int | None) -> str | None:
    """The peer group of a dealer with this city tier and monthly repair count."""
    band = volume_band(repair_count)
    return None if band is None else f"{city_tier}-{band}"
