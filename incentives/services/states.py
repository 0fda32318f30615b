"""What already holds for a dealer when incentives propose: the screen's input.

Shared by the rules' proposals (`actions`) and a failed rectification's escalation
(`rectification`); apart from both because `actions` opens rectifications, so the two
cannot import each other.
"""

from __future__ import annotations

from assessments.models import VetoIncident
from dealers.choices import DealerStatus
from dealers.models import Dealer

from ..choices import ActionStatus, RectificationStatus
from ..models import IncentiveAction, RectificationOrder
from ..rules import CardFacts, DealerState

# Orders in these states no longer hold a dealer "under rectification".
CLOSED_RECTIFICATION = (RectificationStatus.PASSED, RectificationStatus.FAILED)


def dealer_states(
    period_code: str, dealer_ids: set[int], history0: dict[int, CardFacts]
) -> dict[int, DealerState]:
    """What already holds for each dealer: veto, suspension, open rectification, pending proposals."""
    vetoed = {d for d, c in history0.items() if c.veto} | set(
        VetoIncident.objects.filter(period=period_code, dealer_id__in=dealer_ids).values_list(
            "dealer_id", flat=True
        )
    )
    suspended = set(
        Dealer.objects.filter(pk__in=dealer_ids, status=DealerStatus.SUSPENDED).values_list("pk", flat=True)
    )
    rectifying = set(
        RectificationOrder.objects.filter(dealer_id__in=dealer_ids)
        .exclude(status__in=CLOSED_RECTIFICATION)
        .values_list("dealer_id", flat=True)
    )
    pending_rules: dict[int, set[int]] = {}
    pending_types: dict[int, set[str]] = {}
    for dealer_id, rule_id, action_type in IncentiveAction.objects.filter(
        dealer_id__in=dealer_ids, status=ActionStatus.PROPOSED
    ).values_list("dealer_id", "rule_id", "action_type"):
        if rule_id is not None:
            pending_rules.setdefault(dealer_id, set()).add(rule_id)
        pending_types.setdefault(dealer_id, set()).add(action_type)
    return {
        d: DealerState(
            vetoed=d in vetoed,
            suspended=d in suspended,
            under_rectification=d in rectifying,
            pending_rule_ids=frozenset(pending_rules.get(d, ())),
            pending_types=frozenset(pending_types.get(d, ())),
        )
        for d in dealer_ids
    }
