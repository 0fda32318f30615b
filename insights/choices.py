"""Kinds and states of findings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class FindingKind(models.TextChoices):
    """What a detector found. The family (first word of the value) groups them on the pages."""

    FAULT_RISING = "fault_rising", _("Fault code rising across the network")
    PEER_OUTLIER = "peer_outlier", _("Far from its peers on a KPI")
    TREND_BREAK = "trend_break", _("KPI breaking its own trend")
    WARRANTY_REPEAT = "warranty_repeat", _("Same vehicle and fault claimed repeatedly")
    WARRANTY_COST = "warranty_cost", _("Warranty cost per claim far above the network")
    WARRANTY_BUNCHING = "warranty_bunching", _("Warranty claims bunched before the month closes")
    ROUND_TIMES = "round_times", _("Timestamps on round minutes")
    FLAT_CYCLE = "flat_cycle", _("Repair cycle times without spread")
    SURVEY_BURST = "survey_burst", _("Surveys answered within minutes of each other")


class FindingFamily(models.TextChoices):
    QUALITY = "quality", _("Product quality")
    PERFORMANCE = "performance", _("Dealer performance")
    WARRANTY = "warranty", _("Warranty audit")
    DATA = "data", _("Data integrity")


FAMILY_OF = {
    FindingKind.FAULT_RISING: FindingFamily.QUALITY,
    FindingKind.PEER_OUTLIER: FindingFamily.PERFORMANCE,
    FindingKind.TREND_BREAK: FindingFamily.PERFORMANCE,
    FindingKind.WARRANTY_REPEAT: FindingFamily.WARRANTY,
    FindingKind.WARRANTY_COST: FindingFamily.WARRANTY,
    FindingKind.WARRANTY_BUNCHING: FindingFamily.WARRANTY,
    FindingKind.ROUND_TIMES: FindingFamily.DATA,
    FindingKind.FLAT_CYCLE: FindingFamily.DATA,
    FindingKind.SURVEY_BURST: FindingFamily.DATA,
}


class FindingStatus(models.TextChoices):
    NEW = "new", _("New: to triage")
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    CLOSED = "closed", _("Closed with a review")
