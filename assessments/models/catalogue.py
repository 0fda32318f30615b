"""The KPI catalogue and the versioned assessment schemes."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from dealers.language import localized_name

from ..choices import Dimension, Direction, SchemeStatus, ScoringMethod, Tier


class Kpi(models.Model):
    """One KPI of the catalogue (scoring.md). Its value formula lives in code; this is its label."""

    code = models.CharField(_("code"), max_length=40, primary_key=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    dimension = models.CharField(_("dimension"), max_length=15, choices=Dimension.choices)
    unit = models.CharField(_("unit"), max_length=20)
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    definition_zh = models.TextField(_("definition (Chinese)"), blank=True)
    definition_en = models.TextField(_("definition (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0, verbose_name=_("sort order"))

    class Meta:
        ordering = ["sort_order"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPI catalogue")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "zh-hans").startswith("en") else self.name_zh

    @property
    def definition(self) -> str:
        return self.definition_en if (get_language() or "zh-hans").startswith("en") else self.definition_zh


class Scheme(models.Model):
    """A version of an assessment scheme. Published versions never change."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(
        _("name (English)"),
        max_length=200,
        blank=True,
        help_text=_("Shown to English readers; empty: the name."),
    )
    effective_from = models.CharField(_("effective from"), max_length=7, help_text="YYYY-MM")
    status = models.CharField(
        _("status"), max_length=10, choices=SchemeStatus.choices, default=SchemeStatus.DRAFT
    )
    min_coverage = models.FloatField(_("minimum coverage"))
    grade_bands = models.JSONField(_("grade bands"), help_text='[["A", 90], ["B", 80], ...]')
    deduction_per_item = models.FloatField(_("deduction per major complaint"), default=0)
    deduction_cap = models.FloatField(_("deduction cap"), default=0)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="uniq_scheme_code_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def display_name(self) -> str:
        """The scheme's name in the reader's language (`name` is the Chinese-first name)."""
        return localized_name(self.name, self.name_en)

    @property
    def is_published(self) -> bool:
        return self.status == SchemeStatus.PUBLISHED


class SchemeKpi(models.Model):
    """One KPI's parameters within a scheme version."""

    scheme = models.ForeignKey(
        Scheme, on_delete=models.CASCADE, related_name="kpis", verbose_name=_("scheme")
    )
    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="+", verbose_name=_("kpi"))
    weight = models.FloatField(_("weight"))
    method = models.CharField(
        _("method"), max_length=10, choices=ScoringMethod.choices, default=ScoringMethod.THRESHOLD
    )
    floor = models.FloatField(_("floor"), null=True, blank=True)
    target = models.FloatField(_("target"), null=True, blank=True)
    min_sample = models.PositiveIntegerField(_("minimum sample"), default=1)

    class Meta:
        verbose_name = _("scheme KPI")
        verbose_name_plural = _("scheme KPIs")
        ordering = ["kpi__sort_order"]
        constraints = [models.UniqueConstraint(fields=["scheme", "kpi"], name="uniq_scheme_kpi")]

    def __str__(self) -> str:
        return f"{self.scheme} {self.kpi_id}"
