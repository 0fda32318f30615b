from django.db import models
from django.utils.translation import gettext_lazy as _


class Urgency(models.TextChoices):
    VOR = "vor", _("Vehicle off road")
    NORMAL = "normal", _("Vehicle drivable")


class CaseStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_DEALER = "waiting_dealer", _("Waiting for dealer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.IN_PROGRESS, CaseStatus.WAITING_DEALER)


class MessageKind(models.TextChoices):
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")  # HQ only: never shown to the dealer
    SESSION = "session", _("Remote session")
    EVENT = "event", _("Status change")
