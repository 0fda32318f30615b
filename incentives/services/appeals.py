"""Appeals (申诉): filed by the dealer within the window, upheld with a correction or rejected."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.choices import PeriodStatus, RecordChannel
from assessments.models import Complaint, Period, Scorecard
from assessments.services.provenance import records_change
from dealers.models import User
from surveys.models import SurveyResponse

from .. import events
from ..choices import AppealStatus, CorrectionKind
from ..models import (
    Appeal,
)
from .common import IncentiveError, check_evidence


def appeal_window_open(period: Period, now: Any = None) -> bool:
    """Appeals are taken from when the scorecards appear, for APPEAL_WINDOW_DAYS, and never after close."""
    now = now or timezone.now()
    if period.status == PeriodStatus.CLOSED or period.scorecards_published_at is None:
        return False
    return now <= period.scorecards_published_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def appeal_file(
    *, scorecard: Scorecard, kpi_code: str, reason: str, actor: User, evidence: UploadedFile | None = None
) -> Appeal:
    if not actor.is_dealer_user or actor.dealer_id != scorecard.dealer_id:
        raise IncentiveError(_("Only the dealer appeals its own scorecard."))
    if not appeal_window_open(scorecard.period):
        raise IncentiveError(_("The appeal window for this period is closed."))
    if not scorecard.kpi_results.filter(kpi_code=kpi_code).exists():
        raise IncentiveError(_("This KPI is not on the scorecard."))
    if not reason.strip():
        raise IncentiveError(_("Give the reason for the appeal."))
    if evidence is not None:
        check_evidence([evidence])
    appeal = Appeal.objects.create(
        scorecard=scorecard,
        dealer_id=scorecard.dealer_id,
        period=scorecard.period.code,
        kpi_code=kpi_code,
        reason=reason.strip(),
        evidence=evidence or "",
        filed_by=actor,
    )
    events.appeal_changed(actor=actor, appeal=appeal, before=None)
    return appeal


def appeal_decide(
    *, appeal: Appeal, actor: User, uphold: bool, decision: str, correction: str = "", target: str = ""
) -> Appeal:
    """Uphold (correcting the data, which recomputes the period) or reject, with a reason."""
    from assessments.tasks import queue_recompute

    if not actor.is_manager or not Appeal.objects.for_user(actor).filter(pk=appeal.pk).exists():
        raise IncentiveError(_("Only a manager of this dealer decides its appeals."))
    if not decision.strip():
        raise IncentiveError(_("Give the reason for the decision."))
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.SUBMITTED:
            raise IncentiveError(_("This appeal was already decided."))
        period = Period.objects.select_for_update().get(code=locked.period)
        if uphold and period.status == PeriodStatus.CLOSED:
            raise IncentiveError(_("The period is closed; its scorecards are frozen."))
        if uphold and correction:
            _apply_correction(locked, correction, target.strip(), decision, actor)
        locked.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision = actor, timezone.now(), decision.strip()
        locked.correction, locked.correction_target = (correction, target.strip()) if uphold else ("", "")
        locked.save()
        events.appeal_changed(actor=actor, appeal=locked, before=AppealStatus.SUBMITTED, comment=decision)
        if uphold:
            queue_recompute([locked.period])
    return locked


def _apply_correction(appeal: Appeal, correction: str, target: str, reason: str, actor: User) -> None:
    if correction == CorrectionKind.EXCLUDE_COMPLAINT:
        records = Complaint.objects.filter(dealer_id=appeal.dealer_id, complaint_id=target)
    elif correction == CorrectionKind.EXCLUDE_SURVEY:
        records = SurveyResponse.objects.filter(dealer_id=appeal.dealer_id, response_id=target)
    else:
        raise IncentiveError(_("Unknown correction."))
    found = list(records.select_for_update())
    # Voiding changes what the record counts for: stamped and kept in the change history.
    records_change(
        found, {"excluded": True, "excluded_reason": reason}, user=actor, channel=RecordChannel.SYSTEM
    )
    if not found:
        raise IncentiveError(_("No record %(target)s of this dealer to correct.") % {"target": target})
