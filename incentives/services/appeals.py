"""Appeals (申诉): filed by the dealer within the window against the records a KPI counted,
upheld with a correction of those records or rejected, with a reason."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from assessments.choices import PeriodStatus, RecordChannel
from assessments.kpis import ENTRIES
from assessments.kpis import records as kpi_records
from assessments.models import Complaint, PartsOrder, Period, RepairOrder, Scorecard
from assessments.models.provenance import history_value
from assessments.periods import Month
from assessments.services.provenance import records_change
from assessments.services.queueing import queue_recompute
from dealers.models import User
from surveys.choices import FlagStatus
from surveys.models import ResponseFlag, SurveyResponse

from .. import events
from ..choices import AppealRecordKind, AppealStatus, CorrectionKind, RecordCorrection
from ..models import Appeal, AppealEvidence, AppealRecord
from .common import IncentiveError, check_evidence

# --- the window --------------------------------------------------------------------------


def appeal_window_end(period: Period) -> datetime | None:
    """When the period's appeal window ends: APPEAL_WINDOW_DAYS after its scorecards appeared
    (None while they have not), or when it closed, whichever comes first."""
    if period.scorecards_published_at is None:
        return None
    end = period.scorecards_published_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    if period.status == PeriodStatus.CLOSED and period.closed_at is not None:
        return min(end, period.closed_at)
    return end


def appeal_window_open(period: Period, now: Any = None) -> bool:
    """Appeals are taken from when the scorecards appear, for APPEAL_WINDOW_DAYS, and never after close."""
    now = now or timezone.now()
    end = appeal_window_end(period)
    if period.status == PeriodStatus.CLOSED or end is None:
        return False
    return now <= end


# --- which records a KPI counted ---------------------------------------------------------


@dataclass(frozen=True)
class RecordSpec:
    """How a kind of contested record is found and what may be corrected on it."""

    model: type[RepairOrder] | type[Complaint] | type[PartsOrder] | type[SurveyResponse]
    key_field: str
    can_void: bool
    times: tuple[str, ...]


RECORD_SPECS: dict[str, RecordSpec] = {
    AppealRecordKind.REPAIR_ORDER: RecordSpec(
        RepairOrder, "ro_number", False, ("booked_at", "opened_at", "promised_at", "closed_at")
    ),
    AppealRecordKind.COMPLAINT: RecordSpec(Complaint, "complaint_id", True, ("received_at", "closed_at")),
    AppealRecordKind.PARTS_ORDER: RecordSpec(PartsOrder, "order_id", False, ("ordered_at", "fulfilled_at")),
    AppealRecordKind.SURVEY_RESPONSE: RecordSpec(SurveyResponse, "response_id", True, ("responded_at",)),
}

# Times that must stay in order on a record (earlier, later) when one is corrected.
TIME_ORDER: dict[str, tuple[tuple[str, str], ...]] = {
    AppealRecordKind.REPAIR_ORDER: (
        ("booked_at", "opened_at"),
        ("opened_at", "closed_at"),
        ("opened_at", "promised_at"),
    ),
    AppealRecordKind.COMPLAINT: (("received_at", "closed_at"),),
    AppealRecordKind.PARTS_ORDER: (("ordered_at", "fulfilled_at"),),
    AppealRecordKind.SURVEY_RESPONSE: (),
}

# The record kind each KPI counts, from the KPI registry (assessments/kpis). The capacity KPIs
# count the approved monthly report, which has its own review: no records.
KPI_RECORD_KIND: dict[str, str] = {code: e.appeal_kind for code, e in ENTRIES.items() if e.appeal_kind}


def appeal_counted_rows(user: Any, scorecard: Scorecard, kpi_code: str) -> Any:
    """The records the KPI counted for this scorecard, as its drill-down shows them (dict rows)."""
    if kpi_code not in KPI_RECORD_KIND:
        return None
    return kpi_records(user, scorecard.dealer, Month.parse(scorecard.period.code), kpi_code)


def corrections_for(kind: str, kpi_code: str) -> list[tuple[str, str]]:
    """The corrections HQ may make to a record of this kind contested against this KPI."""
    spec = RECORD_SPECS[kind]
    choices = [(RecordCorrection.NONE.value, str(RecordCorrection.NONE.label))]
    if spec.can_void:
        choices.append((RecordCorrection.VOID.value, str(RecordCorrection.VOID.label)))
    if kind == AppealRecordKind.REPAIR_ORDER and kpi_code == "first_time_fix_rate":
        choices.append((RecordCorrection.NOT_COMEBACK.value, str(RecordCorrection.NOT_COMEBACK.label)))
    choices.append((RecordCorrection.SET_TIME.value, str(RecordCorrection.SET_TIME.label)))
    return choices


def time_fields_for(kind: str) -> list[tuple[str, str]]:
    """The time fields of a record kind HQ may correct, with their labels."""
    spec = RECORD_SPECS[kind]
    return [(f, str(_field(spec, f).verbose_name)) for f in spec.times]


def _field(spec: RecordSpec, name: str) -> models.Field[Any, Any]:
    field = spec.model._meta.get_field(name)
    assert isinstance(field, models.Field)  # the spec names the record's own columns, not relations
    return field


def _json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: history_value(v) for k, v in row.items() if not k.startswith("changed")}


# --- filing ------------------------------------------------------------------------------


def appeal_file(
    *,
    scorecard: Scorecard,
    kpi_code: str,
    reason: str,
    actor: User,
    evidence: UploadedFile | None = None,
    files: Sequence[UploadedFile] = (),
    records: Sequence[str] | None = None,
) -> Appeal:
    """File an appeal against one KPI of the dealer's own scorecard, within the window.

    `records` are the keys (RO number, complaint id…) of the records contested, each one the
    KPI counted; None files against the KPI as a whole (the API's single-KPI appeal).
    `files` are the evidence files; `evidence` is the API's single file.
    """
    if not actor.is_dealer_user or actor.dealer_id != scorecard.dealer_id:
        raise IncentiveError(_("Only the dealer appeals its own scorecard."))
    if not appeal_window_open(scorecard.period):
        raise IncentiveError(_("The appeal window for this period is closed."))
    if not scorecard.kpi_results.filter(kpi_code=kpi_code).exists():
        raise IncentiveError(_("This KPI is not on the scorecard."))
    if not reason.strip():
        raise IncentiveError(_("Give the reason for the appeal."))
    check_evidence([*files, *([evidence] if evidence is not None else [])])
    contested = _contested(actor, scorecard, kpi_code, records) if records is not None else []
    with transaction.atomic():
        appeal = Appeal.objects.create(
            scorecard=scorecard,
            dealer_id=scorecard.dealer_id,
            period=scorecard.period.code,
            kpi_code=kpi_code,
            reason=reason.strip(),
            evidence=evidence or "",
            filed_by=actor,
        )
        AppealRecord.objects.bulk_create(
            AppealRecord(appeal=appeal, kind=kind, record_id=pk, record_key=key, snapshot=snapshot)
            for kind, pk, key, snapshot in contested
        )
        for f in files:
            AppealEvidence.objects.create(appeal=appeal, file=f, name=(f.name or "")[:200])
        events.appeal_changed(actor=actor, appeal=appeal, before=None)
    return appeal


def _contested(
    actor: User, scorecard: Scorecard, kpi_code: str, keys: Sequence[str]
) -> list[tuple[str, int, str, dict[str, Any]]]:
    """The contested records, each checked to be one the KPI counted, with what it counted."""
    wanted = list(dict.fromkeys(k.strip() for k in keys if k.strip()))
    kind = KPI_RECORD_KIND.get(kpi_code)
    if kind is None:
        if wanted:
            raise IncentiveError(_("This KPI counts no records that can be contested."))
        return []
    if not wanted:
        raise IncentiveError(_("Tick the records you contest."))
    spec = RECORD_SPECS[kind]
    drill = appeal_counted_rows(actor, scorecard, kpi_code)
    rows = {r[spec.key_field]: r for r in drill.rows.filter(**{f"{spec.key_field}__in": wanted})}
    missing = [k for k in wanted if k not in rows]
    if missing:
        raise IncentiveError(
            _("Not counted by this KPI this month: %(records)s.") % {"records": ", ".join(missing)}
        )
    pks = dict(
        spec.model.objects.filter(
            dealer_id=scorecard.dealer_id, **{f"{spec.key_field}__in": wanted}
        ).values_list(spec.key_field, "pk")
    )
    pending = list(
        AppealRecord.objects.filter(
            appeal__dealer_id=scorecard.dealer_id,
            appeal__status=AppealStatus.SUBMITTED,
            kind=kind,
            record_id__in=pks.values(),
        ).values_list("record_key", flat=True)
    )
    if pending:
        raise IncentiveError(
            _("Already contested by an appeal awaiting its decision: %(records)s.")
            % {"records": ", ".join(pending)}
        )
    return [(kind, pks[k], k, _json_row(rows[k])) for k in wanted]


# --- deciding ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordFix:
    """HQ's correction of one contested record: what to do and, for a time, which and to what."""

    correction: str = RecordCorrection.NONE
    field: str = ""
    value: datetime | None = None


UPHOLD_NEEDS_A_CORRECTION = _lazy(
    "To uphold, choose the correction of at least one contested record; otherwise reject with a reason."
)


def appeal_decide(
    *,
    appeal: Appeal,
    actor: User,
    uphold: bool,
    decision: str,
    correction: str = "",
    target: str = "",
    fixes: Mapping[int, RecordFix] | None = None,
) -> Appeal:
    """Uphold (correcting the contested records, which recomputes the period) or reject, with a reason.

    `fixes` maps a contested record (AppealRecord id) to its correction; `correction` and
    `target` are the API's single correction of a complaint or survey response by its key.
    """
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
        chosen = [f for f in (fixes or {}).values() if f.correction]
        if uphold and not correction and not chosen and locked.records.exists():
            # Upholding changes a number only through a correction: without one it would say
            # "you were right" and leave the score as it was.
            raise IncentiveError(str(UPHOLD_NEEDS_A_CORRECTION))
        months = {locked.period}
        if uphold and fixes:
            for contested in locked.records.select_for_update().order_by("pk"):
                fix = fixes.get(contested.pk)
                if fix is not None and fix.correction:
                    months |= _fix_record(locked, contested, fix, decision.strip(), actor)
        locked.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision = actor, timezone.now(), decision.strip()
        locked.correction, locked.correction_target = (correction, target.strip()) if uphold else ("", "")
        locked.save()
        events.appeal_changed(actor=actor, appeal=locked, before=AppealStatus.SUBMITTED, comment=decision)
        if uphold:
            # A corrected time may move a record into another month: that one is recomputed too.
            queue_recompute(sorted(months))
    return locked


def _fix_record(
    appeal: Appeal, contested: AppealRecord, fix: RecordFix, reason: str, actor: User
) -> set[str]:
    """Correct one contested record through records_change (stamped, before and after kept).

    Returns the months the correction touches besides the appeal's (a time moved across months).
    """
    spec = RECORD_SPECS[contested.kind]
    if fix.correction not in dict(corrections_for(contested.kind, appeal.kpi_code)):
        raise IncentiveError(
            _("%(record)s: this correction does not apply to it.") % {"record": contested.record_key}
        )
    changes: dict[str, Any]
    if fix.correction == RecordCorrection.VOID:
        changes = {"excluded": True, "excluded_reason": reason}
        if contested.kind == AppealRecordKind.SURVEY_RESPONSE:
            changes["excluded_by_id"] = actor.pk  # as surveys.services.response_exclude does
    elif fix.correction == RecordCorrection.NOT_COMEBACK:
        changes = {"comeback_waived": True}
    else:
        if fix.field not in spec.times:
            raise IncentiveError(
                _("%(record)s: choose the time to correct.") % {"record": contested.record_key}
            )
        if fix.value is None:
            raise IncentiveError(_("%(record)s: give the corrected time.") % {"record": contested.record_key})
        changes = {fix.field: fix.value}
    record = (
        spec.model.objects.select_for_update()
        .filter(pk=contested.record_id, dealer_id=appeal.dealer_id)
        .first()
    )
    if record is None:
        raise IncentiveError(
            _("No record %(target)s of this dealer to correct.") % {"target": contested.record_key}
        )
    months: set[str] = set()
    if fix.correction == RecordCorrection.SET_TIME:
        old_value = getattr(record, fix.field)
        _check_time_order(contested, record, fix.field, fix.value)
        months = {str(Month.of(v)) for v in (old_value, fix.value) if v is not None}
    before = {f: history_value(getattr(record, f)) for f in changes}
    records_change([record], changes, user=actor, channel=RecordChannel.SYSTEM)
    if contested.kind == AppealRecordKind.SURVEY_RESPONSE and fix.correction == RecordCorrection.VOID:
        # A voided response's open fraud flags are settled by the voiding.
        ResponseFlag.objects.filter(response_id=record.pk, status=FlagStatus.OPEN).update(
            status=FlagStatus.EXCLUDED, resolved_at=timezone.now(), resolved_by=actor
        )
    contested.correction = fix.correction
    contested.before, contested.after = before, {f: history_value(v) for f, v in changes.items()}
    contested.save(update_fields=["correction", "before", "after"])
    events.appeal_record_corrected(actor=actor, appeal=appeal, contested=contested, comment=reason)
    return months


def _check_time_order(contested: AppealRecord, record: Any, field: str, value: datetime | None) -> None:
    for earlier, later in TIME_ORDER[contested.kind]:
        if field not in (earlier, later):
            continue
        start = value if field == earlier else getattr(record, earlier)
        end = value if field == later else getattr(record, later)
        if start is not None and end is not None and end < start:
            raise IncentiveError(
                _("%(record)s: the corrected time puts %(later)s before %(earlier)s.")
                % {
                    "record": contested.record_key,
                    "later": record._meta.get_field(later).verbose_name,
                    "earlier": record._meta.get_field(earlier).verbose_name,
                }
            )


def _apply_correction(appeal: Appeal, correction: str, target: str, reason: str, actor: User) -> None:
    records: models.QuerySet[Complaint] | models.QuerySet[SurveyResponse]
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
