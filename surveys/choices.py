from django.db import models
from django.utils.translation import gettext_lazy as _


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class CallOutcome(models.TextChoices):
    REACHED = "reached", _("Reached")
    NOT_REACHED = "not_reached", _("Not reached")
    SATISFIED = "satisfied", _("Satisfied")
    PROBLEM_FOUND = "problem_found", _("Problem found")


class FlagKind(models.TextChoices):
    DUPLICATE = "duplicate", _("Repair order answered more than once")
    SAME_DEVICE = "same_device", _("Many top scores from one device")
    BURST = "burst", _("Many top scores within minutes at one dealer")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("To review")
    KEPT = "kept", _("Reviewed, kept")
    EXCLUDED = "excluded", _("Response excluded")


class BoardItemKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    HOT_ALERT = "hot_alert", _("Hot alert")
    TECH_CASE = "tech_case", _("Technical case")
