from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import PeriodStatus
from ..periods import Month


class Period(models.Model):
    """An assessment month. Open periods are recomputed; a closed one is frozen for good."""

    code = models.CharField(_("period"), max_length=7, unique=True, help_text="YYYY-MM")
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    scorecards_published_at = models.DateTimeField(_("scorecards first published"), null=True, blank=True)
    # A lease, not a flag: a recompute lost with its worker frees the period when the lease ends.
    recompute_lock_token = models.CharField(
        max_length=40, blank=True, editable=False, verbose_name=_("recompute lock token")
    )
    recompute_lock_until = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("recompute lock until")
    )

    class Meta:
        ordering = ["-code"]
        verbose_name = _("period")
        verbose_name_plural = _("periods")

    def __str__(self) -> str:
        return self.code

    @property
    def month(self) -> Month:
        return Month.parse(self.code)

    @property
    def is_closed(self) -> bool:
        return self.status == PeriodStatus.CLOSED
