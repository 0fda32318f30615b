"""Monthly submission pages: the dealer's form and HQ's review queue. Scope via for_user only."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.http import AuthenticatedHttpRequest
from dealers.models import Dealer
from dealers.permissions import ALL_ROLES, role_required
from training.selectors import roster_comparison, roster_figures, roster_initial

from .choices import SubmissionStatus
from .exporting import export_response
from .forms_submissions import ReviewForm, SubmissionForm
from .models import MonthlySubmission, Period
from .pages.submissions import submission_history, submission_queue
from .periods import Month
from .services.submissions import (
    EDITABLE,
    SubmissionError,
    deadline_for,
    submission_approve,
    submission_return,
    submission_save_draft,
    submission_submit,
)


def _default_period() -> str:
    """The month being reported now: last month."""
    return str(Month.of(timezone.localdate()).shift(-1))


def _queue(user: Any, period: str, state: str) -> tuple[list[Any], dict[str, int]]:
    """The month's rows for the state asked for, and the count of each state (page and export)."""
    rows = submission_queue(user, period)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.state] = counts.get(row.state, 0) + 1
    counts["late"] = sum(1 for r in rows if r.late and r.state != SubmissionStatus.APPROVED)
    if state == "late":
        rows = [r for r in rows if r.late and r.state != SubmissionStatus.APPROVED]
    elif state:
        rows = [r for r in rows if r.state == state]
    return rows, counts


QUEUE_EXPORT_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Region"),
    gettext_lazy("State"),
    gettext_lazy("Late"),
    gettext_lazy("Submitted at"),
    gettext_lazy("Technicians"),
    gettext_lazy("Certified technicians"),
    gettext_lazy("Equipment total"),
    gettext_lazy("Equipment in working order"),
    gettext_lazy("Training hours"),
)


@role_required(*ALL_ROLES)
def submission_queue_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """Who reported and who is missing for the month (the queue as filtered), as CSV or XLSX; a
    dealer user, whose page lists their own reports instead, gets those."""
    if request.user.is_dealer_user:
        return _own_submissions_export(request, fmt)
    try:
        period = str(Month.parse(request.GET.get("period") or _default_period()))
    except ValueError as exc:
        raise Http404 from exc
    rows, _counts = _queue(request.user, period, request.GET.get("state", ""))
    missing = str(gettext_lazy("Missing"))

    def line(row: Any) -> list[Any]:
        s = row.submission
        return [
            period,
            row.dealer.code,
            row.dealer.name,
            row.dealer.region.name,
            s.get_status_display() if s else missing,
            _("Yes") if row.late and row.state != SubmissionStatus.APPROVED else "",
            timezone.localtime(s.submitted_at).replace(tzinfo=None) if s and s.submitted_at else None,
            s.technicians if s else None,
            s.certified_technicians if s else None,
            s.equipment_total if s else None,
            s.equipment_ok if s else None,
            s.training_hours if s else None,
        ]

    return export_response(
        (line(r) for r in rows), QUEUE_EXPORT_HEADER, fmt, f"submissions-{period}", sheet_title=period
    )


OWN_EXPORT_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("State"),
    gettext_lazy("Comment from HQ"),
    gettext_lazy("Submitted at"),
    gettext_lazy("Technicians"),
    gettext_lazy("Certified technicians"),
    gettext_lazy("Equipment total"),
    gettext_lazy("Equipment in working order"),
    gettext_lazy("Training hours"),
)


def _own_submissions(user: Any) -> Any:
    """A dealer user's own reports, the last 24 months, newest first (their page and export)."""
    return MonthlySubmission.objects.for_user(user).select_related("dealer").order_by("-period")[:24]


def _own_submissions_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The dealer's own monthly reports as their page lists them, with the figures reported."""
    rows = (
        [
            s.period,
            s.dealer.code,
            s.dealer.name,
            s.get_status_display(),
            s.review_comment,
            s.submitted_at,
            s.technicians,
            s.certified_technicians,
            s.equipment_total,
            s.equipment_ok,
            s.training_hours,
        ]
        for s in _own_submissions(request.user)
    )
    return export_response(
        rows, OWN_EXPORT_HEADER, fmt, "my-submissions", sheet_title=_("Monthly submissions")
    )


@role_required(*ALL_ROLES)
def submission_queue_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    period = request.GET.get("period") or _default_period()
    try:
        period = str(Month.parse(period))
    except ValueError as exc:
        raise Http404 from exc
    if user.is_dealer_user:
        own = _own_submissions(user)
        return render(
            request,
            "assessments/submissions/dealer_list.html",
            {"submissions": own, "current": _default_period(), "dealer": user.dealer},
        )
    state = request.GET.get("state", "")
    rows, counts = _queue(user, period, state)
    return render(
        request,
        "assessments/submissions/queue.html",
        {
            "rows": rows,
            "period": period,
            "counts": counts,
            "state": state,
            "deadline": deadline_for(period),
            "months": [str(Month.parse(period).shift(-i)) for i in range(-1, 12)],
        },
    )


@role_required(*ALL_ROLES)
def submission_detail(request: AuthenticatedHttpRequest, period: str, code: str) -> HttpResponse:
    user = request.user
    try:
        period = str(Month.parse(period))
    except ValueError as exc:
        raise Http404 from exc
    dealer = get_object_or_404(Dealer.objects.for_user(user), code=code)
    submission = MonthlySubmission.objects.for_user(user).filter(dealer=dealer, period=period).first()
    closed = Period.objects.filter(code=period, status="closed").exists()
    may_edit = user.is_dealer_user and not closed and (submission is None or submission.status in EDITABLE)
    may_review = (
        user.is_manager
        and submission is not None
        and submission.status == SubmissionStatus.SUBMITTED
        and not closed
    )
    # The technician roster's figures: the initial values of a new report, and beside each
    # count when a manager reviews one (training.selectors.roster_figures).
    roster = roster_figures(user, dealer, Month.parse(period)) if (may_edit or user.is_manager) else None
    # Pre-filled only from a roster that has technicians at month end (never a report of zeros).
    prefilled = bool(may_edit and submission is None and roster is not None and roster.technicians)
    initial = roster_initial(roster) if prefilled and roster else _initial(submission)
    form = SubmissionForm(initial=initial) if may_edit else None
    review = ReviewForm() if may_review else None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("save", "submit") and may_edit:
                form = SubmissionForm(request.POST)
                if form.is_valid():
                    submission = submission_save_draft(
                        dealer=dealer, period_code=period, data=form.to_data(), actor=user
                    )
                    if action == "submit":
                        submission_submit(submission=submission, actor=user)
                        messages.success(request, _("Submitted. HQ will review it."))
                    else:
                        messages.success(request, _("Draft saved."))
                    return redirect("submissions:detail", period=period, code=code)
            elif action in ("approve", "return") and may_review and submission is not None:
                review = ReviewForm(request.POST)
                if review.is_valid():
                    comment = review.cleaned_data["comment"]
                    if action == "approve":
                        submission_approve(submission=submission, actor=user, comment=comment)
                        messages.success(request, _("Approved. The period's scores will be recomputed."))
                    else:
                        submission_return(submission=submission, actor=user, comment=comment)
                        messages.success(request, _("Returned to the dealer with your comment."))
                    return redirect("submissions:detail", period=period, code=code)
            else:
                raise PermissionDenied
        except SubmissionError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "assessments/submissions/detail.html",
        {
            "dealer": dealer,
            "period": period,
            "submission": submission,
            "form": form,
            "review": review,
            "closed": closed,
            "deadline": deadline_for(period),
            "history": submission_history(submission) if submission else [],
            "prefilled": prefilled,
            "roster": roster_comparison(roster, submission)
            if roster and user.is_manager and submission
            else None,  # type: ignore[union-attr]
        },
    )


def _initial(submission: MonthlySubmission | None) -> dict[str, object]:
    if submission is None:
        return {}
    return {f: getattr(submission, f) for f in SubmissionForm.base_fields}
