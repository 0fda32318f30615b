"""Provenance of service records: who made a record, through which channel, who changed it,
and the before and after of every change (docs/data-keys.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import RecordChannel


def user_reference(verbose_name: Any, **options: Any) -> models.ForeignKey:
    """Who created or last changed a record: a user, kept as None when the user is deleted.

    `options` go to the field: the repair orders, a million a month, check their users
    set-wise instead of by a foreign key per row (RepairOrder, migration 0017).
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=verbose_name,
        **options,
    )


class Provenance(models.Model):
    """Who created a service record and through which channel; who changed it last, when, how.

    Every writer sets these (imports, the survey link, follow-up calls, appeals, the admin,
    the demo data). Rows older than this record say "legacy": nobody can tell where they
    came from, so a dealer may not change them (HQ may).
    """

    created_channel = models.CharField(
        _("created through"),
        max_length=16,
        choices=RecordChannel.choices,
        default=RecordChannel.LEGACY,
        db_default=RecordChannel.LEGACY,
    )
    created_by = user_reference(_("created by"))
    changed_at = models.DateTimeField(_("last changed at"), null=True, blank=True)
    changed_by = user_reference(_("last changed by"))
    changed_channel = models.CharField(
        _("last changed through"),
        max_length=16,
        choices=RecordChannel.choices,
        blank=True,
        default="",
        db_default="",
    )
    # Every kind of record (repair, complaint, parts order, survey response) belongs to a
    # dealer through its own `dealer` foreign key; declared here for the type checker only.
    dealer_id: int

    class Meta:
        abstract = True


class RecordChange(models.Model):
    """One change to a record that counts in a KPI: the changed fields before and after.

    Written set-wise by the import writers (both paths) and by the services that edit
    records (voiding a complaint on appeal, excluding a survey response). `model` is the
    record's model label, e.g. "assessments.complaint".
    """

    model = models.CharField(_("record type"), max_length=40)
    record_id = models.BigIntegerField(_("record"))
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="record_changes", verbose_name=_("dealer")
    )
    changed_at = models.DateTimeField(_("changed at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    channel = models.CharField(_("changed through"), max_length=16, choices=RecordChannel.choices)
    before = models.JSONField(_("before"), encoder=DjangoJSONEncoder, default=dict)
    after = models.JSONField(_("after"), encoder=DjangoJSONEncoder, default=dict)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-id"]
        verbose_name = _("record change")
        verbose_name_plural = _("record changes")
        indexes = [models.Index(fields=["model", "record_id"], name="record_change_record")]

    def __str__(self) -> str:
        return f"{self.model} {self.record_id} {self.changed_at:%Y-%m-%d %H:%M}"


def history_value(value: Any) -> Any:
    """A field's value as the change history keeps it (the same text on both writing paths)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(microsecond=0).isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value
