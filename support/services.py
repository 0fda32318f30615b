"""Technical support cases: every change goes through here, audited, with the other side told.

Who may do what: a dealer user opens cases for its own dealer, writes on them and confirms the
car fixed; HQ's side (technical experts, HQ admins and managers) answers, writes internal notes,
records remote sessions, resolves and closes. Regional managers follow their dealers' cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from assessments.models import RepairOrder
from dealers.choices import HQ_ROLES, NoticeTopic, Role
from dealers.events import record
from dealers.models import User
from dealers.services import notice_send

from .choices import OPEN_STATUSES, CaseStatus, MessageKind, Urgency
from .errors import SupportError
from .files import check_attachments
from .models import CaseAttachment, CaseMessage, RemoteSession, SupportCase


def is_hq_side(user: User) -> bool:
    """Experts and HQ answer cases; dealers ask; regional managers follow."""
    return user.role == Role.TECH_EXPERT or user.role in HQ_ROLES


def may_write(user: User, case: SupportCase) -> bool:
    if is_hq_side(user):
        return True
    return user.role == Role.DEALER_USER and user.dealer_id == case.dealer_id


@dataclass
class CaseInput:
    vin: str
    symptom: str
    urgency: str = Urgency.NORMAL
    fault_code: str = ""
    mileage: int | None = None
    tried: str = ""
    repair_order: RepairOrder | None = None
    earlier_repair_order: RepairOrder | None = None


def _attach(case: SupportCase, message: CaseMessage | None, files: list[UploadedFile], user: User) -> int:
    kinds = check_attachments(files)
    for upload, kind in zip(files, kinds, strict=True):
        CaseAttachment.objects.create(
            case=case,
            message=message,
            file=upload,
            original_name=(upload.name or "file")[:255],
            kind=kind,
            size=upload.size or 0,
            uploaded_by=user,
        )
    return len(files)


def _experts() -> list[User]:
    return list(User.objects.filter(role=Role.TECH_EXPERT, is_active=True))


def _tell(users: Iterable[User | None], text: str, case: SupportCase, actor: User) -> int:
    """A notice (and e-mail) to each user other than the actor, in the portal's language."""
    told = {u.pk: u for u in users if u is not None and u.is_active and u.pk != actor.pk}
    if not told:
        return 0
    url = reverse("support:detail", args=[case.pk])
    return notice_send(
        users=told.values(),
        text=text,
        url=url,
        email_subject=_("Technical case %(n)s") % {"n": case.number},
        topic=NoticeTopic.SUPPORT_CASE,
    )


def _dealer_side(case: SupportCase) -> list[User | None]:
    return [case.dealer_owner, case.opened_by]


def case_open(*, user: User, data: CaseInput, files: list[UploadedFile] | None = None) -> SupportCase:
    """A dealer user opens a case on a car of its dealer; every expert hears of it."""
    if user.role != Role.DEALER_USER or not user.dealer_id:
        raise SupportError(_("Only a dealer's own staff open technical cases."))
    vin = data.vin.strip().upper()
    if len(vin) != 17:
        raise SupportError(_("A VIN has 17 characters."))
    if not data.symptom.strip():
        raise SupportError(_("Describe the symptom."))
    for ro in (data.repair_order, data.earlier_repair_order):
        if ro is not None and ro.dealer_id != user.dealer_id:
            raise SupportError(_("That repair order is not your dealer's."))
    files = files or []
    check_attachments(files)
    now = timezone.now()
    with transaction.atomic():
        case = SupportCase.objects.create(
            dealer_id=user.dealer_id,
            vin=vin,
            repair_order=data.repair_order,
            earlier_repair_order=data.earlier_repair_order,
            fault_code=data.fault_code.strip().upper(),
            mileage=data.mileage,
            symptom=data.symptom.strip(),
            tried=data.tried.strip(),
            urgency=data.urgency,
            opened_by=user,
            dealer_owner=user,
            opened_at=now,
            dealer_seen_at=now,
        )
        _attach(case, None, files, user)
        record(
            "support.case_opened",
            actor=user,
            object_type="support_case",
            object_id=case.pk,
            dealer=case.dealer,
            after={
                "vin": case.vin,
                "urgency": case.urgency,
                "fault_code": case.fault_code,
                "files": len(files),
            },
        )
        with override(settings.LANGUAGE_CODE):
            text = _("New technical case %(n)s from %(dealer)s: %(symptom)s") % {
                "n": case.number,
                "dealer": case.dealer.name,
                "symptom": case.symptom[:80],
            }
            transaction.on_commit(lambda: _tell(_experts(), text, case, user))
    return case


def case_take(*, case: SupportCase, user: User) -> SupportCase:
    """An expert takes the case: it is theirs to answer (过程所有者 on HQ's side)."""
    if user.role != Role.TECH_EXPERT:
        raise SupportError(_("Only a technical expert takes a case."))
    if not case.is_open:
        raise SupportError(_("The case is no longer open."))
    before = case.expert_id
    case.expert = user
    if case.status == CaseStatus.NEW:
        case.status = CaseStatus.IN_PROGRESS
    case.save(update_fields=["expert", "status"])
    record(
        "support.case_taken",
        actor=user,
        object_type="support_case",
        object_id=case.pk,
        dealer=case.dealer,
        before={"expert": before},
        after={"expert": user.pk},
    )
    return case


def case_message(
    *,
    case: SupportCase,
    user: User,
    body: str,
    files: list[UploadedFile] | None = None,
    internal: bool = False,
    wait_for_dealer: bool = False,
) -> CaseMessage:
    """A line of the conversation (with files); an internal note stays on HQ's side."""
    if not may_write(user, case):
        raise SupportError(_("You may not write on this case."))
    if case.status == CaseStatus.CLOSED:
        raise SupportError(_("The case is closed."))
    body = body.strip()
    files = files or []
    if not body and not files:
        raise SupportError(_("Write a message or add a file."))
    hq = is_hq_side(user)
    if internal and not hq:
        raise SupportError(_("Only HQ writes internal notes."))
    check_attachments(files)
    now = timezone.now()
    with transaction.atomic():
        message = CaseMessage.objects.create(
            case=case,
            author=user,
            kind=MessageKind.NOTE if internal else MessageKind.MESSAGE,
            body=body or _("(files)"),
            from_hq=hq,
            created_at=now,
        )
        _attach(case, message, files, user)
        fields = []
        if hq:
            case.expert_seen_at = now
            fields.append("expert_seen_at")
            if not internal:
                if case.first_response_at is None:
                    case.first_response_at = now
                    fields.append("first_response_at")
                if case.is_open:
                    case.status = CaseStatus.WAITING_DEALER if wait_for_dealer else CaseStatus.IN_PROGRESS
                    fields.append("status")
                if case.expert_id is None and user.role == Role.TECH_EXPERT:
                    case.expert = user
                    fields.append("expert")
        else:
            case.dealer_seen_at = now
            fields.append("dealer_seen_at")
            if case.status == CaseStatus.WAITING_DEALER:
                case.status = CaseStatus.IN_PROGRESS
                fields.append("status")
        case.save(update_fields=fields)
        if not internal:
            with override(settings.LANGUAGE_CODE):
                text = _("New message on technical case %(n)s: %(body)s") % {
                    "n": case.number,
                    "body": message.body[:80],
                }
            others = _dealer_side(case) if hq else ([case.expert] if case.expert else _experts())
            transaction.on_commit(lambda: _tell(others, text, case, user))
    return message


def case_resolve(*, case: SupportCase, user: User, solution: str) -> SupportCase:
    """The car is fixed: the dealer confirms it, or HQ records it. The fix feeds the knowledge base."""
    if not may_write(user, case):
        raise SupportError(_("You may not write on this case."))
    if not case.is_open:
        raise SupportError(_("The case is no longer open."))
    solution = solution.strip()
    if not solution:
        raise SupportError(_("Say what fixed the car: the next technician with this fault reads it."))
    now = timezone.now()
    before = case.status
    with transaction.atomic():
        case.status, case.resolved_at, case.solution = CaseStatus.RESOLVED, now, solution
        case.save(update_fields=["status", "resolved_at", "solution"])
        CaseMessage.objects.create(
            case=case,
            author=user,
            kind=MessageKind.EVENT,
            body=_("Resolved: %(fix)s") % {"fix": solution},
            from_hq=is_hq_side(user),
            created_at=now,
        )
        record(
            "support.case_resolved",
            actor=user,
            object_type="support_case",
            object_id=case.pk,
            dealer=case.dealer,
            before={"status": before},
            after={"status": case.status, "solution": solution},
        )
        with override(settings.LANGUAGE_CODE):
            text = _("Technical case %(n)s resolved.") % {"n": case.number}
        others = _dealer_side(case) if is_hq_side(user) else [case.expert]
        transaction.on_commit(lambda: _tell(others, text, case, user))
    return case


def case_close(*, case: SupportCase, user: User) -> SupportCase:
    """HQ closes a resolved case (nothing more to do on it)."""
    if not is_hq_side(user):
        raise SupportError(_("Only HQ closes a case."))
    if case.status != CaseStatus.RESOLVED:
        raise SupportError(_("Only a resolved case is closed."))
    case.status, case.closed_at = CaseStatus.CLOSED, timezone.now()
    case.save(update_fields=["status", "closed_at"])
    record(
        "support.case_closed",
        actor=user,
        object_type="support_case",
        object_id=case.pk,
        dealer=case.dealer,
        after={"status": case.status},
    )
    return case


def case_reopen(*, case: SupportCase, user: User, reason: str) -> SupportCase:
    """The fix did not hold: either side opens a resolved case again, saying why."""
    if not may_write(user, case):
        raise SupportError(_("You may not write on this case."))
    if case.status != CaseStatus.RESOLVED:
        raise SupportError(_("Only a resolved case is reopened."))
    if not reason.strip():
        raise SupportError(_("Say why the case is reopened."))
    with transaction.atomic():
        case.status, case.resolved_at = CaseStatus.IN_PROGRESS, None
        case.save(update_fields=["status", "resolved_at"])
        CaseMessage.objects.create(
            case=case,
            author=user,
            kind=MessageKind.EVENT,
            body=_("Reopened: %(why)s") % {"why": reason.strip()},
            from_hq=is_hq_side(user),
            created_at=timezone.now(),
        )
        record(
            "support.case_reopened",
            actor=user,
            object_type="support_case",
            object_id=case.pk,
            dealer=case.dealer,
            after={"status": case.status},
            comment=reason.strip(),
        )
    return case


def session_record(
    *, case: SupportCase, user: User, held_at: datetime, minutes: int, attendees: str, outcome: str
) -> RemoteSession:
    """The record of a remote diagnosis session (when, who, outcome), shown in the conversation."""
    if user.role != Role.TECH_EXPERT:
        raise SupportError(_("Only a technical expert records a remote session."))
    if not outcome.strip():
        raise SupportError(_("Say what came of the session."))
    with transaction.atomic():
        session = RemoteSession.objects.create(
            case=case,
            held_at=held_at,
            minutes=minutes,
            expert=user,
            attendees=attendees.strip(),
            outcome=outcome.strip(),
        )
        CaseMessage.objects.create(
            case=case,
            author=user,
            kind=MessageKind.SESSION,
            body=outcome.strip(),
            from_hq=True,
            created_at=timezone.now(),
        )
        if case.first_response_at is None:
            case.first_response_at = timezone.now()
            case.save(update_fields=["first_response_at"])
        record(
            "support.session_recorded",
            actor=user,
            object_type="support_case",
            object_id=case.pk,
            dealer=case.dealer,
            after={"held_at": held_at.isoformat(), "minutes": minutes},
        )
    return session


def case_publish(*, case: SupportCase, user: User, title: str) -> int:
    """An expert publishes a solved case to every dealer as a technical bulletin: it joins the
    bulletins page (no dealer named) and every active dealer user gets a notice. Once."""
    from dealers.models import Notice

    if user.role != Role.TECH_EXPERT:
        raise SupportError(_("Only a technical expert publishes a bulletin."))
    if case.status not in (CaseStatus.RESOLVED, CaseStatus.CLOSED) or not case.solution:
        raise SupportError(_("Only a solved case becomes a bulletin."))
    if case.published_at is not None:
        raise SupportError(_("This case is already a bulletin."))
    title = title.strip()
    if not title:
        raise SupportError(_("Give the bulletin a title."))
    now = timezone.now()
    with transaction.atomic():
        updated = SupportCase.objects.filter(pk=case.pk, published_at__isnull=True).update(
            bulletin_title=title[:200], published_at=now, published_by=user
        )
        if not updated:
            raise SupportError(_("This case is already a bulletin."))
        case.bulletin_title, case.published_at, case.published_by = title[:200], now, user
        readers = User.objects.filter(role=Role.DEALER_USER, is_active=True, dealer__isnull=False)
        with override(settings.LANGUAGE_CODE):
            text = _("Technical bulletin: %(title)s") % {"title": title[:150]}
        url = reverse("support:bulletins") + f"#b{case.pk}"
        Notice.objects.bulk_create(
            [Notice(user=reader, text=text, url=url) for reader in readers], batch_size=1000
        )
        record(
            "support.bulletin_published",
            actor=user,
            object_type="support_case",
            object_id=case.pk,
            dealer=case.dealer,
            after={"title": title[:200]},
        )
    return readers.count()


def breached_q(now: datetime) -> Q:
    """Open cases past a service level: no first answer by its target, or not resolved by its target.

    The targets depend on urgency (SUPPORT_SERVICE_LEVELS), so the condition is one clause per urgency."""
    from .models import service_levels

    condition = Q(pk__in=[])
    for urgency in Urgency.values:
        first, resolve = service_levels(urgency)
        condition |= Q(urgency=urgency) & (
            Q(first_response_at__isnull=True, opened_at__lt=now - first) | Q(opened_at__lt=now - resolve)
        )
    return Q(status__in=OPEN_STATUSES) & condition


def cases_escalate_breached(*, now: datetime | None = None, email: bool = True) -> dict[str, int]:
    """Escalate each open case past a service level once: to the senior experts and the dealer's
    regional managers, by notice; the case shows it was escalated. Idempotent."""
    now = now or timezone.now()
    seniors = list(User.objects.filter(groups__name=settings.SUPPORT_SENIOR_GROUP, is_active=True)) or list(
        User.objects.filter(role=Role.HQ_MANAGER, is_active=True)[:3]
    )
    escalated = told = 0
    cases = SupportCase.objects.filter(breached_q(now), escalated_at__isnull=True).select_related("dealer")
    for case in cases:
        with transaction.atomic():
            updated = SupportCase.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
                escalated_at=now
            )
            if not updated:
                continue  # another run got it first
            escalated += 1
            managers = list(
                User.objects.filter(role=Role.REGIONAL_MANAGER, is_active=True, regions=case.dealer.region_id)
            )
            record(
                "support.case_escalated",
                actor=None,
                object_type="support_case",
                object_id=case.pk,
                dealer=case.dealer,
                after={"to": sorted(u.username for u in [*seniors, *managers])},
            )
            with override(settings.LANGUAGE_CODE):
                text = _(
                    "Technical case %(n)s of %(dealer)s is past its service level: escalated to you."
                ) % {
                    "n": case.number,
                    "dealer": case.dealer.name,
                }
            url = reverse("support:detail", args=[case.pk])
            told += notice_send(
                users=[*seniors, *managers],
                text=text,
                url=url,
                email_subject=_("Technical case escalated") if email else None,
                topic=NoticeTopic.SUPPORT_CASE,
            )
    return {"escalated": escalated, "notices": told}
