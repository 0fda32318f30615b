"""Writes of the dealers app: notices (inbox, e-mail, group robots), channel choices, robots."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from . import events
from .choices import DeliveryStatus, NoticeTopic, Role
from .models import Dealer, GroupRobot, Notice, NoticePreference, Region, RobotDelivery, User
from .robots import robot_deliveries_send
from .tasks import ROBOT_MAX_RETRIES, deliver_robot_messages

logger = logging.getLogger(__name__)


def absolute_url(url: str) -> str:
    """A portal path as a link that works from an e-mail: SITE_URL in front of it."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return url
    return f"{settings.SITE_URL.rstrip('/')}{url}"


def notice_send(
    *,
    users: Iterable[User],
    text: str,
    url: str = "",
    email_subject: str | None = None,
    topic: str = NoticeTopic.OTHER,
) -> int:
    """Leave a notice in the portal for each user, e-mail it to those with an address who did
    not turn e-mail off, and post it to the group robots of their dealers and regions that take
    its topic (one message per robot, for users who did not keep the topic out of the group).

    The notice keeps the path (it opens on whatever host the user signs in to); the e-mail and
    the robots carry the absolute link, since a mail client has no host to resolve a path
    against. Robots are posted to by a task after the transaction commits: a robot that is slow
    or down never holds up or fails the request that sent the notice."""
    users = list(users)
    count = 0
    link = absolute_url(url)
    robots = _robots_of(users, topic)
    preferences = _preferences(users) if robots or (email_subject and any(u.email for u in users)) else {}
    for user in users:
        Notice.objects.create(user=user, text=text, url=url, topic=topic)
        preference = preferences.get(user.pk)
        if email_subject and user.email and (preference is None or preference.email):
            send_mail(
                email_subject,
                f"{text}\n{link}",
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=True,
            )
        count += 1
    if robots:
        _robot_messages_queue(robots, users, preferences, topic=topic, text=text, link=link)
    return count


def _preferences(users: Sequence[User]) -> dict[int, NoticePreference]:
    return {p.user_id: p for p in NoticePreference.objects.filter(user__in=[u.pk for u in users])}


def _robots_of(users: Sequence[User], topic: str) -> list[tuple[GroupRobot, set[int]]]:
    """The active robots of these users' dealers (dealer users) and regions (regional managers)
    that take the topic, each with the ids of the users it speaks for. One query when no region
    robot is among them, none when no user has a group."""
    dealer_users = [u for u in users if u.role == Role.DEALER_USER and u.dealer_id]
    managers = [u.pk for u in users if u.role == Role.REGIONAL_MANAGER]
    if not dealer_users and not managers:
        return []
    owners = Q(dealer_id__in={u.dealer_id for u in dealer_users})
    if managers:
        owners |= Q(region__managers__in=managers)
    robots = [r for r in GroupRobot.objects.filter(owners, active=True).distinct() if r.takes(topic)]
    region_managers: dict[int, set[int]] = {}
    if any(r.region_id for r in robots):
        memberships = User.regions.through.objects.filter(
            user_id__in=managers, region_id__in={r.region_id for r in robots if r.region_id}
        ).values_list("region_id", "user_id")
        for region_id, user_id in memberships:
            region_managers.setdefault(region_id, set()).add(user_id)
    found = []
    for robot in robots:
        if robot.dealer_id:
            found.append((robot, {u.pk for u in dealer_users if u.dealer_id == robot.dealer_id}))
        else:
            found.append((robot, region_managers.get(robot.region_id or 0, set())))
    return found


def _robot_messages_queue(
    robots: list[tuple[GroupRobot, set[int]]],
    users: Sequence[User],
    preferences: dict[int, NoticePreference],
    *,
    topic: str,
    text: str,
    link: str,
) -> None:
    """One delivery per robot that speaks for at least one user who lets the topic go to the
    group; then one task for the batch, after commit."""
    names = {u.pk: u.display_name for u in users}
    with override(settings.LANGUAGE_CODE):
        title = str(NoticeTopic(topic).label)
        deliveries = []
        for robot, speaks_for in robots:
            recipients = [pk for pk in speaks_for if pk not in preferences or preferences[pk].to_group(topic)]
            if not recipients:
                continue
            to = _("To: %(names)s") % {"names": "、".join(sorted(names[pk] for pk in recipients))}
            deliveries.append(
                RobotDelivery(robot=robot, topic=topic, title=title, text=f"{text}\n\n{to}", url=link)
            )
    if deliveries:
        created = RobotDelivery.objects.bulk_create(deliveries)
        robot_deliveries_queue([d.pk for d in created])


def robot_deliveries_queue(delivery_ids: list[int]) -> None:
    """Hand robot messages to a worker once the current transaction commits.

    Without a broker (the laptop default) a thread of the web process posts them, so the
    request answers at once, as with Celery; tests post them in the request. Nothing here
    raises into the request: a broker that is down leaves the deliveries waiting in the log."""

    def send() -> None:
        try:
            if not deliver_robot_messages.app.conf.task_always_eager:
                deliver_robot_messages.apply_async(args=(delivery_ids,), retry=False)
            elif settings.ROBOT_IN_PROCESS_THREAD:
                threading.Thread(
                    target=_deliver_in_thread, args=(delivery_ids,), name="robot-messages", daemon=True
                ).start()
            else:
                robot_deliveries_send_now(delivery_ids)
        except Exception:
            logger.exception("robot messages %s could not be sent", delivery_ids)

    transaction.on_commit(send)


#: A delivery never tried this long after it was made was lost with the broker; one tried but
#: still waiting this long lost its retries with a worker (the backoff chain ends in ~16 min).
ROBOT_UNTRIED_AFTER = timedelta(minutes=2)
ROBOT_STALLED_AFTER = timedelta(minutes=30)


def robot_deliveries_sweep(*, now: datetime | None = None) -> int:
    """Queue again the robot messages still waiting after their task was lost (the sweep's job).

    Only deliveries past their whole retry chain are queued, so a message is never posted by
    two tasks at once; the send itself skips anything already sent or failed."""
    now = now or timezone.now()
    lost = list(
        RobotDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(
            Q(attempts=0, created_at__lt=now - ROBOT_UNTRIED_AFTER)
            | Q(attempts__gt=0, created_at__lt=now - ROBOT_STALLED_AFTER)
        )
        .values_list("pk", flat=True)[:500]
    )
    if lost:
        robot_deliveries_queue(lost)
    return len(lost)


def robot_deliveries_send_now(delivery_ids: list[int], *, pause: float = 0) -> None:
    """Post in this process, with as many tries as the task makes (`pause` seconds, doubling,
    between them). Celery's own retries cannot run in process: an eager retry raises."""
    for attempt in range(ROBOT_MAX_RETRIES + 1):
        if not robot_deliveries_send(delivery_ids, last_try=attempt == ROBOT_MAX_RETRIES):
            return
        time.sleep(pause * 2**attempt)


def _deliver_in_thread(delivery_ids: list[int]) -> None:
    try:
        robot_deliveries_send_now(delivery_ids, pause=2)
    except Exception:
        logger.exception("robot messages %s could not be sent", delivery_ids)
    finally:
        connection.close()


def notice_mark_read(notice: Notice, *, read: bool = True) -> None:
    """Mark one notice read (now) or unread again. Reading is the user's own business: not audited."""
    read_at = (notice.read_at or timezone.now()) if read else None
    if read_at != notice.read_at:
        notice.read_at = read_at
        notice.save(update_fields=["read_at"])


def notice_mark_all_read(user: User) -> int:
    """Mark every unread notice of the user read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- channel choices and group robots -----------------------------------------------------


def notice_preference_save(*, user: User, email: bool, group_topics: Iterable[str]) -> NoticePreference:
    """Save a user's channel choices: e-mail on or off, and the topics that also go to their
    group (stored as the ones kept out, so that a new topic reaches the group by default).
    The user's own business: not audited."""
    chosen = set(group_topics)
    muted = [topic for topic in NoticeTopic.values if topic not in chosen]
    preference, _created = NoticePreference.objects.update_or_create(
        user=user, defaults={"email": email, "group_muted_topics": muted}
    )
    return preference


def _robot_state(robot: GroupRobot) -> dict[str, Any]:
    """What the audit trail keeps of a robot: never its key or secret."""
    return {
        "name": robot.name,
        "platform": robot.platform,
        "webhook": robot.masked_url,
        "signed": bool(robot.secret),
        "topics": sorted(robot.topics or []),
        "active": robot.active,
    }


@transaction.atomic
def group_robot_add(
    *,
    actor: User,
    owner: Dealer | Region,
    platform: str,
    name: str,
    webhook_url: str,
    secret: str,
    topics: Iterable[str],
) -> GroupRobot:
    """Add a dealer's or region's group robot. The caller checked the owner is in the actor's scope."""
    robot = GroupRobot(
        platform=platform,
        name=name,
        webhook_url=webhook_url,
        secret=secret,
        topics=sorted(set(topics)),
        dealer=owner if isinstance(owner, Dealer) else None,
        region=owner if isinstance(owner, Region) else None,
    )
    robot.full_clean()
    robot.save()
    events.group_robot_added(actor=actor, robot=robot, after=_robot_state(robot))
    return robot


@transaction.atomic
def group_robot_change(
    robot: GroupRobot,
    *,
    actor: User,
    name: str,
    topics: Iterable[str],
    active: bool,
    webhook_url: str = "",
    secret: str = "",
    clear_secret: bool = False,
) -> GroupRobot:
    """Change a robot. An empty webhook or secret keeps the saved one (pages never show them)."""
    before = _robot_state(robot)
    robot.name = name
    robot.topics = sorted(set(topics))
    robot.active = active
    if webhook_url:
        robot.webhook_url = webhook_url
    if secret:
        robot.secret = secret
    elif clear_secret:
        robot.secret = ""
    robot.full_clean()
    robot.save()
    after = _robot_state(robot)
    if after != before or webhook_url or secret:
        events.group_robot_changed(actor=actor, robot=robot, before=before, after=after)
    return robot


def group_robot_test(robot: GroupRobot, *, actor: User) -> RobotDelivery:
    """Queue a test message to a robot (active or not); its delivery shows how it went."""
    with override(settings.LANGUAGE_CODE):
        delivery = RobotDelivery.objects.create(
            robot=robot,
            topic=NoticeTopic.OTHER,
            title=_("Test message"),
            text=_("A test message from the after-sales portal, sent by %(name)s.")
            % {"name": actor.display_name},
            url=absolute_url("/"),
        )
    robot_deliveries_queue([delivery.pk])
    return delivery
