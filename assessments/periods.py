"""Calendar months in Asia/Shanghai: parsing 'YYYY-MM' and the instants that bound it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Month:
    """A period: one calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        match = _PERIOD_RE.match(text.strip())
        if not match:
            raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
        year, month = int(match.group(1)), int(match.group(2))
        # Assessment months are of this millennium; the bound keeps "the next month" computable.
        if not 1 <= month <= 12 or not 2000 <= year <= 2999:
            raise ValueError(f"not a month in the form YYYY-MM: {text!r}")
        return cls(year, month)

    @classmethod
    def of(cls, moment: datetime | date) -> Month:
        if isinstance(moment, datetime):
            moment = moment.astimezone(SHANGHAI)
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        """First instant of the month, Shanghai time (inclusive)."""
        return datetime(self.year, self.month, 1, tzinfo=SHANGHAI)

    @property
    def end(self) -> datetime:
        """First instant of the next month (exclusive)."""
        return self.shift(1).start

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        nxt = self.shift(1)
        return date.fromordinal(date(nxt.year, nxt.month, 1).toordinal() - 1)
