from celery import shared_task

from .services import rectifications_flag_overdue


@shared_task
def flag_overdue_rectifications() -> int:
    """Daily: flag rectification orders past their deadline."""
    return rectifications_flag_overdue()
