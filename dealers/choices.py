from django.db import models
from django.utils.translation import gettext_lazy as _


class DealerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ admin")
    HQ_MANAGER = "hq_manager", _("HQ manager")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    DEALER_USER = "dealer_user", _("Dealer user")


HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER})
MANAGER_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER})
