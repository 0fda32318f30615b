"""Forms of the roster pages. They validate input; the services write."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CertificationLevel, TechnicianRole

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TechnicianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    role = forms.ChoiceField(label=_("Role"), choices=TechnicianRole.choices)
    hire_date = forms.DateField(label=_("Hire date"), widget=DATE_WIDGET)


class CertificationForm(forms.Form):
    name = forms.CharField(label=_("Certificate"), max_length=100)
    level = forms.ChoiceField(label=_("Level"), choices=CertificationLevel.choices)
    number = forms.CharField(label=_("Certificate number"), max_length=60, required=False)
    issued_on = forms.DateField(label=_("Issued on"), widget=DATE_WIDGET)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE_WIDGET)

    def clean(self) -> dict:
        data = super().clean() or {}
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", _("The expiry date cannot be before the issue date."))
        return data


class TrainingForm(forms.Form):
    course = forms.CharField(label=_("Course"), max_length=100)
    hours = forms.DecimalField(label=_("Hours"), min_value=0, max_value=1000, decimal_places=1)
    completed_on = forms.DateField(label=_("Completed on"), widget=DATE_WIDGET)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("Left on"), widget=DATE_WIDGET, initial=timezone.localdate)


class RosterImportForm(forms.Form):
    file = forms.FileField(label=_("Roster file (CSV or XLSX)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        return upload
