"""Closing a month from the portal: its checklist first, then a confirmed close (HQ only).

Thin: `services.closing` reads the checklist and closes; this view checks the role, the
confirmation and turns a refusal into a message in the user's language.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import HQ, role_required
from incentives.choices import ActionType

from .models import Period
from .periods import Month
from .services.closing import CloseChecklist, close_checklist, period_close_confirmed
from .services.recompute import RecomputeError
from .templatetags.portal import period_label


class CloseConfirmForm(forms.Form):
    """The second, explicit step: the manager says the checklist was read."""

    confirm = forms.BooleanField(
        required=True,
        label=gettext_lazy("I have read the checklist and want to close this month."),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you have read the checklist.")
        },
    )


@require_http_methods(["GET", "POST"])
@role_required(*HQ)  # may_close_periods: HQ closes months
def period_close_page(request: AuthenticatedHttpRequest, period: str) -> HttpResponse:
    """The month's checklist and, once it has ended and while it is open, the close button."""
    try:
        code = str(Month.parse(period))
    except ValueError as exc:
        raise Http404 from exc
    record = Period.objects.filter(code=code).select_related("closed_by").first()
    if record is None:
        raise Http404
    form = CloseConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                period_close_confirmed(code, actor=request.user)
            except RecomputeError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "%(month)s is closed: its scorecards are frozen and the incentive proposals are in the queue."
                    )
                    % {"month": period_label(code)},
                )
                return redirect("assessments:period_close", period=code)
        record.refresh_from_db()
    checklist = close_checklist(request.user, record)
    return render(
        request,
        "assessments/period_close.html",
        {"checklist": checklist, "period": record, "form": form, "action_rows": _action_rows(checklist)},
    )


def _action_rows(checklist: CloseChecklist) -> list[tuple[str, int]]:
    """The proposals closing would make, as (action name, number), in the catalogue's order."""
    counts = checklist.preview.actions
    return [(str(label), counts[value]) for value, label in ActionType.choices if counts.get(value)]
