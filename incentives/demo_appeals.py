"""Demo appeals: one of each outcome in the demo's open month, filed and decided through the
services, so the scorecard, the appeal list and an appeal's before → after have content.

Call after the scorecards exist (the open month's scorecards published, so its window is open):

    from incentives.demo_appeals import seed_appeals
    seed_appeals()   # or seed_appeals(dealer_usernames=("dealer1", "dealer2"), hq_username="hq")
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.choices import PeriodStatus
from assessments.models import Scorecard
from dealers.choices import Role
from dealers.models import User

from .choices import RecordCorrection
from .models import Appeal
from .services import RecordFix, appeal_counted_rows, appeal_decide, appeal_file, appeal_window_open


def _evidence(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% demo evidence\n", content_type="application/pdf")


def _open_card(user: User) -> Scorecard | None:
    """The dealer's newest scorecard of an open month whose appeal window is open."""
    cards = (
        Scorecard.objects.filter(dealer_id=user.dealer_id)
        .exclude(period__status=PeriodStatus.CLOSED)
        .select_related("period", "dealer")
        .order_by("-period__code")
    )
    return next((c for c in cards if appeal_window_open(c.period)), None)


def _keys(user: User, card: Scorecard, kpi: str, key: str, n: int, flagged: bool = False) -> list[str]:
    drill = appeal_counted_rows(user, card, kpi)
    rows = drill.rows.filter(drill.flag_filter) if flagged and drill.flag_filter is not None else drill.rows
    return [r[key] for r in rows[:n]]


def seed_appeals(
    *, dealer_usernames: Sequence[str] = ("dealer1", "dealer2"), hq_username: str = "hq"
) -> list[Appeal]:
    """File three appeals in the open month — pending, upheld with a correction, rejected.

    Idempotent: a dealer that already appealed the month's scorecard gets none. Returns the
    appeals made (fewer where a dealer has no open window or no records to contest).
    """
    hq = User.objects.filter(username=hq_username, role=Role.HQ_MANAGER).first()
    dealers = [
        u for u in User.objects.filter(username__in=dealer_usernames, role=Role.DEALER_USER) if u.dealer_id
    ]
    dealers.sort(key=lambda u: list(dealer_usernames).index(u.username))
    if hq is None or not dealers:
        return []
    made: list[Appeal] = []
    first, second = dealers[0], dealers[-1]
    card = _open_card(first)
    if card is not None and not Appeal.objects.filter(scorecard=card).exists():
        # Pending: two complaints the dealer says were another dealer's.
        keys = _keys(first, card, "complaint_rate", "complaint_id", 2)
        if keys:
            made.append(
                appeal_file(
                    scorecard=card,
                    kpi_code="complaint_rate",
                    reason="这两条投诉的客户车辆并非在本店维修，系呼叫中心派单错误。",
                    actor=first,
                    files=[_evidence("呼叫中心派单记录.pdf")],
                    records=keys,
                )
            )
        else:
            # No complaint this month: two repairs counted late whose customer moved the pick-up.
            keys = _keys(first, card, "on_time_delivery_rate", "ro_number", 2, flagged=True)
            if keys:
                made.append(
                    appeal_file(
                        scorecard=card,
                        kpi_code="on_time_delivery_rate",
                        reason="这两单客户主动要求改期取车（有短信记录），不应计为延期交车。",
                        actor=first,
                        files=[_evidence("客户改期短信截图.pdf")],
                        records=keys,
                    )
                )
        # Rejected: a low survey score the dealer thinks unfair.
        keys = _keys(first, card, "csat", "response_id", 1, flagged=True) or _keys(
            first, card, "csat", "response_id", 1
        )
        if keys:
            appeal = appeal_file(
                scorecard=card,
                kpi_code="csat",
                reason="客户对价格不满，与服务质量无关。",
                actor=first,
                files=[_evidence("客户沟通记录.pdf")],
                records=keys,
            )
            made.append(
                appeal_decide(
                    appeal=appeal,
                    actor=hq,
                    uphold=False,
                    decision="满意度由客户本人评价，价格感受属于服务体验的一部分，不予更正。",
                )
            )
    card = _open_card(second)
    if card is not None and not Appeal.objects.filter(scorecard=card).exists():
        made.extend(_upheld(second, hq, card))
    return made


def _upheld(user: User, hq: User, card: Scorecard) -> list[Appeal]:
    """Upheld: a comeback wrongly counted if there is one, else a repair's wrong delivery time."""
    comebacks = _keys(user, card, "first_time_fix_rate", "ro_number", 1, flagged=True)
    if comebacks:
        appeal = appeal_file(
            scorecard=card,
            kpi_code="first_time_fix_rate",
            reason="后续进店为另一故障（保养时发现），不属于返修。",
            actor=user,
            files=[_evidence("维修工单对比.pdf")],
            records=comebacks,
        )
        fix = RecordFix(RecordCorrection.NOT_COMEBACK)
    else:
        drill = appeal_counted_rows(user, card, "repair_cycle_hours")
        row: dict[str, Any] | None = drill.rows.first()
        if row is None:
            return []
        appeal = appeal_file(
            scorecard=card,
            kpi_code="repair_cycle_hours",
            reason="交车时间录入错误，实际当天交车。",
            actor=user,
            files=[_evidence("交车单.pdf")],
            records=[row["ro_number"]],
        )
        opened: datetime = row["opened_at"]
        fix = RecordFix(RecordCorrection.SET_TIME, "closed_at", opened + (row["closed_at"] - opened) / 4)
    contested = appeal.records.get()
    return [
        appeal_decide(
            appeal=appeal,
            actor=hq,
            uphold=True,
            decision="经核实工单记录，申诉成立，已更正数据。",
            fixes={contested.pk: fix},
        )
    ]
