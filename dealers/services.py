"""Writes of the dealers app."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail

from .models import Notice, User


def notice_send(*, users: Iterable[User], text: str, url: str = "", email_subject: str | None = None) -> int:
    """Leave a notice in the portal for each user, and e-mail it to those with an address."""
    count = 0
    for user in users:
        Notice.objects.create(user=user, text=text, url=url)
        if email_subject and user.email:
            send_mail(
                email_subject, f"{text}\n{url}", settings.DEFAULT_FROM_EMAIL, [user.email], fail_silently=True
            )
        count += 1
    return count
