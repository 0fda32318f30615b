from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbenchConfig(AppConfig):
    """待办: every role's to-dos in one place, and the owners (过程所有者) of open items."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "workbench"
    verbose_name = _("Workbench")
