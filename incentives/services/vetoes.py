"""Vetoes (一票否决) recorded in the portal by HQ managers, with their evidence."""

from __future__ import annotations

import os

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.choices import PeriodStatus
from assessments.models import Period, VetoIncident
from assessments.services.queueing import queue_recompute
from dealers.models import Dealer, User

from .. import events
from ..models import VetoEvidence
from .common import IncentiveError, check_evidence

ONLY_HQ_MANAGERS = gettext_lazy("Only HQ managers record a veto.")
MONTH_CLOSED = gettext_lazy(
    "%(month)s is closed: its scorecards are final and a veto can no longer be recorded."
)


class VetoError(IncentiveError):
    """A veto that cannot be recorded; the message is for the user."""


def may_record_veto(user: User) -> bool:
    """HQ managers (not regional managers, not dealer users) record vetoes."""
    return bool(user.is_authenticated and user.is_hq and user.is_manager)


def veto_record(
    *,
    dealer: Dealer,
    period_code: str,
    title: str,
    description: str,
    files: list[UploadedFile],
    actor: User,
) -> VetoIncident:
    """Record a verified incident that vetoes the dealer's month; its recompute is queued.

    The recompute gives the month's scorecard the lowest grade; rules then propose the veto's
    suspension and no reward at close (see rules.screen).
    """
    if not may_record_veto(actor):
        raise VetoError(ONLY_HQ_MANAGERS)
    if not title.strip():
        raise VetoError(_("Name the incident."))
    check_evidence(files)
    with transaction.atomic():
        period = Period.objects.select_for_update().filter(code=period_code).first()
        if period is None:
            raise VetoError(_("There is no month %(month)s.") % {"month": period_code})
        if period.status == PeriodStatus.CLOSED:
            raise VetoError(MONTH_CLOSED % {"month": period_code})
        incident = VetoIncident.objects.create(
            dealer=dealer,
            period=period_code,
            title=title.strip(),
            description=description.strip(),
            recorded_by=actor,
        )
        for f in files:
            VetoEvidence.objects.create(
                incident=incident, file=f, original_name=os.path.basename(f.name or "evidence")[:255]
            )
        events.veto_recorded(actor=actor, incident=incident, files=len(files))
        queue_recompute([period_code], reason="veto")
    return incident
