"""Workbench pages: the to-do list, the unowned items, and handing an item to its owner."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealers.models import Notice, User
from dealers.permissions import ALL_ROLES, EVERY_ROLE, role_required
from dealers.redirects import redirect_to_next, safe_next_url

from .owners import KIND_LABELS, OWNED_MODELS, item_ref, item_url, may_assign, open_items
from .selectors import todo_count, unowned_items, workbench_todos
from .services import OwnerError, owner_assign


def _require_role(request: HttpRequest) -> None:
    if not getattr(request.user, "role", ""):
        raise PermissionDenied


@require_GET
@role_required(*EVERY_ROLE)
def workbench(request: HttpRequest) -> HttpResponse:
    """待办: what is due, overdue or waiting for the signed-in user, oldest deadline first."""
    now = timezone.now()
    todos = workbench_todos(request.user, now)
    request.workbench_todos = todos  # type: ignore[attr-defined]  # the nav badge reuses them
    overdue = sum(1 for t in todos if t.due < now)
    unread = Notice.objects.unread_count(request.user)
    return render(
        request,
        "workbench/workbench.html",
        {
            "todos": todos,
            "now": now,
            "total": todo_count(todos),
            "overdue": overdue,
            "unread_notices": unread,
        },
    )


@login_not_required
@require_GET
def counts(request: HttpRequest) -> JsonResponse:
    """The navigation's badges: open to-dos and unread notices. Fetched once per page by the script.

    Signed out (a session that ended while the page was open), it answers 401 itself instead of
    redirecting: a fetch would follow the redirect and render the sign-in page in the background,
    setting a CSRF cookie that no longer matches the sign-in form the user is looking at."""
    if not request.user.is_authenticated:
        return JsonResponse({}, status=401)
    _require_role(request)
    todos = todo_count(workbench_todos(request.user))
    unread = Notice.objects.unread_count(request.user)
    response = JsonResponse({"todos": todos, "unread": unread})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(*ALL_ROLES)
def unowned(request: HttpRequest) -> HttpResponse:
    """Open items of the user's dealer(s) without an owner, each with the form that names one."""
    rows = [
        {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "ref": item_ref(kind, item),
            "url": item_url(kind, item),
            "item": item,
        }
        for kind, item in unowned_items(request.user)
    ]
    return render(request, "workbench/unowned.html", {"rows": rows})


def _item_or_404(request: HttpRequest, kind: str, pk: int):  # noqa: ANN202
    if kind not in OWNED_MODELS:
        raise Http404
    item = open_items(kind, request.user).select_related("owner", "dealer").filter(pk=pk).first()
    if item is None:
        raise Http404
    return item


@role_required(*ALL_ROLES)
def owner_page(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Who owns one open item; those allowed hand it on here (GET shows, POST assigns)."""
    item = _item_or_404(request, kind, pk)
    if request.method == "POST":
        if not may_assign(request.user, kind, item):
            raise PermissionDenied
        owner = User.objects.filter(pk=request.POST.get("owner") or 0).first()
        if owner is None:
            messages.error(request, _("Choose who should own it."))
        else:
            try:
                changed = owner_assign(item, owner, request.user)  # type: ignore[arg-type]
            except OwnerError as exc:
                messages.error(request, str(exc))
            else:
                if changed:
                    messages.success(
                        request,
                        _("%(name)s now owns %(ref)s.")
                        % {
                            "name": owner.get_full_name() or owner.get_username(),
                            "ref": item_ref(kind, item),
                        },
                    )
        return redirect_to_next(request, request.path)
    if request.method != "GET":
        return HttpResponse(status=405)
    context = {
        "item": item,
        "kind": kind,
        "label": KIND_LABELS[kind],
        "ref": item_ref(kind, item),
        "url": item_url(kind, item),
        "owner_next": safe_next_url(request, item_url(kind, item)),
    }
    return render(request, "workbench/owner.html", context)
