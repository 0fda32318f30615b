from celery import shared_task

from .services import actions_expire, rectifications_flag_overdue


@shared_task
def flag_overdue_rectifications() -> int:
    """Daily: open rectification orders past their deadline without a plan are flagged, fail,
    and have their escalation proposed (a second rectification, then a suspension); the
    dealer's users and the managers in scope are told. Idempotent."""
    return rectifications_flag_overdue()


@shared_task
def expire_incentive_proposals() -> int:
    """Daily: proposals left undecided past INCENTIVE_PROPOSAL_MAX_AGE_DAYS expire."""
    return actions_expire()
