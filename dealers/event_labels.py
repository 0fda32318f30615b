"""The audit trail's event codes (`scheme.published`) as words in the reader's language.

The code stays what `events.py` writes and what the admin filters on; people read the label.
A code missing here shows as itself, and tests/dealers/test_event_labels.py fails until it is
named: every code the services write is listed there.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "appeal.submitted": _("Appeal filed"),
    "appeal.upheld": _("Appeal upheld"),
    "appeal.rejected": _("Appeal rejected"),
    "appeal.record_corrected": _("Contested record corrected"),
    "certification.added": _("Certificate added"),
    "dealer.status_changed": _("Dealer status changed"),
    "demo.seeded": _("Demo data seeded"),
    "finding.closed": _("Finding closed with its review"),
    "finding.dismissed": _("Finding dismissed"),
    "finding.opened": _("Finding opened"),
    "followup_call.recorded": _("Follow-up call recorded"),
    "goal.changed": _("Goal changed"),
    "goal.created": _("Goal set"),
    "group_robot.added": _("Group robot added"),
    "group_robot.changed": _("Group robot changed"),
    "hot_alert.closed": _("Hot alert closed"),
    "hot_alert.contacted": _("Customer contacted"),
    "import.finished": _("Import finished"),
    "incentive.action_proposed": _("Action proposed"),
    "incentive.action_approved": _("Action approved"),
    "incentive.action_rejected": _("Action rejected"),
    "incentive.action_expired": _("Proposal expired"),
    "interview.opened": _("Interview ordered"),
    "interview.recorded": _("Interview recorded"),
    "owner.assigned": _("Owner assigned"),
    "period.closed": _("Month closed"),
    "period.recomputed": _("Month recomputed"),
    "rectification.open": _("Rectification order opened"),
    "rectification.plan_submitted": _("Rectification plan submitted"),
    "rectification.passed": _("Rectification verified"),
    "rectification.failed": _("Rectification failed verification"),
    "rectification.evidence_added": _("Evidence added"),
    "rectification.evidence_opened": _("Evidence opened"),
    "rectification.task_added": _("Rectification task added"),
    "rectification.task_edited": _("Rectification task edited"),
    "rectification.task_open": _("Rectification task reopened"),
    "rectification.task_done": _("Rectification task done"),
    "roster.imported": _("Technician roster imported"),
    "scheme.changed": _("Scheme draft changed"),
    "scheme.created": _("Scheme draft created"),
    "scheme.deleted": _("Scheme draft deleted"),
    "scheme.published": _("Scheme published"),
    "submission.saved": _("Monthly report saved"),
    "submission.submitted": _("Monthly report submitted"),
    "submission.approved": _("Monthly report approved"),
    "submission.returned": _("Monthly report returned"),
    "support.bulletin_published": _("Technical bulletin published"),
    "support.case_closed": _("Technical case closed"),
    "support.case_escalated": _("Technical case escalated"),
    "support.case_opened": _("Technical case opened"),
    "support.case_reopened": _("Technical case reopened"),
    "support.case_resolved": _("Technical case resolved"),
    "support.case_taken": _("Technical case taken"),
    "support.cases_imported": _("Technical cases imported"),
    "support.session_recorded": _("Remote session recorded"),
    "survey_flag.kept": _("Flagged response kept"),
    "survey_invitations.exported": _("Survey invitations exported"),
    "survey_invitations.texted": _("Survey links sent by SMS"),
    "survey_response.excluded": _("Survey response excluded"),
    "survey_template.published": _("Survey template published"),
    "technician.created": _("Technician added"),
    "technician.changed": _("Technician changed"),
    "technician.left": _("Technician left"),
    "token.issued": _("API token made"),
    "token.revoked": _("API token revoked"),
    "training.added": _("Training added"),
    "veto.recorded": _("Veto recorded"),
}


def event_label(code: str) -> str:
    """The event's name in the active language; the code itself when it has none."""
    label = EVENT_LABELS.get(code)
    return str(label) if label is not None else code


#: What an event was about (`AuditEvent.object_type`), in the reader's language.
OBJECT_LABELS = {
    "appeal": _("appeal"),
    "complaint": _("complaint"),
    "dealer": _("dealer"),
    "demo": _("Demo data seeded"),
    "finding": _("finding"),
    "goal": _("goal"),
    "group_robot": _("group robot"),
    "hot_alert": _("hot alert case"),
    "hot_alert_case": _("hot alert case"),
    "import": _("import"),
    "incentive_action": _("incentive action"),
    "interview": _("interview record"),
    "period": _("period"),
    "proposal": _("incentive action"),
    "rectification": _("rectification order"),
    "repair_order": _("repair order"),
    "scheme": _("assessment scheme"),
    "submission": _("monthly submission"),
    "support_case": _("technical case"),
    "support_import": _("Technical cases imported"),
    "survey_invitation": _("survey invitation"),
    "survey_response": _("survey response"),
    "survey_template": _("survey template"),
    "technician": _("technician"),
    "user": _("user"),
    "veto_incident": _("veto incident"),
}


def object_label(code: str) -> str:
    """What kind of record an event was about, in the active language; the code when unknown."""
    label = OBJECT_LABELS.get(code)
    return str(label) if label is not None else code
