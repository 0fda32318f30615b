"""Findings (隐患): latent problems the nightly analysis found in the portal's own data, and the
复盘 (review) that closes each one with its lesson.

A finding belongs to its dealer and is scoped like every dealer row (`dealers.scoping`); a
network-wide finding (a fault code rising at many dealers) has no dealer: HQ and regional
managers see it, dealer users never do. Its evidence is a list of record ids, read back
through the same scoping, so a regional manager sees only their regions' dealers behind it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from assessments.kpis import BY_CODE, kpi_name
from dealers.choices import Role
from dealers.models import Dealer, Region
from dealers.scoping import NOTHING, ScopedQuerySet, dealer_scope_q

from .choices import FAMILY_OF, FindingKind, FindingStatus

ACTIVE = (FindingStatus.NEW, FindingStatus.OPEN)


class FindingQuerySet(ScopedQuerySet):
    """Who sees a finding: the dealer's scope (dealers.scoping), and for managers also the
    network-wide findings (no dealer), which are about the product, not about a dealer."""

    dealer_path = "dealer"

    def for_user(self, user: Any) -> FindingQuerySet:
        condition = dealer_scope_q(user, "dealer")
        if condition is None:
            return self.all()
        if condition is NOTHING:
            return self.none()
        if user.role == Role.REGIONAL_MANAGER:
            return self.filter(condition | Q(dealer__isnull=True))
        return self.filter(condition)

    def active(self) -> FindingQuerySet:
        return self.filter(status__in=ACTIVE)


class Finding(models.Model):
    """One latent problem of one month, as a detector found it (insights.detectors).

    `fingerprint` (kind | subject | dealer | month) makes a second run over the same month
    update the finding instead of adding another; a finding already triaged keeps its status,
    owner and review. `figures` and `evidence` are the detector's (insights.drafts.Draft).
    """

    kind = models.CharField(_("kind"), max_length=20, choices=FindingKind.choices)
    subject = models.CharField(_("subject"), max_length=40, blank=True)
    dealer = models.ForeignKey(
        Dealer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="findings",
        verbose_name=_("dealer"),
    )
    month = models.CharField(_("month"), max_length=7)
    fingerprint = models.CharField(max_length=120, unique=True, verbose_name=_("fingerprint"))
    severity = models.FloatField(_("severity"), default=0)
    figures = models.JSONField(_("figures"), default=dict)
    evidence = models.JSONField(_("evidence"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=FindingStatus.choices, default=FindingStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_findings",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("triaged by"),
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    dismissed_reason = models.TextField(_("reason dismissed"), blank=True)
    found_at = models.DateTimeField(_("found at"))
    last_seen_at = models.DateTimeField(_("last seen"))

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["-found_at", "-severity", "pk"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [
            models.Index(fields=["status", "found_at"], name="finding_status_found"),
            models.Index(fields=["dealer", "month"], name="finding_dealer_month"),
            models.Index(fields=["kind", "month"], name="finding_kind_month"),
            models.Index(fields=["owner", "status"], name="finding_owner_status"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.subject} {self.month}"

    @property
    def family(self) -> str:
        return FAMILY_OF[FindingKind(self.kind)]

    @property
    def subject_label(self) -> str:
        """The subject as the reader says it: a KPI by its name, a fault code as it is."""
        return kpi_name(self.subject) if self.subject in BY_CODE else self.subject

    @property
    def value(self) -> float | None:
        """The figure a review re-measures later (the detector's `value`)."""
        value = self.figures.get("value")
        return float(value) if value is not None else None


class Review(models.Model):
    """The 复盘 that closes a finding: root cause, countermeasure and where else the lesson
    applies (举一反三: the dealers and regions told of it), then — measured by the nightly run
    once a later month is complete — the same figure after the measure."""

    finding = models.OneToOneField(
        Finding, on_delete=models.CASCADE, related_name="review", verbose_name=_("finding")
    )
    root_cause = models.TextField(_("root cause"))
    countermeasure = models.TextField(_("countermeasure"))
    lesson = models.TextField(_("where else it applies"))
    notified_dealers = models.ManyToManyField(
        Dealer, blank=True, related_name="+", verbose_name=_("dealers told")
    )
    notified_regions = models.ManyToManyField(
        Region, blank=True, related_name="+", verbose_name=_("regions told")
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"))
    before_value = models.FloatField(_("before"), null=True, blank=True)
    after_value = models.FloatField(_("after"), null=True, blank=True)
    after_month = models.CharField(_("measured in"), max_length=7, blank=True)

    class Meta:
        verbose_name = _("review (复盘)")
        verbose_name_plural = _("reviews (复盘)")

    def __str__(self) -> str:
        return f"{self.finding_id} {self.closed_at:%Y-%m-%d}"


class AnalysisRun(models.Model):
    """One detector's run over one month: when, how long, how many findings (or its error).
    The nightly run fans out one task per detector; the findings pages show the last night's."""

    month = models.CharField(_("month"), max_length=7)
    kind = models.CharField(_("kind"), max_length=20, choices=FindingKind.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, verbose_name=_("seconds"))
    found = models.PositiveIntegerField(_("findings"), default=0)
    new = models.PositiveIntegerField(_("new findings"), default=0)
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        ordering = ["-started_at", "kind"]
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        indexes = [models.Index(fields=["month", "kind", "started_at"], name="analysis_run_month_kind")]

    def __str__(self) -> str:
        return f"{self.month} {self.kind} {self.started_at:%Y-%m-%d %H:%M}"
