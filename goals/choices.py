"""Choices of goals: the group a goal is for, its kind, its comparator and a month's status."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class GroupKind(models.TextChoices):
    NETWORK = "network", _("Network")
    REGION = "region", _("Region")
    CITY_TIER = "city_tier", _("City tier")
    DEALER = "dealer", _("Dealer")


class GoalKind(models.TextChoices):
    LEVEL = "level", _("Level")
    CHANGE = "change", _("Change against a year earlier")


class Comparator(models.TextChoices):
    AT_MOST = "le", "≤"
    AT_LEAST = "ge", "≥"


class MonthStatus(models.TextChoices):
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    NO_DATA = "no_data", _("No data")
    UPCOMING = "upcoming", _("Not started")
