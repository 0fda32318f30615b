"""The tasks a rectification order starts with, per KPI that caused it.

An order opened by a KPI rule (its params name a "kpi") gets a root-cause task, the KPI's own
remedy and a check of the result; an order opened by a grade rule (or a failed verification)
gets the general plan. Each task is due a share of the way to the order's deadline, so every
due date falls on or before it. The dealer edits, adds and ticks tasks from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from assessments.kpis import BY_CODE, ENTRIES, kpi_name


@dataclass(frozen=True)
class TaskTemplate:
    title: Promise
    share: float  # of the time between opening and the deadline


ROOT_CAUSE = _("Find the root cause of the weak result: %(kpi)s")
CHECK_RESULT = _("Check the result with the latest figures: %(kpi)s")

GENERAL: tuple[TaskTemplate, ...] = (
    TaskTemplate(_("Review the scorecard and list the KPIs that cost the most points"), 0.2),
    TaskTemplate(_("Agree a remedy, an owner and a date for each of those KPIs"), 0.4),
    TaskTemplate(_("Carry out the remedies and keep evidence of each"), 0.8),
    TaskTemplate(_("Report the results to the regional manager"), 1.0),
)


def tasks_for(kpi_codes: list[str], opened: date, deadline: date) -> list[tuple[str, date]]:
    """(title, due date) of the tasks an order starts with, in the language active now."""
    span = max((deadline - opened).days, 0)

    def due(share: float) -> date:
        return min(opened + timedelta(days=round(span * share)), deadline)

    known = [c for c in kpi_codes if c in BY_CODE]
    if not known:
        return [(str(t.title), due(t.share)) for t in GENERAL]
    out: list[tuple[str, date]] = []
    for code in known:
        name = kpi_name(code)
        out.append((str(ROOT_CAUSE) % {"kpi": name}, due(0.2)))
        out.append((str(ENTRIES[code].remedy), due(0.7)))  # the KPI's remedy, from its family module
        out.append((str(CHECK_RESULT) % {"kpi": name}, due(1.0)))
    return out
