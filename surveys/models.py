"""Survey responses: imported from a vendor or given in the portal's own form (the same record)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import RepairOrder
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet


def score_1_5(verbose: str, required: bool = False) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose, null=not required, blank=not required, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )


class SurveyResponse(models.Model):
    """One customer's answer about one visit. Natural key: response_id. Feeds csat and nps."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported")
        PORTAL = "portal", _("Portal form")

    response_id = models.CharField(_("response id"), max_length=40, unique=True)
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="survey_responses")
    repair_order = models.ForeignKey(
        RepairOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="survey_responses"
    )
    responded_at = models.DateTimeField(_("responded at"))
    overall = score_1_5(_("overall"), required=True)
    reception = score_1_5(_("reception"))
    diagnosis = score_1_5(_("diagnosis"))
    repair_quality = score_1_5(_("repair quality"))
    attitude = score_1_5(_("attitude"))
    timeliness = score_1_5(_("timeliness"))
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    excluded = models.BooleanField(_("excluded"), default=False)
    excluded_reason = models.TextField(_("reason for exclusion"), blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-responded_at"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["responded_at", "dealer"], name="survey_responded_dealer")]

    def __str__(self) -> str:
        return self.response_id
