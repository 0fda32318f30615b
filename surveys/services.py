"""Writes of customer voice: templates, invitations and answers, integrity, hot alerts, calls, reminders.

Services see every dealer (they are called by tasks and by views that already scoped the
record they pass in). Each one that changes a survey response, or a complaint, queues a
recompute of that month so csat, nps and the complaint KPIs follow.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from assessments.choices import PeriodStatus, RecordChannel
from assessments.models import Complaint, Period, RepairOrder
from assessments.periods import SHANGHAI, Month
from assessments.services.provenance import records_change
from assessments.services.queueing import queue_recompute
from dealers.choices import DealerStatus, NoticeTopic, Role
from dealers.models import User
from dealers.services import notice_send

from . import events
from . import messages as msg
from .choices import CallOutcome, FlagKind, FlagStatus, TemplateStatus
from .models import (
    FollowUpCall,
    HotAlertCase,
    ResponseFlag,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)
from .rules import SCORE_FIELDS, burst_members, is_hot, is_top_score, questions_problems
from .sms import SmsMessage, normalise_mobile, sms_send
from .tokens import TOKEN_MAX_LENGTH, new_nonce, token_for, token_hash

logger = logging.getLogger(__name__)

TOP_SCORES_PER_DEVICE = 5
DEVICE_WINDOW = timedelta(days=30)
BURST_SIZE = 5
BURST_WINDOW = timedelta(minutes=10)
BATCH = 1000


class SurveyError(Exception):
    """A request the rules refuse; the message is shown to the user."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


class InvitationUnavailable(Exception):
    """The link is unknown or expired. The public page does not say which."""


class AlreadyAnswered(Exception):
    """The customer has answered this invitation already."""


def _days(name: str, default: int) -> timedelta:
    return timedelta(days=int(getattr(settings, name, default)))


def _top_score_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}overall": 5}) & (
        Q(**{f"{prefix}nps__isnull": True}) | Q(**{f"{prefix}nps__gte": 9})
    )


def _queue_recompute_for(moments: Iterable[datetime]) -> None:
    """Queue a recompute of the open periods these moments fall in (closed ones are frozen)."""
    codes = {str(Month.of(moment)) for moment in moments}
    closed = set(
        Period.objects.filter(code__in=codes, status=PeriodStatus.CLOSED).values_list("code", flat=True)
    )
    if codes - closed:
        queue_recompute(sorted(codes - closed))


def _period_closed(moment: datetime) -> bool:
    return Period.objects.filter(code=str(Month.of(moment)), status=PeriodStatus.CLOSED).exists()


def dealer_contacts(dealer_ids: Iterable[int]) -> dict[int, list[User]]:
    """The active users of each dealer: who owns its complaints and cases, and gets its reminders."""
    out: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        dealer_id__in=set(dealer_ids), role=Role.DEALER_USER, is_active=True
    ).order_by("username"):
        assert user.dealer_id is not None  # dealer users always have one (and the filter asks for it)
        out[user.dealer_id].append(user)
    return out


# --- templates --------------------------------------------------------------------------


def template_current() -> SurveyTemplate | None:
    """The template new invitations use: the latest published one."""
    return (
        SurveyTemplate.objects.filter(status=TemplateStatus.PUBLISHED)
        .order_by("-published_at", "-version", "-pk")
        .first()
    )


def template_publish(template: SurveyTemplate, *, actor: User | None) -> SurveyTemplate:
    """Publish a draft: from now on new invitations use it. A published version never changes."""
    with transaction.atomic():
        locked = SurveyTemplate.objects.select_for_update().get(pk=template.pk)
        if locked.status != TemplateStatus.DRAFT:
            raise SurveyError(msg.TEMPLATE_NOT_DRAFT)
        problems = questions_problems(locked.questions)
        if problems:
            raise SurveyError(msg.TEMPLATE_INVALID % {"problems": "; ".join(problems)})
        locked.status = TemplateStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["status", "published_at", "published_by"])
        events.template_published(actor=actor, template=locked)
    return locked


def template_new_version(template: SurveyTemplate) -> SurveyTemplate:
    """A draft copy of a template as the next version of its code, to edit and publish."""
    latest = SurveyTemplate.objects.filter(code=template.code).order_by("-version").first()
    return SurveyTemplate.objects.create(
        code=template.code,
        version=(latest.version if latest else 0) + 1,
        status=TemplateStatus.DRAFT,
        title_zh=template.title_zh,
        title_en=template.title_en,
        intro_zh=template.intro_zh,
        intro_en=template.intro_en,
        questions=template.questions,
    )


# --- invitations ------------------------------------------------------------------------


def invitations_create_for_closed(*, since: datetime | None = None, now: datetime | None = None) -> int:
    """Create a one-time invitation for every repair order closed since `since` that has none.

    Idempotent: a repair order gets at most one invitation, ever. `since` defaults to the
    lookback setting (14 days): a survey weeks after the visit would mean little. Dealers
    whose authorisation ended are not surveyed. Returns how many were created.
    """
    now = now or timezone.now()
    since = since or now - _days("SURVEY_INVITATION_LOOKBACK_DAYS", 14)
    template = template_current()
    if template is None:
        logger.warning("no published survey template: no invitations created")
        return 0
    pending = (
        RepairOrder.objects.filter(closed_at__gte=since, closed_at__lte=now, survey_invitation__isnull=True)
        .exclude(dealer__status=DealerStatus.TERMINATED)
        .order_by("closed_at", "pk")
        .values_list("pk", "dealer_id")
    )
    return _invite(pending.iterator(chunk_size=BATCH), template, now)


def invitations_create_for(
    repair_orders: Iterable[RepairOrder],
    *,
    now: datetime | None = None,
    phones: Mapping[int, str] | None = None,
) -> int:
    """Invite the customers of these closed repair orders (those without an invitation yet).

    `phones` maps a repair order's id to its customer's mobile number where the caller knows
    it: those customers get their link by SMS once the invitations are saved."""
    now = now or timezone.now()
    template = template_current()
    if template is None:
        return 0
    ids = [ro.pk for ro in repair_orders if ro.closed_at is not None]
    pending = (
        RepairOrder.objects.filter(pk__in=ids, survey_invitation__isnull=True)
        .order_by("closed_at", "pk")
        .values_list("pk", "dealer_id")
    )
    created = _invite(pending, template, now)
    if phones:
        transaction.on_commit(partial(invitations_text, dict(phones), now=now))
    return created


def survey_link(token: str) -> str:
    """The customer's link to the survey: SURVEY_LINK_BASE_URL (or SITE_URL) and the path."""
    base = getattr(settings, "SURVEY_LINK_BASE_URL", "") or settings.SITE_URL
    return f"{base.rstrip('/')}{reverse('survey_answer', args=[token])}"


def invitations_text(phones: Mapping[int, str], *, now: datetime | None = None) -> int:
    """Send each customer the link of their repair order's open invitation by SMS (through
    `settings.SMS_BACKEND`). `phones`: repair order id → mobile number; numbers that are no
    mainland mobile, and invitations answered or expired, are skipped. Returns how many went."""
    now = now or timezone.now()
    mobiles = {ro_id: normalise_mobile(phone) for ro_id, phone in phones.items()}
    invitations = SurveyInvitation.objects.filter(
        repair_order_id__in=[ro_id for ro_id, mobile in mobiles.items() if mobile],
        answered_at__isnull=True,
        expires_at__gt=now,
    ).select_related("dealer")
    messages = []
    with override(settings.LANGUAGE_CODE):
        for invitation in invitations:
            text = _(
                "Thank you for visiting %(dealer)s. Please tell us how we did: %(link)s (open until %(until)s)"
            ) % {
                "dealer": invitation.dealer.name,
                "link": survey_link(invitation.token),
                "until": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            }
            messages.append(SmsMessage(phone=mobiles[invitation.repair_order_id], text=text))
    try:
        return sms_send(messages)
    except Exception:
        # The links stay in the invitations export for the vendor; a text that failed is no
        # reason to fail the work that made the invitations.
        logger.exception("survey links could not be sent by SMS (%d)", len(messages))
        return 0


class UnknownOrders(Exception):
    """Some pasted repair orders have no invitation in the user's scope; nothing was sent."""

    def __init__(self, orders: list[str]) -> None:
        super().__init__(", ".join(orders))
        self.orders = orders


def invitations_text_pasted(
    *, rows: Sequence[tuple[int, str, str, str]], actor: User, now: datetime | None = None
) -> tuple[int, int]:
    """Text the survey link to each pasted customer: rows of (line, dealer code, RO number,
    mobile), checked by the form. Every repair order must have an invitation the user may
    see, or nothing is sent (UnknownOrders). Returns (sent, skipped as answered or expired)."""
    codes = {code for _line, code, _ro, _mobile in rows}
    numbers = {ro for _line, _code, ro, _mobile in rows}
    found = {
        (code, ro): ro_id
        for code, ro, ro_id in SurveyInvitation.objects.for_user(actor)
        .filter(dealer__code__in=codes, repair_order__ro_number__in=numbers)
        .values_list("dealer__code", "repair_order__ro_number", "repair_order_id")
    }
    unknown = [f"{code} {ro}" for _line, code, ro, _mobile in rows if (code, ro) not in found]
    if unknown:
        raise UnknownOrders(unknown)
    phones = {found[(code, ro)]: mobile for _line, code, ro, mobile in rows}
    sent = invitations_text(phones, now=now)
    events.invitations_texted(actor=actor, lines=len(rows), sent=sent)
    return sent, len(phones) - sent


def _invite(pending: Iterable[tuple[int, int]], template: SurveyTemplate, now: datetime) -> int:
    expires_at = now + _days("SURVEY_INVITATION_TTL_DAYS", 14)
    created = 0
    batch: list[SurveyInvitation] = []
    for ro_id, dealer_id in pending:
        nonce = new_nonce()
        batch.append(
            SurveyInvitation(
                repair_order_id=ro_id,
                dealer_id=dealer_id,
                template=template,
                token_nonce=nonce,
                token_hash=token_hash(token_for(nonce)),
                created_at=now,
                expires_at=expires_at,
            )
        )
        if len(batch) >= BATCH:
            created += _insert_invitations(batch)
            batch = []
    if batch:
        created += _insert_invitations(batch)
    return created


def _insert_invitations(batch: list[SurveyInvitation]) -> int:
    # A concurrent run may have invited some of these already; the unique repair order keeps one.
    SurveyInvitation.objects.bulk_create(batch, ignore_conflicts=True)
    return len(batch)


def invitation_find(token: str) -> SurveyInvitation:
    """The invitation of a token, or InvitationUnavailable for an unknown or expired one."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise InvitationUnavailable
    invitation = (
        SurveyInvitation.objects.select_related("template", "dealer", "repair_order")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if invitation is None:
        raise InvitationUnavailable
    if invitation.answered_at is None and invitation.is_expired(timezone.now()):
        raise InvitationUnavailable
    return invitation


def invitation_answer(
    invitation: SurveyInvitation,
    answers: dict[str, Any],
    *,
    fingerprint: str = "",
    now: datetime | None = None,
) -> SurveyResponse:
    """Store the customer's answers as a survey response (the same record an import makes).

    Answers once: the invitation row is locked, so a double submit finds it answered.
    The response counts in csat and nps of its month like an imported one; a low score
    opens a hot-alert case at once; integrity checks run on it.
    """
    moment = (now or timezone.now()).replace(microsecond=0)
    fields: dict[str, Any] = {key: answers.get(key) for key in (*SCORE_FIELDS, "nps")}
    fields["comment"] = (answers.get("comment") or "").strip()
    with transaction.atomic():
        locked = SurveyInvitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.answered_at is not None:
            raise AlreadyAnswered
        if locked.is_expired(moment):
            raise InvitationUnavailable
        response = SurveyResponse.objects.create(
            response_id=f"WEB-{locked.pk}",
            dealer_id=locked.dealer_id,
            repair_order_id=locked.repair_order_id,
            responded_at=moment,
            source=SurveyResponse.Source.PORTAL,
            created_channel=RecordChannel.CUSTOMER,
            # When the data reached the portal: the scorecard's data_as_of reads it.
            imported_at=moment,
            **fields,
        )
        locked.answered_at = moment
        locked.response = response
        locked.device_fingerprint = fingerprint
        locked.save(update_fields=["answered_at", "response", "device_fingerprint"])
        responses_flag([response], now=moment)
        hot_alerts_open_for([response], now=moment)
        _queue_recompute_for([moment])
    return response


# --- integrity --------------------------------------------------------------------------


def responses_flag(responses: Sequence[SurveyResponse], *, now: datetime | None = None) -> int:
    """Flag these responses, and those they form a pattern with, for HQ to review.

    - duplicate: one repair order answered more than once (e.g. imported and in the portal);
    - same device: ≥ 5 top scores given from one device fingerprint within 30 days;
    - burst: ≥ 5 top scores for one dealer within 10 minutes.
    Excluded responses neither get flags nor count towards a pattern. Idempotent: one flag
    per response and kind. Returns how many flags were asked for (existing ones included).
    """
    now = now or timezone.now()
    counted = [r for r in responses if not r.excluded]
    if not counted:
        return 0
    flags = [
        *_duplicate_flags(counted),
        *_burst_flags(counted),
        *_device_flags(counted, now),
    ]
    ResponseFlag.objects.bulk_create(flags, ignore_conflicts=True)
    return len(flags)


def _duplicate_flags(responses: Sequence[SurveyResponse]) -> list[ResponseFlag]:
    ro_ids = {r.repair_order_id for r in responses if r.repair_order_id}
    if not ro_ids:
        return []
    by_ro: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, ro_id, response_id in (
        SurveyResponse.objects.filter(repair_order_id__in=ro_ids, excluded=False)
        .order_by("responded_at", "pk")
        .values_list("pk", "repair_order_id", "response_id")
    ):
        by_ro[ro_id].append((pk, response_id))
    flags: list[ResponseFlag] = []
    for group in by_ro.values():
        if len(group) < 2:
            continue
        for pk, response_id in group:
            others = ", ".join(other for _pk, other in group if other != response_id)
            flags.append(ResponseFlag(response_id=pk, kind=FlagKind.DUPLICATE, detail=others[:300]))
    return flags


def _burst_flags(responses: Sequence[SurveyResponse]) -> list[ResponseFlag]:
    top = [r for r in responses if is_top_score(r.overall, r.nps)]
    if not top:
        return []
    dealer_ids = sorted({r.dealer_id for r in top})
    start = min(r.responded_at for r in top) - BURST_WINDOW
    end = max(r.responded_at for r in top) + BURST_WINDOW
    flags: list[ResponseFlag] = []
    for offset in range(0, len(dealer_ids), 200):
        moments: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for pk, dealer_id, at in (
            SurveyResponse.objects.filter(
                _top_score_q(),
                dealer_id__in=dealer_ids[offset : offset + 200],
                responded_at__gte=start,
                responded_at__lte=end,
                excluded=False,
            )
            .order_by()
            .values_list("pk", "dealer_id", "responded_at")
        ):
            moments[dealer_id].append((pk, at))
        for items in moments.values():
            members = burst_members(items, size=BURST_SIZE, window=BURST_WINDOW)
            flags.extend(
                ResponseFlag(response_id=pk, kind=FlagKind.BURST, detail=str(len(members))) for pk in members
            )
    return flags


def _device_flags(responses: Sequence[SurveyResponse], now: datetime) -> list[ResponseFlag]:
    fingerprints = set(
        SurveyInvitation.objects.filter(response__in=responses)
        .exclude(device_fingerprint="")
        .values_list("device_fingerprint", flat=True)
    )
    if not fingerprints:
        return []
    by_device: dict[str, list[int]] = defaultdict(list)
    for fingerprint, response_pk in (
        SurveyInvitation.objects.filter(
            _top_score_q("response__"),
            device_fingerprint__in=fingerprints,
            answered_at__gte=now - DEVICE_WINDOW,
            response__excluded=False,
        )
        .order_by()
        .values_list("device_fingerprint", "response_id")
    ):
        by_device[fingerprint].append(response_pk)
    flags: list[ResponseFlag] = []
    for response_pks in by_device.values():
        if len(response_pks) < TOP_SCORES_PER_DEVICE:
            continue
        flags.extend(
            ResponseFlag(response_id=pk, kind=FlagKind.SAME_DEVICE, detail=str(len(response_pks)))
            for pk in response_pks
        )
    return flags


def response_exclude(response: SurveyResponse, *, actor: User | None, reason: str) -> SurveyResponse:
    """Exclude a response from csat and nps for a reason; audited; its month is recomputed.

    Refused without a reason, twice, or when the response's month is closed (frozen).
    """
    reason = (reason or "").strip()
    if not reason:
        raise SurveyError(msg.REASON_REQUIRED)
    with transaction.atomic():
        locked = SurveyResponse.objects.select_for_update().select_related("dealer").get(pk=response.pk)
        if locked.excluded:
            raise SurveyError(msg.ALREADY_EXCLUDED)
        if _period_closed(locked.responded_at):
            raise SurveyError(msg.PERIOD_CLOSED)
        # Stamped and kept in the change history: excluding changes what the response counts for.
        records_change(
            [locked],
            {
                "excluded": True,
                "excluded_reason": reason,
                "excluded_by_id": actor.pk if actor is not None and actor.pk else None,
            },
            user=actor,
            channel=RecordChannel.SYSTEM,
        )
        ResponseFlag.objects.filter(response=locked, status=FlagStatus.OPEN).update(
            status=FlagStatus.EXCLUDED, resolved_at=timezone.now(), resolved_by=locked.excluded_by
        )
        events.response_excluded(actor=actor, response=locked, reason=reason)
        _queue_recompute_for([locked.responded_at])
    return locked


def flag_keep(flag: ResponseFlag, *, actor: User | None, note: str = "") -> ResponseFlag:
    """HQ looked at a flag and found the response genuine: it keeps counting. Audited."""
    with transaction.atomic():
        locked = ResponseFlag.objects.select_for_update().select_related("response__dealer").get(pk=flag.pk)
        if locked.status != FlagStatus.OPEN:
            return locked
        locked.status = FlagStatus.KEPT
        locked.resolved_at = timezone.now()
        locked.resolved_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["status", "resolved_at", "resolved_by"])
        events.flag_kept(actor=actor, flag=locked, note=note)
    return locked


# --- hot alerts -------------------------------------------------------------------------


def hot_alerts_open_for(
    responses: Iterable[SurveyResponse], *, now: datetime | None = None, notify: bool = True
) -> list[HotAlertCase]:
    """Open one case for each hot response (overall ≤ 2 or NPS ≤ 6) that has none; tell the dealers.

    Works for portal and imported responses alike; idempotent (one case per response).
    Excluded responses open nothing. Returns the cases opened now.
    """
    now = now or timezone.now()
    hot = [r for r in responses if not r.excluded and is_hot(r.overall, r.nps)]
    if not hot:
        return []
    existing = set(
        HotAlertCase.objects.filter(response_id__in=[r.pk for r in hot]).values_list("response_id", flat=True)
    )
    fresh = [r for r in hot if r.pk not in existing]
    if not fresh:
        return []
    HotAlertCase.objects.bulk_create(
        [HotAlertCase(response_id=r.pk, dealer_id=r.dealer_id, opened_at=now) for r in fresh],
        ignore_conflicts=True,
    )
    cases = list(
        HotAlertCase.objects.filter(response_id__in=[r.pk for r in fresh], opened_at=now).select_related(
            "response", "dealer"
        )
    )
    if notify and cases:
        transaction.on_commit(partial(hot_alerts_notify, [c.pk for c in cases]))
    return cases


def hot_alerts_notify(case_ids: Sequence[int]) -> int:
    """Tell each dealer's users about their new hot-alert cases (one notice per dealer)."""
    per_dealer: dict[int, list[HotAlertCase]] = defaultdict(list)
    for case in HotAlertCase.objects.filter(pk__in=case_ids).select_related("response"):
        per_dealer[case.dealer_id].append(case)
    contacts = dealer_contacts(per_dealer)
    sent = 0
    for dealer_id, cases in per_dealer.items():
        users = contacts.get(dealer_id, [])
        if not users:
            continue
        url = (
            reverse("surveys:alert_detail", args=[cases[0].pk])
            if len(cases) == 1
            else reverse("surveys:alerts")
        )
        with override(settings.LANGUAGE_CODE):
            text = _(
                "Hot alert: %(count)d very unhappy customer(s) to contact today (e.g. response %(response)s)."
            ) % {"count": len(cases), "response": cases[0].response.response_id}
            subject = _("Hot alert: contact the customer today")
        sent += notice_send(
            users=users, text=text, url=url, email_subject=subject, topic=NoticeTopic.HOT_ALERT
        )
    return sent


def hot_alerts_open_recent(*, now: datetime | None = None) -> int:
    """Open cases for hot responses that arrived without one (imports). Run by the sweep task.

    Only responses answered within the lookback (SURVEY_HOT_ALERT_LOOKBACK_DAYS, 14) open
    a case: a call about a visit months ago helps no one.
    """
    now = now or timezone.now()
    since = now - _days("SURVEY_HOT_ALERT_LOOKBACK_DAYS", 14)
    opened = 0
    while True:
        batch = list(
            SurveyResponse.objects.filter(
                Q(overall__lte=2) | Q(nps__lte=6),
                responded_at__gte=since,
                responded_at__lte=now,
                excluded=False,
                hot_alert__isnull=True,
            ).order_by("pk")[:BATCH]
        )
        fresh = hot_alerts_open_for(batch, now=now)
        if not fresh:  # nothing left that we could open (another worker got there first)
            return opened
        opened += len(fresh)


def hot_alert_contact(
    case: HotAlertCase, *, actor: User | None, contacted_at: datetime, note: str
) -> HotAlertCase:
    """Record that the dealer reached the customer, when and what was said. Audited."""
    note = (note or "").strip()
    if not note:
        raise SurveyError(msg.CONTACT_NOTE_REQUIRED)
    if contacted_at > timezone.now() + timedelta(minutes=5):
        raise SurveyError(msg.CONTACT_IN_FUTURE)
    with transaction.atomic():
        locked = HotAlertCase.objects.select_for_update().select_related("dealer").get(pk=case.pk)
        if not locked.is_open:
            raise SurveyError(msg.CASE_ALREADY_CLOSED)
        before = {"contacted_at": locked.contacted_at.isoformat() if locked.contacted_at else None}
        locked.contacted_at = contacted_at
        locked.contact_note = note
        locked.contacted_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["contacted_at", "contact_note", "contacted_by"])
        events.hot_alert_contacted(actor=actor, case=locked, before=before)
    return locked


def hot_alert_close(case: HotAlertCase, *, actor: User | None, resolution: str) -> HotAlertCase:
    """Close a case with its resolution (required). Audited."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise SurveyError(msg.RESOLUTION_REQUIRED)
    with transaction.atomic():
        locked = HotAlertCase.objects.select_for_update().select_related("dealer").get(pk=case.pk)
        if not locked.is_open:
            raise SurveyError(msg.CASE_ALREADY_CLOSED)
        locked.resolution = resolution
        locked.closed_at = timezone.now()
        locked.closed_by = actor if actor is not None and actor.pk else None
        locked.save(update_fields=["resolution", "closed_at", "closed_by"])
        events.hot_alert_closed(actor=actor, case=locked)
    return locked


# --- follow-up calls --------------------------------------------------------------------


def followup_call_record(
    repair_order: RepairOrder,
    *,
    actor: User | None,
    outcome: str,
    note: str = "",
    category: str = "",
    now: datetime | None = None,
) -> FollowUpCall:
    """Record a follow-up call (回访). A call that found a problem opens a complaint at once.

    The complaint is "CALL-<call id>", received now, for the repair order's dealer, so it
    counts in the complaint KPIs and shows on the daily clearing board until closed.
    """
    if outcome not in CallOutcome.values:
        raise SurveyError(_("Unknown call outcome."))
    if outcome == CallOutcome.PROBLEM_FOUND and not category:
        raise SurveyError(msg.CATEGORY_REQUIRED)
    moment = (now or timezone.now()).replace(microsecond=0)
    with transaction.atomic():
        call = FollowUpCall.objects.create(
            repair_order=repair_order,
            dealer_id=repair_order.dealer_id,
            called_at=moment,
            called_by=actor if actor is not None and actor.pk else None,
            outcome=outcome,
            note=(note or "").strip(),
        )
        if outcome == CallOutcome.PROBLEM_FOUND:
            call.complaint = Complaint.objects.create(
                complaint_id=f"CALL-{call.pk}",
                dealer_id=repair_order.dealer_id,
                repair_order=repair_order,
                received_at=moment,
                category=category,
                description=call.note,
                imported_at=moment,
                created_channel=RecordChannel.CALL_CENTRE,
                created_by=call.called_by,
            )
            call.save(update_fields=["complaint"])
            _queue_recompute_for([moment])
            transaction.on_commit(lambda: _notify_call_complaint(call.pk))
        events.followup_call_recorded(actor=actor, call=call)
    return call


def _notify_call_complaint(call_id: int) -> None:
    call = FollowUpCall.objects.select_related("complaint", "repair_order").get(pk=call_id)
    users = dealer_contacts([call.dealer_id]).get(call.dealer_id, [])
    with override(settings.LANGUAGE_CODE):
        text = _("A follow-up call found a problem with repair order %(ro)s: complaint %(complaint)s.") % {
            "ro": call.repair_order.ro_number,
            "complaint": call.complaint.complaint_id if call.complaint else "",
        }
    notice_send(users=users, text=text, url=reverse("surveys:board"))


# --- the daily clearing reminder --------------------------------------------------------


def daily_clearing_remind(*, now: datetime | None = None) -> dict[str, int]:
    """The 08:30 reminder (日清). Each dealer with open items hears how many are overnight
    (open more than 24 h) and how many fall due today; each regional manager gets the sum
    for their regions. Idempotent per day: the notice's link carries the date, and a user
    who already has today's notice is not told twice."""
    from .selectors import board_items_all

    now = now or timezone.now()
    day = now.astimezone(SHANGHAI).date().isoformat()
    url = f"{reverse('surveys:board')}?day={day}"
    overnight = board_items_all(now, overnight=True)
    due = board_items_all(now, overnight=False)
    per_dealer: dict[int, dict[str, list[Any]]] = defaultdict(lambda: {"overnight": [], "due": []})
    for item in overnight:
        per_dealer[item.dealer.pk]["overnight"].append(item)
    for item in due:
        per_dealer[item.dealer.pk]["due"].append(item)
    already = set(User.objects.filter(notices__url=url).values_list("pk", flat=True))
    contacts = dealer_contacts(per_dealer)
    dealers_told = managers_told = 0
    with override(settings.LANGUAGE_CODE):
        subject = _("Daily clearing: complaints and hot alerts to close today")
        for dealer_id, items in per_dealer.items():
            users = [u for u in contacts.get(dealer_id, []) if u.pk not in already]
            if not users:
                continue
            complaints = sum(1 for i in items["overnight"] if i.kind == "complaint")
            text = _(
                "Daily clearing: %(overnight)d item(s) open more than 24 hours "
                "(%(complaints)d complaint(s), %(alerts)d hot alert(s)); %(due)d more fall due today."
            ) % {
                "overnight": len(items["overnight"]),
                "complaints": complaints,
                "alerts": len(items["overnight"]) - complaints,
                "due": len(items["due"]),
            }
            if items["overnight"]:
                text += " " + _("The oldest has been open %(hours)d hours.") % {
                    "hours": items["overnight"][0].age_hours
                }
            notice_send(
                users=users, text=text, url=url, email_subject=subject, topic=NoticeTopic.DAILY_CLEARING
            )
            dealers_told += 1
        managers = User.objects.filter(role=Role.REGIONAL_MANAGER, is_active=True).prefetch_related("regions")
        for manager in managers:
            if manager.pk in already:
                continue
            regions = {region.pk for region in manager.regions.all()}
            mine = [i for i in overnight if i.dealer.region_id in regions]
            mine_due = [i for i in due if i.dealer.region_id in regions]
            if not mine and not mine_due:
                continue
            text = _(
                "Daily clearing in your regions: %(overnight)d item(s) open more than 24 hours at "
                "%(dealers)d dealer(s); %(due)d more fall due today."
            ) % {
                "overnight": len(mine),
                "dealers": len({i.dealer.pk for i in mine}),
                "due": len(mine_due),
            }
            notice_send(
                users=[manager], text=text, url=url, email_subject=subject, topic=NoticeTopic.DAILY_CLEARING
            )
            managers_told += 1
    return {"items": len(overnight), "due": len(due), "dealers": dealers_told, "managers": managers_told}
