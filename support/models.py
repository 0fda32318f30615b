"""Remote technical support (远程技术支持): a dealer's hard case answered by HQ's experts.

A case belongs to its dealer and is scoped like every dealer row (`dealers.scoping`), in the
support area: a technical expert sees every dealer's cases and nothing else of the portal.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import RepairOrder
from dealers.choices import AREA_SUPPORT
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from .choices import OPEN_STATUSES, CaseStatus, MessageKind, Urgency


class CaseQuerySet(ScopedQuerySet):
    area = AREA_SUPPORT

    def open(self) -> CaseQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class CasePartQuerySet(ScopedQuerySet):
    """Messages, files and sessions: scoped through their case."""

    dealer_path = "case__dealer"
    area = AREA_SUPPORT


WORD = re.compile(r"[A-Za-z0-9]{3,}|[\u4e00-\u9fff]{2,}")


def terms_of(text: str) -> list[str]:
    """Search terms of a text: Latin words of three letters and more, lower-cased; Chinese runs
    cut into overlapping pairs of characters (Chinese has no spaces: 怠速抖动 → 怠速, 速抖, 抖动)."""
    terms: list[str] = []
    for word in WORD.findall(text):
        if word[0] >= "\u4e00":
            terms += [word[i : i + 2] for i in range(len(word) - 1)]
        else:
            terms.append(word.lower())
    return list(dict.fromkeys(terms))


def search_terms_of(case: SupportCase) -> str:
    return " ".join([case.fault_code.lower(), *terms_of(f"{case.symptom} {case.solution}")]).strip()


def service_levels(urgency: str) -> tuple[timedelta, timedelta]:
    """(first response, resolution) targets of an urgency, from SUPPORT_SERVICE_LEVELS (hours)."""
    first, resolve = settings.SUPPORT_SERVICE_LEVELS[urgency]
    return timedelta(hours=first), timedelta(hours=resolve)


class SupportCase(models.Model):
    """One car a dealer's technician cannot fix, and the conversation that fixes it."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="support_cases", verbose_name=_("dealer")
    )
    vin = models.CharField(_("VIN"), max_length=17)
    repair_order = models.ForeignKey(
        RepairOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("repair order"),
    )
    # From a comeback: the first visit whose fix did not hold.
    earlier_repair_order = models.ForeignKey(
        RepairOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("earlier repair order"),
    )
    fault_code = models.CharField(_("fault code"), max_length=20, blank=True)
    mileage = models.PositiveIntegerField(_("mileage (km)"), null=True, blank=True)
    symptom = models.TextField(_("symptom"))
    tried = models.TextField(_("already tried"), blank=True)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("opened by"),
    )
    # 过程所有者 on each side: the dealer's person and HQ's expert answerable for the case.
    dealer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("dealer's owner"),
    )
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("expert"),
    )
    opened_at = models.DateTimeField(_("opened at"))
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    solution = models.TextField(
        _("fix"), blank=True, help_text=_("What fixed the car, for the knowledge base.")
    )
    # What the knowledge base searches: fault code, English words and overlapping pairs of
    # Chinese characters of the symptom and the fix (search_terms_of), kept by save().
    search_terms = models.TextField(blank=True, default="", editable=False, verbose_name=_("search terms"))
    # A solved case published to every dealer as a technical bulletin (技术通报).
    bulletin_title = models.CharField(_("bulletin title"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    # The last time each side read the case: what the other side wrote since is new to them.
    dealer_seen_at = models.DateTimeField(null=True, blank=True, verbose_name=_("dealer seen at"))
    expert_seen_at = models.DateTimeField(null=True, blank=True, verbose_name=_("expert seen at"))

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-id"]
        verbose_name = _("technical case")
        verbose_name_plural = _("technical cases")
        indexes = [models.Index(fields=["status", "opened_at"]), models.Index(fields=["vin"])]

    def __str__(self) -> str:
        return self.number

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_terms = search_terms_of(self)
        fields = kwargs.get("update_fields")
        if fields is not None and {"symptom", "solution", "fault_code"} & set(fields):
            kwargs["update_fields"] = {*fields, "search_terms"}
        super().save(*args, **kwargs)

    @property
    def number(self) -> str:
        return f"TAC-{self.pk:06d}" if self.pk else "TAC-new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def first_response_due(self) -> datetime:
        return self.opened_at + service_levels(self.urgency)[0]

    @property
    def resolution_due(self) -> datetime:
        return self.opened_at + service_levels(self.urgency)[1]

    @property
    def answered_in_time(self) -> bool:
        return self.first_response_at is not None and self.first_response_at <= self.first_response_due

    @property
    def resolved_in_time(self) -> bool:
        return self.resolved_at is not None and self.resolved_at <= self.resolution_due


class CaseMessage(models.Model):
    """A line of the case's conversation: a message, an HQ-only note, a session or a status change."""

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    kind = models.CharField(
        max_length=10, choices=MessageKind.choices, default=MessageKind.MESSAGE, verbose_name=_("kind")
    )
    body = models.TextField(_("message"))
    from_hq = models.BooleanField(default=False, verbose_name=_("from hq"))
    created_at = models.DateTimeField(_("at"))

    objects = CasePartQuerySet.as_manager()

    class Meta:
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"


def _attachment_path(instance: CaseAttachment, filename: str) -> str:
    from incentives.files import _random_name

    return _random_name("support", filename)


class CaseAttachment(models.Model):
    """A photo, short video, diagnostic log or PDF; served only through a scoped view."""

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("case")
    )
    message = models.ForeignKey(
        CaseMessage,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attachments",
        verbose_name=_("message"),
    )
    file = models.FileField(upload_to=_attachment_path, verbose_name=_("file"))
    original_name = models.CharField(_("file name"), max_length=255)
    kind = models.CharField(_("type"), max_length=10)  # photo, video, log, pdf (from the content)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    objects = CasePartQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")

    def __str__(self) -> str:
        return self.original_name


class RemoteSession(models.Model):
    """A remote diagnosis session: when, who, what came of it."""

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("case")
    )
    held_at = models.DateTimeField(_("held at"))
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    expert = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("expert"),
    )
    attendees = models.CharField(_("dealer attendees"), max_length=200, blank=True)
    outcome = models.TextField(_("outcome"))

    objects = CasePartQuerySet.as_manager()

    class Meta:
        ordering = ["held_at", "id"]
        verbose_name = _("remote session")
        verbose_name_plural = _("remote sessions")

    def __str__(self) -> str:
        return f"{self.case_id} {self.held_at:%Y-%m-%d %H:%M}"
