"""Forms of findings. They validate input; the services check the rules and write."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Region, User

from .models import Finding
from .services import owner_choices

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CODES = re.compile(r"[A-Za-z0-9_-]+")


class OpenForm(forms.Form):
    """Open a finding: its owner (过程所有者) and the day it is due."""

    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none())
    due_date = forms.DateField(label=_("Due"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, finding: Finding, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"due_date": timezone.localdate() + timezone.timedelta(days=14)})
        super().__init__(*args, **kwargs)
        field = self.fields["owner"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = owner_choices(finding)
        field.label_from_instance = lambda u: f"{u.display_name} · {u.get_role_display()}"  # type: ignore[method-assign]


class DismissForm(forms.Form):
    reason = forms.CharField(label=_("Why it needs no action"), widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(forms.Form):
    """The 复盘 that closes a finding, and who else learns from it (举一反三)."""

    root_cause = forms.CharField(label=_("Root cause"), widget=forms.Textarea(attrs={"rows": 3}))
    countermeasure = forms.CharField(label=_("Countermeasure"), widget=forms.Textarea(attrs={"rows": 3}))
    lesson = forms.CharField(
        label=_("Where else it applies (举一反三)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the dealers and regions picked below, without naming this dealer."),
    )
    suggested = forms.ModelMultipleChoiceField(
        label=_("Dealers to tell"),
        queryset=Dealer.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    codes = forms.CharField(
        label=_("More dealers, by code"),
        required=False,
        help_text=_("Dealer codes separated by spaces or commas."),
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions to tell"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, user: User, suggested: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        suggested_field = self.fields["suggested"]
        regions_field = self.fields["regions"]
        assert isinstance(suggested_field, forms.ModelMultipleChoiceField)
        assert isinstance(regions_field, forms.ModelMultipleChoiceField)
        suggested_field.queryset = suggested
        suggested_field.label_from_instance = lambda d: f"{d.code} {d.name}"  # type: ignore[method-assign]
        if user.is_hq:
            regions_field.queryset = Region.objects.order_by("name")
        elif user.is_manager:
            regions_field.queryset = user.regions.order_by("name")
        else:
            # A dealer user sees no other dealer, so there is no one else for them to pick:
            # HQ or the region's manager passes a dealer's lesson on.
            for name in ("suggested", "codes", "regions"):
                del self.fields[name]
            self.fields["lesson"].help_text = _(
                "Kept with the finding; HQ or your regional manager may pass it on to other dealers."
            )

    def clean_codes(self) -> list[Dealer]:
        if "codes" not in self.fields:
            return []
        codes = {c.upper() for c in CODES.findall(self.cleaned_data.get("codes") or "")}
        if not codes:
            return []
        found = {d.code.upper(): d for d in Dealer.objects.for_user(self.user).filter(code__in=codes)}
        missing = sorted(codes - set(found))
        if missing:
            raise forms.ValidationError(
                _("No dealer you see has the code %(codes)s.") % {"codes": ", ".join(missing)}
            )
        return list(found.values())

    def dealers(self) -> list[Dealer]:
        chosen = {d.pk: d for d in self.cleaned_data.get("suggested") or []}
        for d in self.cleaned_data.get("codes") or []:
            chosen.setdefault(d.pk, d)
        return list(chosen.values())
