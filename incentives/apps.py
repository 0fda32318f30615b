from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("Incentives")

    def ready(self) -> None:
        from assessments.signals import period_closed

        from .services import period_closed_evaluate

        # Closing a period evaluates the incentive rules in its transaction (assessments/signals.py says why).
        period_closed.connect(period_closed_evaluate, dispatch_uid="incentives.rules_on_close")
