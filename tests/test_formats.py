"""Dates and times read the same in both languages (issue #20): ISO 8601 with a 24-hour
clock, never the ambiguous US "12/01/2026 11:44 p.m." nor a long Chinese form."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.template import Context, Template
from django.utils import translation
from django.utils.formats import date_format

from assessments.periods import SHANGHAI
from assessments.templatetags.portal import local_dt


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_dates_and_times_are_iso_with_a_24_hour_clock_in_every_language(language):
    moment = datetime(2026, 12, 1, 23, 44, tzinfo=SHANGHAI)
    with translation.override(language):
        assert local_dt(moment) == "2026-12-01 23:44"
        assert date_format(date(2026, 12, 1)) == "2026-12-01"
        rendered = Template("{{ d|date }} {{ t|date:'DATETIME_FORMAT' }}").render(
            Context({"d": date(2026, 3, 9), "t": moment})
        )
        assert rendered == "2026-03-09 2026-12-01 23:44"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_money_has_thousands_separators_in_every_language(language):
    from assessments.templatetags.portal import num, period_label

    with translation.override(language):
        assert num(280437.5) == "280,437.50"
        assert num(1234567, 0) == "1,234,567"
    with translation.override("zh-hans"):
        assert period_label("2026-10") == "2026年10月"  # a month keeps its natural name
