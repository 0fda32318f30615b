from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save
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
        # A dealer's name, status, region or tier shows in cached pages: a change makes them stale.
        from .pages.cache import dealer_changed

        for name, signal in (("save", post_save), ("delete", post_delete)):
            for model in ("dealers.Dealer", "dealers.Region"):
                signal.connect(dealer_changed, sender=model, dispatch_uid=f"page_cache.{name}.{model}")
