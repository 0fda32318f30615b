"""Writes of the dealers app."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone

from .models import Notice, User


def absolute_url(url: str) -> str:
    """A portal path as a link that works from an e-mail: SITE_URL in front of it."""
    if not url or not url.startswith("/") or url.startswith("//"):
        return url
    return f"{settings.SITE_URL.rstrip('/')}{url}"


def notice_send(*, users: Iterable[User], text: str, url: str = "", email_subject: str | None = None) -> int:
    """Leave a notice in the portal for each user, and e-mail it to those with an address.

    The notice keeps the path (it opens on whatever host the user signs in to); the e-mail
    carries the absolute link, since a mail client has no host to resolve a path against."""
    count = 0
    link = absolute_url(url)
    for user in users:
        Notice.objects.create(user=user, text=text, url=url)
        if email_subject and user.email:
            send_mail(
                email_subject,
                f"{text}\n{link}",
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                fail_silently=True,
            )
        count += 1
    return count


def notice_mark_read(notice: Notice, *, read: bool = True) -> None:
    """Mark one notice read (now) or unread again. Reading is the user's own business: not audited."""
    read_at = (notice.read_at or timezone.now()) if read else None
    if read_at != notice.read_at:
        notice.read_at = read_at
        notice.save(update_fields=["read_at"])


def notice_mark_all_read(user: User) -> int:
    """Mark every unread notice of the user read; returns how many."""
    return Notice.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
