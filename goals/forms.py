"""The goal form. It validates input; `goal_create` / `goal_revise` check the rules and write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from assessments.kpis import CATALOGUE
from dealers.choices import MANAGER_ROLES
from dealers.models import Dealer, Region, User

from .choices import Comparator, GoalKind, GroupKind
from .models import Goal
from .services import GoalTerms

MONTH_WIDGET = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"})


def _kpi_choices() -> list[tuple[str, str]]:
    english = (get_language() or "zh-hans").startswith("en")
    return [(k.code, f"{k.name_en if english else k.name_zh} ({k.unit})") for k in CATALOGUE]


class GoalForm(forms.Form):
    kpi_code = forms.ChoiceField(label=_("KPI"), choices=_kpi_choices)
    group_kind = forms.ChoiceField(label=_("Group"), choices=GroupKind.choices)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.order_by("name"), required=False
    )
    city_tier = forms.TypedChoiceField(
        label=_("City tier"),
        choices=[("", "—")] + [(t, str(t)) for t in range(1, 6)],
        coerce=int,
        required=False,
        empty_value=None,
    )
    dealer = forms.CharField(label=_("Dealer code"), max_length=20, required=False)
    month_from = forms.RegexField(label=_("From month"), regex=r"^\d{4}-\d{2}$", widget=MONTH_WIDGET)
    month_to = forms.RegexField(label=_("To month"), regex=r"^\d{4}-\d{2}$", widget=MONTH_WIDGET)
    kind = forms.ChoiceField(label=_("Kind"), choices=GoalKind.choices)
    comparator = forms.ChoiceField(
        label=_("Comparator"),
        choices=[("", _("From the KPI's direction"))] + list(Comparator.choices),
        required=False,
    )
    target = forms.FloatField(label=_("Target (level goal)"), required=False)
    change_pct = forms.FloatField(
        label=_("Change in per cent against a year earlier (change goal)"), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.filter(role__in=MANAGER_ROLES, is_active=True).order_by("username"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_dealer(self) -> Dealer | None:
        code = (self.cleaned_data.get("dealer") or "").strip()
        if not code:
            return None
        dealer = Dealer.objects.filter(code=code).first()
        if dealer is None:
            raise forms.ValidationError(_("No dealer has this code."))
        return dealer

    def terms(self) -> GoalTerms:
        return GoalTerms.of(self.cleaned_data)

    @staticmethod
    def initial_of(goal: Goal) -> dict[str, Any]:
        return {
            "kpi_code": goal.kpi_code,
            "group_kind": goal.group_kind,
            "region": goal.region_id,
            "city_tier": goal.city_tier,
            "dealer": goal.dealer.code if goal.dealer_id else "",
            "month_from": goal.month_from,
            "month_to": goal.month_to,
            "kind": goal.kind,
            "comparator": goal.comparator,
            "target": goal.target,
            "change_pct": goal.change_pct,
            "owner": goal.owner_id,
            "note": goal.note,
        }
