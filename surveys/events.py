"""Audit events of customer voice: one typed function per event, called from services."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User

from .models import FollowUpCall, HotAlertCase, ResponseFlag, SurveyResponse, SurveyTemplate


def response_excluded(*, actor: User | None, response: SurveyResponse, reason: str) -> None:
    record(
        "survey_response.excluded",
        actor=actor,
        object_type="survey_response",
        object_id=response.response_id,
        dealer=response.dealer,
        before={"excluded": False},
        after={"excluded": True, "reason": reason},
        comment=reason,
    )


def flag_kept(*, actor: User | None, flag: ResponseFlag, note: str = "") -> None:
    record(
        "survey_flag.kept",
        actor=actor,
        object_type="survey_response",
        object_id=flag.response.response_id,
        dealer=flag.response.dealer,
        before={"flag": flag.kind, "status": "open"},
        after={"flag": flag.kind, "status": flag.status},
        comment=note,
    )


def hot_alert_contacted(*, actor: User | None, case: HotAlertCase, before: dict[str, Any]) -> None:
    record(
        "hot_alert.contacted",
        actor=actor,
        object_type="hot_alert_case",
        object_id=case.pk,
        dealer=case.dealer,
        before=before,
        after={"contacted_at": case.contacted_at.isoformat() if case.contacted_at else None},
        comment=case.contact_note,
    )


def hot_alert_closed(*, actor: User | None, case: HotAlertCase) -> None:
    record(
        "hot_alert.closed",
        actor=actor,
        object_type="hot_alert_case",
        object_id=case.pk,
        dealer=case.dealer,
        before={"closed": False},
        after={"closed": True},
        comment=case.resolution,
    )


def followup_call_recorded(*, actor: User | None, call: FollowUpCall) -> None:
    record(
        "followup_call.recorded",
        actor=actor,
        object_type="repair_order",
        object_id=call.repair_order_id,
        dealer=call.dealer,
        after={
            "call": call.pk,
            "outcome": call.outcome,
            "complaint": call.complaint.complaint_id if call.complaint else None,
        },
        comment=call.note,
    )


def template_published(*, actor: User | None, template: SurveyTemplate) -> None:
    record(
        "survey_template.published",
        actor=actor,
        object_type="survey_template",
        object_id=template.pk,
        before={"status": "draft"},
        after={"status": "published", "code": template.code, "version": template.version},
    )


def invitations_exported(*, actor: User | None, count: int, query: str) -> None:
    """An export holds working survey links, so who took which ones is kept."""
    record(
        "survey_invitations.exported",
        actor=actor,
        object_type="survey_invitation",
        object_id="*",
        after={"count": count, "filter": query},
    )


def invitations_texted(*, actor: User | None, lines: int, sent: int) -> None:
    """Survey links sent by SMS from pasted numbers: who sent how many (the numbers are not kept)."""
    record(
        "survey_invitations.texted",
        actor=actor,
        object_type="survey_invitation",
        object_id="*",
        after={"lines": lines, "sent": sent},
    )
