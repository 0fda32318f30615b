from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import Urgency


class CaseForm(forms.Form):
    vin = forms.CharField(label=_("VIN"), min_length=17, max_length=17)
    fault_code = forms.CharField(label=_("Fault code"), max_length=20, required=False)
    mileage = forms.IntegerField(label=_("Mileage (km)"), min_value=0, max_value=2_000_000, required=False)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    symptom = forms.CharField(label=_("Symptom"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    tried = forms.CharField(
        label=_("Already tried"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False
    )


class SessionForm(forms.Form):
    held_at = forms.DateTimeField(
        label=_("Held at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    minutes = forms.IntegerField(label=_("Minutes"), min_value=0, max_value=600, initial=30)
    attendees = forms.CharField(label=_("Dealer attendees"), max_length=200, required=False)
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
