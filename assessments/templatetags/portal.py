"""Template filters of the portal pages: scores, changes, periods and drill-down cells, per locale."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _

from assessments.pages.scorecard import unit_label as _unit_label
from assessments.periods import Month
from dealers.event_labels import event_label as _event_label

register = template.Library()

MINUS = "−"  # a real minus sign, the width of a plus


def _number(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@register.filter
def unit_label(code: str) -> str:
    """A KPI's unit code (`days`, `h`, `ROs`) in the reader's language; % and ‰ as they are."""
    return _unit_label(code or "")


@register.filter
def event_label(code: str) -> str:
    """An audit event's code (`scheme.published`) as words in the reader's language."""
    return _event_label(code)


@register.filter
def num(value: Any, digits: int = 2) -> str:
    """A number in the current locale's format, '—' when empty."""
    number = _number(value)
    if number is None:
        return "—"
    return number_format(round(number, int(digits)), int(digits), force_grouping=True)


@register.filter
def signed(value: Any, digits: int = 2) -> str:
    """+1.25 / −0.40 / 0.00 in the current locale's format; '—' when empty."""
    number = _number(value)
    if number is None:
        return "—"
    rounded = round(number, int(digits))
    text = number_format(abs(rounded), int(digits), force_grouping=True)
    if rounded > 0:
        return f"+{text}"
    if rounded < 0:
        return f"{MINUS}{text}"
    return text


@register.filter
def delta_class(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "delta-none"
    if round(number, 2) > 0:
        return "delta-up"
    if round(number, 2) < 0:
        return "delta-down"
    return "delta-flat"


@register.simple_tag
def delta(value: Any, digits: int = 2, suffix: str = "") -> str:
    """A change as a coloured span: green up, red down, grey when none."""
    arrow = {"delta-up": "▲ ", "delta-down": "▼ "}.get(delta_class(value), "")
    return format_html(
        '<span class="delta {}">{}{}{}</span>', delta_class(value), arrow, signed(value, digits), suffix
    )


@register.filter
def period_label(code: Any) -> str:
    """'2026-10' as the locale's year-and-month ('2026年10月', 'October 2026')."""
    try:
        month = Month.parse(str(code))
    except ValueError:
        return str(code)
    return date_filter(month.first_day, "YEAR_MONTH_FORMAT")


@register.filter
def percent(value: Any, digits: int = 1) -> str:
    number = _number(value)
    if number is None:
        return "—"
    return f"{number_format(round(number, int(digits)), int(digits))}%"


@register.filter
def grade_badge(grade: Any) -> str:
    if not grade:
        return format_html('<span class="badge badge-grade">—</span>')
    return format_html('<span class="badge badge-grade badge-{}">{}</span>', grade, grade)


@register.filter
def local_dt(value: Any) -> str:
    if not isinstance(value, datetime):
        return "—" if value in (None, "") else str(value)
    return date_filter(timezone.localtime(value), "SHORT_DATETIME_FORMAT")


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.simple_tag
def drill_cell(row: dict[str, Any], column: Any, choices: dict[str, dict[str, str]]) -> str:
    """One drill-down cell shown by its column kind."""
    value = row.get(column.key)
    kind = column.kind
    if kind == "flag":
        if value:
            return format_html('<span class="badge badge-bad">{}</span>', _("Yes"))
        return ""
    if value is None or value == "":
        return "" if kind == "changed" else "—"
    if kind == "datetime":
        return local_dt(value)
    if kind == "changed":  # changed since the record arrived: when (who is the next column)
        return format_html('<span class="badge badge-warn">{}</span> {}', _("Changed"), local_dt(value))
    if kind in ("hours", "days"):
        return num(value, 1)
    if kind == "money":
        return num(value, 2)
    if kind == "number":
        number = _number(value)
        if number is None:
            return str(value)
        digits = 0 if float(number).is_integer() else 2
        return num(number, digits)
    if kind == "choice":
        return str(choices.get(column.key, {}).get(value, value))
    if isinstance(value, Decimal):
        return num(value, 2)
    return str(value)


@register.filter
def share(value: Any, digits: int = 1) -> str:
    """A fraction (0.8512) as a percentage in the current locale (85.1%)."""
    number = _number(value)
    if number is None:
        return "—"
    return percent(number * 100, digits)


@register.filter
def period_choice(period: Any) -> str:
    """A month as the period picker shows it: '2026年12月 · 进行中，月报截止 2027年1月5日'."""
    label = period_label(period.code)
    if not getattr(period, "in_progress", False):
        return label
    return _("%(month)s · in progress, monthly reports due %(date)s") % {
        "month": label,
        "date": date_filter(period.due, "DATE_FORMAT"),
    }


@register.simple_tag
def default_period_rule() -> str:
    """The rule that picks the month a page opens on, in one sentence (README)."""
    share = round(settings.DEFAULT_PERIOD_MIN_SCORED_SHARE * 100)
    return _(
        "Opens on the latest month that has ended in which at least %(share)s%% of the scorecards "
        "you can see have a score (not “insufficient data”)."
    ) % {"share": share}


# --- page cache ------------------------------------------------------------------------------


class _CachedFragmentNode(template.Node):
    def __init__(self, nodelist: template.NodeList, key: template.base.FilterExpression) -> None:
        self.nodelist, self.key = nodelist, key

    def render(self, context: template.Context) -> str:
        from assessments.pages.cache import cached_fragment

        key = self.key.resolve(context, ignore_failures=True)
        return cached_fragment(key, lambda: self.nodelist.render(context))


@register.simple_tag(takes_context=True)
def page_fragment_key(context: template.Context, name: str, *parts: Any) -> str:
    """{% page_fragment_key "name" part… as key %}: a key for {% cached_fragment %} made in the
    template, for a part whose key needs what the template computed (an appeal state); it
    holds the scorecards version, the reader's scope and language as every page key does."""
    from assessments.pages.cache import fragment_key

    return fragment_key(context["request"].user, name, *parts)


@register.tag
def cached_fragment(parser: template.base.Parser, token: template.base.Token) -> _CachedFragmentNode:
    """{% cached_fragment key %}…{% endcached_fragment %}: the part rendered once per key
    (a page-cache key the view made, holding the scorecards version, scope and language);
    rendered every time when the key is empty (page cache off). Only for parts that show
    nothing per user: no form with a CSRF token, no appeal, no badge."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("cached_fragment takes one argument, the key")
    nodelist = parser.parse(("endcached_fragment",))
    parser.delete_first_token()
    return _CachedFragmentNode(nodelist, parser.compile_filter(bits[1]))
