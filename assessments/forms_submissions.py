from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.submissions import SubmissionData


class SubmissionForm(forms.Form):
    """The dealer's monthly capacity report, checked field by field (data-formats.md → submissions)."""

    technicians = forms.IntegerField(label=_("Technicians"), min_value=0, max_value=100000)
    certified_technicians = forms.IntegerField(
        label=_("Certified technicians"), min_value=0, max_value=100000
    )
    equipment_total = forms.IntegerField(label=_("Equipment total"), min_value=0, max_value=100000)
    equipment_ok = forms.IntegerField(label=_("Equipment in working order"), min_value=0, max_value=100000)
    training_hours = forms.DecimalField(
        label=_("Training hours"), min_value=Decimal(0), max_digits=10, decimal_places=2
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tech, cert = data.get("technicians"), data.get("certified_technicians")
        if tech is not None and cert is not None and cert > tech:
            self.add_error("certified_technicians", _("Cannot be more than the technicians."))
        total, ok = data.get("equipment_total"), data.get("equipment_ok")
        if total is not None and ok is not None and ok > total:
            self.add_error("equipment_ok", _("Cannot be more than the equipment total."))
        return data

    def to_data(self) -> SubmissionData:
        return SubmissionData(**{name: self.cleaned_data[name] for name in self.fields})


class ReviewForm(forms.Form):
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
