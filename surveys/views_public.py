"""The customer's survey page: /s/<token>/ — no account, made for a phone, answers once.

This is the only customer-facing page of the portal, so it is kept apart from the staff
pages. An unknown and an expired token get the same polite 404 page, so the page never
says whether a token exists. CSRF protection applies as everywhere.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from .forms import SurveyAnswerForm
from .models import SurveyInvitation
from .services import AlreadyAnswered, InvitationUnavailable, invitation_answer, invitation_find
from .tokens import device_fingerprint


def _unavailable(request: HttpRequest) -> HttpResponse:
    return render(request, "surveys/public_unavailable.html", status=404)


def _answered(request: HttpRequest, invitation: SurveyInvitation, *, just_now: bool) -> HttpResponse:
    return render(request, "surveys/public_answered.html", {"invitation": invitation, "just_now": just_now})


def _client_ip(request: HttpRequest) -> str:
    # The proxy in front of the portal sets REMOTE_ADDR to the client (see deployment notes).
    return request.META.get("REMOTE_ADDR", "")


@login_not_required
@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def survey_answer(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = invitation_find(token)
    except InvitationUnavailable:
        return _unavailable(request)
    if invitation.answered_at is not None:
        return _answered(request, invitation, just_now=request.GET.get("thanks") == "1")
    language = get_language() or "zh-hans"
    template = invitation.template
    form = SurveyAnswerForm(request.POST or None, questions=template.questions_for(language))
    if request.method == "POST" and form.is_valid():
        fingerprint = device_fingerprint(_client_ip(request), request.META.get("HTTP_USER_AGENT", ""))
        try:
            invitation_answer(invitation, form.answers(), fingerprint=fingerprint)
        except AlreadyAnswered:
            return _answered(request, invitation, just_now=False)
        except InvitationUnavailable:
            return _unavailable(request)
        return redirect(f"{request.path}?thanks=1")
    context = {
        "invitation": invitation,
        "title": template.title_for(language),
        "intro": template.intro_for(language),
        "form": form,
    }
    return render(request, "surveys/public_form.html", context)
