"""The upload form of the import pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ImportKind


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of data"), choices=ImportKind.choices)
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not user.is_hq:
            # Only HQ maintains the dealer registry.
            self.fields["kind"].choices = [c for c in ImportKind.choices if c[0] != ImportKind.DEALERS]
