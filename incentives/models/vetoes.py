"""Evidence files of a veto incident (一票否决), opened only through a scoped view."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import VetoIncident
from dealers.scoping import ScopedQuerySet

from ..files import veto_evidence_path


class VetoEvidenceQuerySet(ScopedQuerySet):
    dealer_path = "incident__dealer"


class VetoEvidence(models.Model):
    """One file that proves a veto incident; never served from a public URL."""

    incident = models.ForeignKey(
        VetoIncident, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("incident")
    )
    file = models.FileField(_("file"), upload_to=veto_evidence_path)
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    objects = VetoEvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["incident_id", "id"]
        verbose_name = _("veto evidence")
        verbose_name_plural = _("veto evidence")

    def __str__(self) -> str:
        return self.original_name
