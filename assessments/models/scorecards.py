"""Scorecards, their KPI results, vetoes, and the runs that compute them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import ScorecardStatus, ScoreRunStatus, Tier
from .catalogue import Scheme
from .periods import Period

# A score may be missing (no valid KPI, no weight): `null=True` is written on each field, where
# django-stubs reads it to type the attribute `Decimal | None`.
SCORE = {"max_digits": 7, "decimal_places": 2}


class VetoIncident(models.Model):
    """一票否决: a verified incident recorded by an HQ manager; it sets the lowest grade."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="veto_incidents", verbose_name=_("dealer")
    )
    period = models.CharField(_("period"), max_length=7)
    title = models.CharField(_("incident"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("recorded at"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "dealer_id"]
        verbose_name = _("veto incident")
        verbose_name_plural = _("veto incidents")
        indexes = [models.Index(fields=["period", "dealer"])]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period} {self.title}"


class Scorecard(models.Model):
    """A dealer's result for one period under one scheme version. Replaced whole on recompute."""

    period = models.ForeignKey(
        Period, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("period")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("dealer")
    )
    region_name = models.CharField(_("region"), max_length=50)
    scheme = models.ForeignKey(
        Scheme, on_delete=models.PROTECT, related_name="scorecards", verbose_name=_("scheme")
    )
    status = models.CharField(_("status"), max_length=20, choices=ScorecardStatus.choices)
    total_score = models.DecimalField(_("total"), **SCORE, null=True, blank=True)
    grade = models.CharField(_("grade"), max_length=5, blank=True)
    rank = models.PositiveIntegerField(_("rank"), null=True, blank=True)
    region_rank = models.PositiveIntegerField(_("region rank"), null=True, blank=True)
    coverage = models.DecimalField(_("coverage"), max_digits=6, decimal_places=4)
    deduction = models.DecimalField(_("deduction"), **SCORE, null=True, blank=True)
    major_complaints = models.PositiveIntegerField(_("major complaints"), default=0)
    veto = models.BooleanField(_("veto"), default=False)
    veto_incident = models.ForeignKey(
        VetoIncident,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("veto incident"),
    )
    tier_base = models.DecimalField(_("base tier"), **SCORE, null=True, blank=True)
    tier_process = models.DecimalField(_("process tier"), **SCORE, null=True, blank=True)
    tier_result = models.DecimalField(_("result tier"), **SCORE, null=True, blank=True)
    data_as_of = models.DateTimeField(_("data as of"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed at"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["period", "dealer__code"]
        verbose_name = _("scorecard")
        verbose_name_plural = _("scorecards")
        constraints = [
            models.UniqueConstraint(fields=["period", "dealer"], name="uniq_scorecard_period_dealer")
        ]
        indexes = [
            models.Index(fields=["period", "rank"], name="scorecard_period_rank"),
            models.Index(fields=["dealer", "period"], name="scorecard_dealer_period"),
        ]

    def __str__(self) -> str:
        return f"{self.period_id} {self.dealer_id}"

    def tier_score(self, tier: str) -> object:
        return {Tier.BASE: self.tier_base, Tier.PROCESS: self.tier_process, Tier.RESULT: self.tier_result}[
            tier
        ]


class KpiResult(models.Model):
    """One KPI on a scorecard, with everything that explains its score."""

    scorecard = models.ForeignKey(
        Scorecard, on_delete=models.CASCADE, related_name="kpi_results", verbose_name=_("scorecard")
    )
    kpi_code = models.CharField(_("KPI"), max_length=40)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    value = models.FloatField(_("value"), null=True, blank=True, help_text=_("Full precision."))
    sample_size = models.PositiveIntegerField(_("sample size"))
    valid = models.BooleanField(_("valid"))
    weight = models.FloatField(_("weight"))
    method = models.CharField(_("method"), max_length=10)
    floor = models.FloatField(_("floor"), null=True, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)
    min_sample = models.PositiveIntegerField(_("minimum sample"))
    score = models.DecimalField(_("score"), **SCORE, null=True, blank=True)
    contribution = models.DecimalField(_("contribution"), **SCORE, null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))

    class Meta:
        ordering = ["scorecard_id", "sort_order"]
        verbose_name = _("KPI result")
        verbose_name_plural = _("KPI results")
        constraints = [models.UniqueConstraint(fields=["scorecard", "kpi_code"], name="uniq_kpiresult")]

    def __str__(self) -> str:
        return f"{self.scorecard_id} {self.kpi_code}"


class ScoreRun(models.Model):
    """One recompute of a period. Parts are computed (possibly on many workers), then merged."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="runs", verbose_name=_("period")
    )
    status = models.CharField(
        max_length=10,
        choices=ScoreRunStatus.choices,
        default=ScoreRunStatus.RUNNING,
        verbose_name=_("status"),
    )
    parts_total = models.PositiveIntegerField(default=1, verbose_name=_("parts total"))
    started_at = models.DateTimeField(auto_now_add=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    scorecards = models.PositiveIntegerField(default=0, verbose_name=_("scorecards"))
    lock_token = models.CharField(max_length=40, blank=True, verbose_name=_("lock token"))
    error = models.TextField(blank=True, verbose_name=_("error"))

    class Meta:
        verbose_name = _("score run")
        verbose_name_plural = _("score runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"run {self.pk} {self.period_id} {self.status}"


class ScoreRunPart(models.Model):
    """The KPI values of one slice of dealers, computed by one worker for one run."""

    run = models.ForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="parts", verbose_name=_("run"))
    index = models.PositiveIntegerField(verbose_name=_("index"))
    values = models.JSONField(verbose_name=_("values"))

    class Meta:
        verbose_name = _("score run part")
        verbose_name_plural = _("score run parts")
        constraints = [models.UniqueConstraint(fields=["run", "index"], name="uniq_run_part")]

    def __str__(self) -> str:
        return f"run {self.run_id} part {self.index}"


class RecomputeRequest(models.Model):
    """A durable request to recompute a month's scorecards.

    Written in the same transaction as the change that makes the scorecards stale (an
    import, an approval, an upheld appeal, a published scheme), so it is never lost with
    a broker or a worker. A run claims every request of its period when it starts and
    deletes them when its scorecards are in; a run that fails or is superseded hands
    them back. A sweep queues the periods whose requests wait.
    """

    period_code = models.CharField(max_length=7, db_index=True, verbose_name=_("period code"))
    reason = models.CharField(max_length=40, blank=True, verbose_name=_("reason"))
    requested_at = models.DateTimeField(auto_now_add=True, verbose_name=_("requested at"))
    run = models.ForeignKey(
        ScoreRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="requests",
        verbose_name=_("run"),
    )
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))

    class Meta:
        verbose_name = _("recompute request")
        verbose_name_plural = _("recompute requests")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return f"recompute {self.period_code} ({self.reason})"
