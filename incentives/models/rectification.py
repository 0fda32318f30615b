"""Rectification orders (整改) with their tasks and evidence, and interview records (约谈)."""

from __future__ import annotations

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import RectificationStatus
from .actions import IncentiveAction


class TaskStatus(models.TextChoices):
    OPEN = "open", _("To do")
    DONE = "done", _("Done")


class RectificationOrder(models.Model):
    """整改: the dealer answers with a plan and evidence before the deadline; HQ verifies."""

    action = models.OneToOneField(
        IncentiveAction, on_delete=models.PROTECT, related_name="rectification", verbose_name=_("action")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="rectifications", verbose_name=_("dealer")
    )
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    plan = models.TextField(_("plan"), blank=True)
    plan_submitted_at = models.DateTimeField(null=True, blank=True, verbose_name=_("plan submitted at"))
    overdue_flagged_at = models.DateTimeField(_("flagged overdue"), null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verify_comment = models.TextField(_("verification comment"), blank=True)
    # 过程所有者: the one person answerable for this item until it is done (workbench.services).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    remeasure = models.JSONField(
        _("re-measure"),
        null=True,
        blank=True,
        help_text=_("The KPIs concerned before and after, stored when the order is passed."),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.deadline}"


class EvidenceQuerySet(ScopedQuerySet):
    dealer_path = "order__dealer"


class RectificationTask(models.Model):
    """One step of the dealer's action plan: what, who, by when, done or not."""

    order = models.ForeignKey(
        RectificationOrder, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("order")
    )
    title = models.CharField(_("task"), max_length=300)
    owner = models.CharField(_("owner"), max_length=100, blank=True)
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=8, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    done_at = models.DateTimeField(null=True, blank=True, verbose_name=_("done at"))
    from_template = models.BooleanField(default=False, verbose_name=_("from template"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("rectification task")
        verbose_name_plural = _("rectification tasks")

    def __str__(self) -> str:
        return self.title


def _evidence_path(instance: RectificationEvidence, filename: str) -> str:
    """Stored under a random name: the original name is kept in the row, never in a path."""
    return f"rectification/{instance.order_id}/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:10]}"


class RectificationEvidence(models.Model):
    """A file the dealer gives as evidence; served only through a scoped view."""

    order = models.ForeignKey(
        RectificationOrder, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("order")
    )
    task = models.ForeignKey(
        RectificationTask,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="evidence",
        verbose_name=_("task"),
    )
    file = models.FileField(upload_to=_evidence_path, verbose_name=_("file"))
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("rectification evidence")
        verbose_name_plural = _("rectification evidence")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.original_name or self.file.name.rsplit("/", 1)[-1]


class InterviewRecord(models.Model):
    """约谈: the record of an approved interview, filled by managers, read by the dealer."""

    action = models.OneToOneField(
        IncentiveAction, on_delete=models.PROTECT, related_name="interview", verbose_name=_("action")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="interviews", verbose_name=_("dealer")
    )
    held_on = models.DateField(_("date held"), null=True, blank=True)
    attendees = models.TextField(_("attendees"), blank=True)
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True, verbose_name=_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        verbose_name = _("interview record")
        verbose_name_plural = _("interview records")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.action_id}"

    @property
    def is_recorded(self) -> bool:
        return self.recorded_at is not None
