"""Celery tasks of the dealers app: posting notices to group robots. Thin and idempotent."""

from __future__ import annotations

from celery import Task, shared_task

from .robots import robot_deliveries_send

ROBOT_MAX_RETRIES = 5


class RobotsBusy(Exception):
    """Some robot messages could not be posted yet (network, 5xx, "too many messages"): retry."""


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(RobotsBusy,),
    max_retries=ROBOT_MAX_RETRIES,
    # 30 s, 1, 2, 4, 8 min (each with jitter): a busy robot takes 20 messages a minute.
    retry_backoff=30,
    retry_backoff_max=900,
    retry_jitter=True,
)
def deliver_robot_messages(self: Task, delivery_ids: list[int]) -> int:
    """Post a batch's robot messages; what the platform puts off is tried again with backoff,
    and marked failed after the last try (never raised from there)."""
    waiting = robot_deliveries_send(delivery_ids, last_try=self.request.retries >= ROBOT_MAX_RETRIES)
    if waiting:
        raise RobotsBusy(f"{waiting} robot message(s) to try again")
    return len(delivery_ids)
