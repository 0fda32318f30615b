from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import ImportKind, ImportStatus


class ImportJobQuerySet(ScopedQuerySet):
    """An import belongs to its uploader's dealer (HQ imports have none: HQ only)."""

    dealer_path = "dealer"


class ImportJob(models.Model):
    """The record every import leaves: who, when, what file, what came of each row."""

    kind = models.CharField(_("kind"), max_length=20, choices=ImportKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("user")
    )
    dealer = models.ForeignKey(
        Dealer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imports",
        help_text=_("The uploader's dealer, for a dealer user's import."),
        verbose_name=_("dealer"),
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_size = models.BigIntegerField(_("size (bytes)"), default=0)
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    upload = models.FileField(_("uploaded file"), upload_to="imports/%Y/%m/", blank=True)
    partial = models.BooleanField(_("import valid rows only"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    # Uploaded through the API: a dealer user's rows then come from its DMS (RecordChannel.DMS_API).
    through_api = models.BooleanField(_("through the API"), default=False, db_default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows processed"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    errors = models.JSONField(_("row errors (first 1,000)"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    error_file = models.FileField(_("rejected rows"), upload_to="imports/errors/%Y/%m/", blank=True)
    periods_touched = models.JSONField(_("periods touched"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Set when its task reached the broker; a pending job never queued is queued by the sweep.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    # Renewed while it runs; a running job whose heartbeat stops is failed by the sweep.
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    # "host:pid" of the process running it: on one machine (SQLite) a dead process is seen at once.
    runner = models.CharField(max_length=100, blank=True, editable=False, verbose_name=_("runner"))
    duration_seconds = models.FloatField(_("duration (s)"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.file_name}"

    @property
    def progress_percent(self) -> int:
        if not self.rows_total:
            return 100 if self.finished_at else 0
        return min(100, round(100 * self.rows_done / self.rows_total))
