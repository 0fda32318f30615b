from celery import shared_task

from .services import actions_expire, rectifications_flag_overdue


@shared_task
def flag_overdue_rectifications() -> int:
    """Daily: flag rectification orders past their deadline."""
    return rectifications_flag_overdue()


@shared_task
def expire_incentive_proposals() -> int:
    """Daily: proposals left undecided past INCENTIVE_PROPOSAL_MAX_AGE_DAYS expire."""
    return actions_expire()
