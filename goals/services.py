"""Goals: create and revise them (each save a new version, audited), check the month in
progress, and remind owners of goals at risk."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from assessments.kpis import BY_CODE
from assessments.periods import SHANGHAI, Month
from dealers.choices import HQ_ROLES, NoticeTopic, Role
from dealers.models import Dealer, Region, User
from dealers.services import notice_send

from . import events
from .choices import Comparator, GoalKind, GroupKind, MonthStatus
from .models import Goal, GoalVersion
from .projection import comparator_for
from .selectors import FigureCache, current_month_status


class GoalError(Exception):
    """A goal that cannot be saved; the message is for the user."""


@dataclass(frozen=True)
class GoalTerms:
    """What a goal says: the KPI, the group, the months, the kind and target, the owner, a note."""

    kpi_code: str
    group_kind: str
    month_from: str
    month_to: str
    kind: str
    owner: User
    region: Region | None = None
    city_tier: int | None = None
    dealer: Dealer | None = None
    comparator: str = ""  # empty: from the KPI's direction
    target: float | None = None
    change_pct: float | None = None
    note: str = ""

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> GoalTerms:
        """The terms from a form's or a serializer's validated data (the same field names)."""
        return cls(
            kpi_code=data["kpi_code"],
            group_kind=data["group_kind"],
            region=data.get("region"),
            city_tier=data.get("city_tier"),
            dealer=data.get("dealer"),
            month_from=data["month_from"],
            month_to=data["month_to"],
            kind=data["kind"],
            comparator=data.get("comparator") or "",
            target=data.get("target"),
            change_pct=data.get("change_pct"),
            owner=data["owner"],
            note=data.get("note") or "",
        )


def goal_terms(goal: Goal) -> dict[str, Any]:
    """A goal's terms as plain data (its version record and its audit events)."""
    return {
        "kpi": goal.kpi_code,
        "group": goal.group_kind,
        "region": goal.region.name if goal.region_id else None,
        "city_tier": goal.city_tier,
        "dealer": goal.dealer.code if goal.dealer_id else None,
        "from": goal.month_from,
        "to": goal.month_to,
        "kind": goal.kind,
        "comparator": goal.comparator,
        "target": goal.target,
        "change_pct": goal.change_pct,
        "owner": goal.owner.username if goal.owner is not None else None,
        "note": goal.note,
    }


def terms_diff(before: dict[str, Any], after: dict[str, Any]) -> list[list[Any]]:
    """What changed between two versions' terms, as [field, before, after]."""
    return [[key, before.get(key), after.get(key)] for key in after if before.get(key) != after.get(key)]


def _check(terms: GoalTerms) -> list[str]:
    problems = []
    if terms.kpi_code not in BY_CODE:
        problems.append(_("Unknown KPI: %(code)s.") % {"code": terms.kpi_code})
    try:
        if Month.parse(terms.month_from) > Month.parse(terms.month_to):
            problems.append(_("The first month must not be after the last."))
    except ValueError:
        problems.append(_("Months are written YYYY-MM."))
    group_fields = {
        GroupKind.NETWORK: True,
        GroupKind.REGION: terms.region is not None,
        GroupKind.CITY_TIER: terms.city_tier is not None and 1 <= terms.city_tier <= 5,
        GroupKind.DEALER: terms.dealer is not None,
    }
    if not group_fields.get(terms.group_kind, False):
        problems.append(_("Choose the region, city tier or dealer the goal is for."))
    if terms.kind == GoalKind.LEVEL and terms.target is None:
        problems.append(_("A level goal needs a target."))
    if terms.kind == GoalKind.CHANGE and (terms.change_pct is None or terms.change_pct <= -100):
        problems.append(_("A change goal needs a change above −100 per cent."))
    if terms.comparator and terms.comparator not in Comparator.values:
        problems.append(_("Unknown comparator."))
    owner = terms.owner
    may_own = owner.is_active and (
        owner.role in HQ_ROLES
        or (
            owner.role == Role.REGIONAL_MANAGER
            and terms.group_kind == GroupKind.REGION
            and terms.region is not None
            and owner.regions.filter(pk=terms.region.pk).exists()
        )
    )
    if not may_own:
        problems.append(_("The owner must be an HQ manager, or the regional manager of the goal's region."))
    return problems


def _apply(goal: Goal, terms: GoalTerms) -> None:
    problems = _check(terms)
    if problems:
        raise GoalError(" ".join(problems))
    goal.kpi_code = terms.kpi_code
    goal.group_kind = terms.group_kind
    goal.region = terms.region if terms.group_kind == GroupKind.REGION else None
    goal.city_tier = terms.city_tier if terms.group_kind == GroupKind.CITY_TIER else None
    goal.dealer = terms.dealer if terms.group_kind == GroupKind.DEALER else None
    goal.month_from, goal.month_to = terms.month_from, terms.month_to
    goal.kind = terms.kind
    goal.comparator = terms.comparator or comparator_for(BY_CODE[terms.kpi_code].direction)
    goal.target = terms.target if terms.kind == GoalKind.LEVEL else None
    goal.change_pct = terms.change_pct if terms.kind == GoalKind.CHANGE else None
    goal.owner = terms.owner
    goal.note = terms.note


def goal_create(*, terms: GoalTerms, actor: User | None = None) -> Goal:
    """Save a new goal as its version 1. Audited."""
    goal = Goal()
    _apply(goal, terms)
    with transaction.atomic():
        goal.version = 1
        goal.created_by = actor if actor is not None and actor.pk else None
        goal.save()
        after = goal_terms(goal)
        GoalVersion.objects.create(goal=goal, version=1, terms=after, changes=[], created_by=goal.created_by)
        events.goal_created(actor=actor, goal=goal, after=after)
    goal_check(goal)
    return goal


def goal_revise(*, goal: Goal, terms: GoalTerms, actor: User | None = None) -> Goal:
    """Save new terms as the goal's next version, the earlier versions kept. Nothing changes
    (no version, no event) when the terms are the same. Audited with before and after."""
    with transaction.atomic():
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        before = goal_terms(locked)
        _apply(locked, terms)
        after = goal_terms(locked)
        changes = terms_diff(before, after)
        if not changes:
            return locked
        locked.version += 1
        locked.save()
        GoalVersion.objects.create(
            goal=locked,
            version=locked.version,
            terms=after,
            changes=changes,
            created_by=actor if actor is not None and actor.pk else None,
        )
        events.goal_changed(actor=actor, goal=locked, before=before, after=after)
    goal_check(locked)
    return locked


def goal_check(goal: Goal, *, now: datetime | None = None, cache: FigureCache | None = None) -> str:
    """Find and store the status of the goal's month in progress (what the workbench reads)."""
    now = now or timezone.now()
    status = current_month_status(goal, now=now, cache=cache)
    Goal.objects.filter(pk=goal.pk).update(
        current_month=str(Month.of(now)), current_status=status, status_checked_at=now
    )
    goal.current_month, goal.current_status, goal.status_checked_at = str(Month.of(now)), status, now
    return status


def goals_check_current(*, now: datetime | None = None) -> list[Goal]:
    """Check every goal that covers the month in progress; the goals found at risk."""
    now = now or timezone.now()
    current = str(Month.of(now))
    cache = FigureCache()
    at_risk = []
    goals = Goal.objects.filter(month_from__lte=current, month_to__gte=current).select_related(
        "region", "dealer", "owner"
    )
    for goal in goals:
        if goal_check(goal, now=now, cache=cache) == MonthStatus.AT_RISK:
            at_risk.append(goal)
    # Goals that no longer cover the month in progress keep no stale status.
    Goal.objects.filter(~Q(current_month=current)).exclude(current_status="").update(current_status="")
    return at_risk


def goals_remind_at_risk(*, now: datetime | None = None) -> dict[str, int]:
    """The morning reminder of goals at risk: one notice per goal per day to its owner.

    Idempotent per day: the notice's link carries the goal and the date, and an owner who
    already has it is not told again."""
    now = now or timezone.now()
    day = now.astimezone(SHANGHAI).date().isoformat()
    told = 0
    at_risk = goals_check_current(now=now)
    with override(settings.LANGUAGE_CODE):
        subject = _("Goals at risk this month")
        for goal in at_risk:
            url = f"{reverse('goals:detail', args=[goal.pk])}?day={day}"
            if goal.owner is None or not goal.owner.is_active or goal.owner.notices.filter(url=url).exists():
                continue
            text = _(
                "Goal at risk: %(kpi)s of %(group)s, target %(target)s, is projected to miss this month."
            ) % {
                "kpi": BY_CODE[goal.kpi_code].name_zh
                if settings.LANGUAGE_CODE.startswith("zh")
                else BY_CODE[goal.kpi_code].name_en,
                "group": goal.group_label,
                "target": goal.target_label,
            }
            told += notice_send(
                users=[goal.owner], text=text, url=url, email_subject=subject, topic=NoticeTopic.GOAL_AT_RISK
            )
    return {"at_risk": len(at_risk), "notices": told}
