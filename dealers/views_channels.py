"""The notification channels page (消息渠道): a user's own choices (e-mail, which notices also go
to their group), and the WeCom / DingTalk group robots of their dealer or regions for those
who manage them — a dealer's users their dealer's, a regional manager their regions' (and their
dealers'), an HQ admin every robot. Reached from the user menu."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from .choices import NoticeTopic, Role
from .forms import GroupRobotForm, NoticePreferenceForm, has_group
from .http import AuthenticatedHttpRequest
from .models import GroupRobot, NoticePreference, RobotDelivery, User
from .permissions import EVERY_ROLE, role_required
from .services import group_robot_add, group_robot_change, group_robot_test, notice_preference_save

# Who manages group robots (each within their scope: dealers.models.GroupRobotQuerySet).
ROBOT_ROLES = (Role.HQ_ADMIN, Role.REGIONAL_MANAGER, Role.DEALER_USER)
RECENT_DELIVERIES = 20

CHOICES_SAVED = _("Your notification choices are saved.")
ROBOT_ADDED = _("The group robot “%(name)s” is added.")
ROBOT_SAVED = _("The group robot “%(name)s” is saved.")
ROBOT_DEACTIVATED = _("The group robot “%(name)s” is off: it receives no notices until turned on again.")
ROBOT_ACTIVATED = _("The group robot “%(name)s” is on again.")
TEST_QUEUED = _("A test message to “%(name)s” is on its way; its delivery shows below.")


def may_manage_robots(user: User) -> bool:
    return user.role in ROBOT_ROLES and (user.role != Role.DEALER_USER or bool(user.dealer_id))


@never_cache
@role_required(*EVERY_ROLE)
@require_http_methods(["GET", "POST"])
def channels(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's channel choices and, for those who manage them, their group robots."""
    user = request.user
    preference = NoticePreference.objects.filter(user=user).first() or NoticePreference(user=user)
    initial = {
        "email": preference.email,
        "group_topics": [t for t in NoticeTopic.values if preference.to_group(t)],
    }
    form = NoticePreferenceForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        notice_preference_save(
            user=user,
            email=form.cleaned_data["email"],
            group_topics=form.cleaned_data.get("group_topics", []),
        )
        messages.success(request, CHOICES_SAVED)
        return redirect("channels:index")
    context = {"form": form, "has_group": has_group(user), "manages": may_manage_robots(user)}
    if context["manages"]:
        robots = GroupRobot.objects.for_user(user).select_related("dealer", "region")
        context["robots"] = robots
        context["deliveries"] = RobotDelivery.objects.filter(robot__in=robots).select_related("robot")[
            :RECENT_DELIVERIES
        ]
    return render(request, "dealers/channels.html", context)


@never_cache
@role_required(*ROBOT_ROLES)
@require_http_methods(["GET", "POST"])
def robot_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = GroupRobotForm(request.POST or None, user=request.user, initial={"topics": NoticeTopic.values})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        robot = group_robot_add(
            actor=request.user,
            owner=data["owner"],
            platform=data["platform"],
            name=data["name"],
            webhook_url=data["webhook_url"],
            secret=data["secret"],
            topics=data["topics"],
        )
        messages.success(request, ROBOT_ADDED % {"name": robot.name})
        return redirect("channels:index")
    return render(request, "dealers/robot_form.html", {"form": form, "robot": None})


@never_cache
@role_required(*ROBOT_ROLES)
@require_http_methods(["GET", "POST"])
def robot_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    robot = get_object_or_404(GroupRobot.objects.for_user(request.user), pk=pk)
    initial = {"name": robot.name, "topics": robot.topics, "active": robot.active}
    form = GroupRobotForm(request.POST or None, user=request.user, robot=robot, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        group_robot_change(
            robot,
            actor=request.user,
            name=data["name"],
            topics=data["topics"],
            active=data["active"],
            webhook_url=data["webhook_url"],
            secret=data["secret"],
            clear_secret=data.get("clear_secret", False),
        )
        messages.success(request, ROBOT_SAVED % {"name": robot.name})
        return redirect("channels:index")
    return render(request, "dealers/robot_form.html", {"form": form, "robot": robot})


@role_required(*ROBOT_ROLES)
@require_POST
def robot_toggle(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Turn a robot off (kept with its deliveries) or on again."""
    robot = get_object_or_404(GroupRobot.objects.for_user(request.user), pk=pk)
    group_robot_change(
        robot,
        actor=request.user,
        name=robot.name,
        topics=robot.topics,
        active=request.POST.get("active") == "1",
    )
    done = ROBOT_ACTIVATED if robot.active else ROBOT_DEACTIVATED
    messages.success(request, done % {"name": robot.name})
    return redirect("channels:index")


@role_required(*ROBOT_ROLES)
@require_POST
def robot_test(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    robot = get_object_or_404(GroupRobot.objects.for_user(request.user), pk=pk)
    group_robot_test(robot, actor=request.user)
    messages.success(request, TEST_QUEUED % {"name": robot.name})
    return redirect("channels:index")
