from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_kpi_table(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    """After every migrate, the KPI table (the labels pages and API read) says what the KPI
    registry says: a new KPI is one entry in its family module, with no migration of its own."""
    from .kpis import sync_catalogue
    from .models import Kpi

    sync_catalogue(Kpi, using=using)


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        post_migrate.connect(_sync_kpi_table, sender=self, dispatch_uid="assessments.sync_kpi_table")
