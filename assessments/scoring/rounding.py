"""Rounding of reported figures: half up, on the shortest decimal form of the float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import overload

# 10 ** -places for the places reports use, made once (round_half_up runs per KPI per dealer).
_QUANTA = {places: Decimal(1).scaleb(-places) for places in range(7)}


@overload
def round_half_up(value: float | Decimal, places: int) -> Decimal: ...
@overload
def round_half_up(value: None, places: int) -> None: ...
@overload
def round_half_up(value: float | Decimal | None, places: int) -> Decimal | None: ...
def round_half_up(value: float | Decimal | None, places: int) -> Decimal | None:
    """Round half up to `places` decimals. None stays None.

    A float goes through its shortest repr, so 89.285 (stored as 89.28499…) rounds to 89.29
    as a person doing the arithmetic by hand would get.
    """
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    quantum = _QUANTA.get(places) or Decimal(1).scaleb(-places)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


def as_float(value: Decimal | None) -> float | None:
    return None if value is None else float(value)
