"""Choices of the technician roster."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TechnicianRole(models.TextChoices):
    TECHNICIAN = "technician", _("Technician")
    SENIOR_TECHNICIAN = "senior_technician", _("Senior technician")
    DIAGNOSTIC_TECHNICIAN = "diagnostic_technician", _("Diagnostic technician")
    BODY_PAINT_TECHNICIAN = "body_paint_technician", _("Body and paint technician")
    SERVICE_ADVISOR = "service_advisor", _("Service advisor")
    WORKSHOP_FOREMAN = "workshop_foreman", _("Workshop foreman")


# The roles the monthly report counts as technicians (data-formats.md: technicians,
# certified_technicians): the workshop's people. Service advisors are on the roster too, but
# are not technicians.
TECHNICAL_ROLES: tuple[str, ...] = (
    TechnicianRole.TECHNICIAN,
    TechnicianRole.SENIOR_TECHNICIAN,
    TechnicianRole.DIAGNOSTIC_TECHNICIAN,
    TechnicianRole.BODY_PAINT_TECHNICIAN,
    TechnicianRole.WORKSHOP_FOREMAN,
)


class CertificationLevel(models.TextChoices):
    JUNIOR = "junior", _("Junior")
    INTERMEDIATE = "intermediate", _("Intermediate")
    SENIOR = "senior", _("Senior")
    EXPERT = "expert", _("Expert")
