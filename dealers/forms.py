"""Forms of the dealers app's pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import NoticeTopic, RobotPlatform, Role
from .models import Dealer, GroupRobot, Region, User, webhook_url_validator


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. the DMS integration."),
    )


def has_group(user: User) -> bool:
    """Whether a user's notices can go to a group robot: a dealer's users and regional managers."""
    return (user.role == Role.DEALER_USER and bool(user.dealer_id)) or user.role == Role.REGIONAL_MANAGER


class NoticePreferenceForm(forms.Form):
    """A user's own channel choices."""

    email = forms.BooleanField(label=_("E-mail me my notices"), required=False)
    group_topics = forms.MultipleChoiceField(
        label=_("Also post my notices of these kinds to my group"),
        help_text=_("Only groups whose robot takes the kind receive it; unticked kinds stay in your inbox."),
        choices=NoticeTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not has_group(user):
            del self.fields["group_topics"]


OWNER_NOT_ALLOWED = _("Choose a dealer or region of yours.")


class GroupRobotForm(forms.Form):
    """Add or change a group robot. The webhook and the secret are never filled in again: left
    empty when changing a robot, they keep what is saved."""

    owner = forms.ChoiceField(label=_("Group of"))
    platform = forms.ChoiceField(label=_("Platform"), choices=RobotPlatform.choices)
    name = forms.CharField(label=_("Group name"), max_length=100, help_text=_("e.g. 售后服务群"))
    webhook_url = forms.CharField(
        label=_("Webhook address"),
        max_length=500,
        validators=[webhook_url_validator],
        help_text=_("From the group's robot settings; WeCom's holds the robot's key."),
    )
    secret = forms.CharField(
        label=_("Signing secret (DingTalk 加签)"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Starts with SEC. Leave empty for a WeCom robot or an unsigned one."),
    )
    clear_secret = forms.BooleanField(label=_("Remove the signing secret"), required=False)
    topics = forms.MultipleChoiceField(
        label=_("Notices this group receives"),
        choices=NoticeTopic.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, user: User, robot: GroupRobot | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.robot = robot
        if robot is None:
            self.fields["owner"].choices = owner_choices(user)
            del self.fields["clear_secret"]
            del self.fields["active"]
        else:
            for name in ("owner", "platform"):
                del self.fields[name]
            self.fields["webhook_url"].required = False
            self.fields["webhook_url"].help_text = _("Saved: %(url)s. Leave empty to keep it.") % {
                "url": robot.masked_url
            }
            if robot.secret:
                self.fields["secret"].help_text = _("A secret is saved. Leave empty to keep it.")
            else:
                del self.fields["clear_secret"]

    def clean_owner(self) -> Dealer | Region:
        kind, _sep, pk = self.cleaned_data["owner"].partition(":")
        owner: Dealer | Region | None = None
        if kind == "dealer" and pk.isdigit():
            owner = Dealer.objects.for_user(self.user).filter(pk=pk).first()
        elif kind == "region" and pk.isdigit():
            owner = robot_regions(self.user).filter(pk=pk).first()
        if owner is None:
            raise forms.ValidationError(OWNER_NOT_ALLOWED)
        return owner


def robot_regions(user: User) -> Any:
    """The regions whose robots a user manages: an HQ admin's all, a regional manager's own."""
    if user.role == Role.HQ_ADMIN:
        return Region.objects.all()
    if user.role == Role.REGIONAL_MANAGER:
        return user.regions.all()
    return Region.objects.none()


def owner_choices(user: User) -> list[tuple[str, Any]]:
    """The groups a user may add a robot to: their regions, then their dealers (a dealer user
    has only their own dealer)."""
    regions = [(f"region:{r.pk}", r.name) for r in robot_regions(user)]
    dealers = [(f"dealer:{d.pk}", str(d)) for d in Dealer.objects.for_user(user).only("pk", "code", "name")]
    choices: list[tuple[str, Any]] = []
    if regions:
        choices.append((_("Regions"), regions))
    if dealers:
        choices.append((_("Dealers"), dealers))
    return choices
