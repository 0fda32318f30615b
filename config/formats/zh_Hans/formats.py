"""Dates and times the portal's way in every language (issue #20): ISO 8601, 24-hour clock —
2026-12-01 and 2026-12-01 23:44 — unambiguous for HQ in China and abroad alike. Month names
and numbers otherwise keep Django's locale data (a month: 2026年10月, October 2026)."""

DATE_FORMAT = "Y-m-d"
SHORT_DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
TIME_FORMAT = "H:i"
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%Y/%m/%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"]
FIRST_DAY_OF_WEEK = 1  # Monday
# Money and counts with thousands separators, as in English: 280,437.50 元, not 280437.50 元.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
