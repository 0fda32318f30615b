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

from assessments.kpis import BY_CODE


@dataclass(frozen=True)
class TaskTemplate:
    title: Promise
    share: float  # of the time between opening and the deadline


# The remedy that most often moves each KPI, one line per KPI of the catalogue.
KPI_REMEDIES: dict[str, Promise] = {
    "certified_staff_rate": _("Enrol uncertified technicians in the next certification session"),
    "equipment_availability_rate": _("Repair or replace faulty equipment and keep a maintenance log"),
    "training_hours_per_technician": _("Draw up a monthly training plan and record the hours"),
    "appointment_lead_days": _("Offer earlier appointment slots and confirm each booking the day before"),
    "repair_cycle_hours": _("Find where repair orders wait longest and remove the bottleneck"),
    "on_time_delivery_rate": _("Give each customer a realistic promised time and track it daily"),
    "parts_supply_hours": _("Review stock levels of the most-ordered parts and speed up orders"),
    "complaint_closure_24h_rate": _("Name who answers each new complaint and close it within 24 hours"),
    "csat": _("Call back dissatisfied customers and fix the reasons they give"),
    "first_time_fix_rate": _("Review every comeback with the technician and add a final quality check"),
    "complaint_rate": _("Analyse this quarter's complaints by cause and fix the three most frequent"),
    "warranty_cost_per_claim": _("Audit high-cost warranty claims and correct diagnosis or parts use"),
    "repair_count": _("Plan campaigns to bring customers back for service"),
    "repair_output_value": _("Review labour and parts pricing and offer needed maintenance on every visit"),
    "nps": _("Ask detractors why and act on the most common answer"),
}

ROOT_CAUSE = _("Find the root cause of the weak result: %(kpi)s")
CHECK_RESULT = _("Check the result with the latest figures: %(kpi)s")

GENERAL: tuple[TaskTemplate, ...] = (
    TaskTemplate(_("Review the scorecard and list the KPIs that cost the most points"), 0.2),
    TaskTemplate(_("Agree a remedy, an owner and a date for each of those KPIs"), 0.4),
    TaskTemplate(_("Carry out the remedies and keep evidence of each"), 0.8),
    TaskTemplate(_("Report the results to the regional manager"), 1.0),
)


def kpi_name(code: str) -> str:
    """The KPI's name in the active language; never its code, unless it is not in the catalogue."""
    from django.utils.translation import get_language

    kpi = BY_CODE.get(code)
    if kpi is None:
        return code
    return kpi.name_en if (get_language() or "zh-hans").startswith("en") else kpi.name_zh


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
        out.append((str(KPI_REMEDIES[code]), due(0.7)))
        out.append((str(CHECK_RESULT) % {"kpi": name}, due(1.0)))
    return out
