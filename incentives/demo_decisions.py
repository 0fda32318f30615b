"""Demo content for decisions: decided and pending proposals, one suspension in force, honours
on dealers' homes, and evidence on the seeded veto.

Call `seed_decisions(hq=<the HQ manager>)` after the demo's months are scored and closed
(closing proposes the actions). The newest closed month is left undecided for the queue.
"""

from __future__ import annotations

from django.core.files.base import ContentFile

from assessments.choices import PeriodStatus
from assessments.models import Period, VetoIncident
from dealers.models import User

from .choices import ActionStatus, ActionType
from .models import IncentiveAction, VetoEvidence
from .services import actions_decide_bulk

REWARDS_AND_INTERVIEWS = (ActionType.BONUS, ActionType.HONOUR, ActionType.INTERVIEW)


def seed_decisions(*, hq: User, pending_months: int = 1) -> dict[str, int]:
    """Decide the older closed months' rewards and interviews, approve the oldest suspension.

    The newest `pending_months` closed months are left for the queue.
    """
    closed = list(
        Period.objects.filter(status=PeriodStatus.CLOSED).order_by("code").values_list("code", flat=True)
    )
    counts = {"approved": 0, "rejected": 0, "suspended": 0, "veto_evidence": 0}
    if len(closed) > pending_months:
        older = IncentiveAction.objects.filter(
            period__in=closed[:-pending_months], status=ActionStatus.PROPOSED
        )
        ids = list(older.filter(action_type__in=REWARDS_AND_INTERVIEWS).values_list("pk", flat=True))
        # One in eight is rejected with a reason, so the history shows both outcomes.
        rejected = ids[::8]
        counts["rejected"] = actions_decide_bulk(
            actor=hq, action_ids=rejected, approve=False, comment="演示：材料不全，下月复核"
        ).rejected
        counts["approved"] = actions_decide_bulk(
            actor=hq,
            action_ids=[i for i in ids if i not in set(rejected)],
            approve=True,
            comment="演示：月度审批",
        ).approved
        suspension = older.filter(action_type=ActionType.SUSPENSION).order_by("period", "pk").first()
        if suspension is not None:
            counts["suspended"] = actions_decide_bulk(
                actor=hq, action_ids=[suspension.pk], approve=True, comment="演示：连续D级，暂停授权"
            ).approved
    for incident in VetoIncident.objects.filter(evidence__isnull=True):
        VetoEvidence.objects.create(
            incident=incident,
            file=ContentFile("稽核记录：同一 VIN 同一故障重复索赔两次。\n".encode(), name="audit-note.txt"),
            original_name="稽核记录.txt",
        )
        counts["veto_evidence"] += 1
    return counts
