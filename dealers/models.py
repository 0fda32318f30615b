"""Regions, dealers, users with their role, the audit trail, notices and their group robots."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, URLValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .choices import HQ_ROLES, MANAGER_ROLES, DealerStatus, DeliveryStatus, NoticeTopic, RobotPlatform, Role
from .scoping import DealerQuerySet, ScopedQuerySet

dealer_code_validator = RegexValidator(r"^[A-Za-z0-9-]{1,20}$", _("1–20 letters, digits or '-'."))


class Region(models.Model):
    """A sales region (大区), e.g. 华东. Created on first use by a dealer import."""

    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Dealer(models.Model):
    """An authorised service dealer: the unit that gets a scorecard each month."""

    code = models.CharField(_("dealer code"), max_length=20, unique=True, validators=[dealer_code_validator])
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="dealers", verbose_name=_("region")
    )
    province = models.CharField(_("province"), max_length=50)
    city = models.CharField(_("city"), max_length=50)
    city_tier = models.PositiveSmallIntegerField(
        _("city tier"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DealerStatus.choices, default=DealerStatus.ACTIVE
    )
    opened_on = models.DateField(_("opened on"), null=True, blank=True)

    objects = DealerQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        indexes = [models.Index(fields=["region", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class User(AbstractUser):
    """A portal user. The role decides what they may do; region or dealer decides what they see."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    dealer = models.ForeignKey(
        Dealer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
        verbose_name=_("dealer"),
    )
    regions = models.ManyToManyField(Region, blank=True, related_name="managers", verbose_name=_("regions"))
    # 服务经理: the dealer user who answers for the dealer's unowned items (workbench).
    is_dealer_manager = models.BooleanField(_("dealer's service manager"), default=False, db_default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_hq(self) -> bool:
        return self.role in HQ_ROLES

    def get_full_name(self) -> str:
        """The name as its owner writes it: a Chinese name family name first and without a
        space (何勇), any other given name first (Anna Li). Every page, export and notice that
        names a person reads it from here."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any("\u3400" <= ch <= "\u9fff" for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

    @property
    def display_name(self) -> str:
        """The full name, or the username when there is none."""
        return self.get_full_name() or self.username

    @property
    def is_hq_admin(self) -> bool:
        return self.role == Role.HQ_ADMIN

    @property
    def is_manager(self) -> bool:
        """HQ or regional manager: may review and approve within their scope."""
        return self.role in MANAGER_ROLES

    @property
    def is_dealer_user(self) -> bool:
        return self.role == Role.DEALER_USER


class AuditEvent(models.Model):
    """Who did what to which record, with the state before and after. Written by `events.py`."""

    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    dealer = models.ForeignKey(
        Dealer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("dealer")
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"


class NoticeQuerySet(models.QuerySet):
    def unread_count(self, user: object) -> int:
        """How many of the user's own notices are unread (the inbox badge)."""
        return self.filter(user=user, read_at__isnull=True).count()


class Notice(models.Model):
    """A message to one user in the portal (reminders, decisions). E-mailed too where it matters."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("user")
    )
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
    topic = models.CharField(
        _("topic"), max_length=20, choices=NoticeTopic.choices, default=NoticeTopic.OTHER, db_default="other"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.text


class ApiToken(models.Model):
    """A named API token of a user. Only the SHA-256 of its secret is stored; the secret is shown once.

    Requests send `Authorization: Token <secret>` (dealers.api.authentication). A token works
    until it expires (`API_TOKEN_TTL_DAYS` after it was made) or is revoked, which deletes it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(_("SHA-256 of the secret"), max_length=64, unique=True, editable=False)
    # The first characters of the secret, so that its owner can tell their tokens apart.
    hint = models.CharField(_("starts with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"


# --- where notices go besides the inbox: e-mail and group robots ----------------------------

WEBHOOK_NOT_ALLOWED = _("Use an https:// address (http:// only for a test robot on this computer).")
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def webhook_url_validator(value: str) -> None:
    """A robot's webhook: https, or http to this computer only (a test stub). The platform's own
    host is not required, so that a stub or a company proxy can stand in for it."""
    URLValidator(schemes=["http", "https"])(value)
    parts = urlsplit(value)
    if parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOCAL_HOSTS):
        return
    raise ValidationError(WEBHOOK_NOT_ALLOWED, code="webhook_scheme")


def mask_webhook_url(url: str) -> str:
    """The webhook with its key hidden (WeCom `key=`, DingTalk `access_token=`): every query
    value keeps its first 4 characters. Pages and the audit trail show only this."""
    parts = urlsplit(url)
    query = "&".join(f"{name}={value[:4]}…" for name, value in parse_qsl(parts.query))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class GroupRobotQuerySet(ScopedQuerySet):
    """Who sees a group robot: HQ every robot; a regional manager their regions' robots and
    those of their regions' dealers; a dealer user their own dealer's robots."""

    dealer_path = "dealer"

    def for_user(self, user: Any) -> GroupRobotQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in HQ_ROLES:
            return self.all()
        if user.role == Role.REGIONAL_MANAGER:
            regions = user.regions.all()
            return self.filter(Q(region__in=regions) | Q(dealer__region__in=regions))
        if user.role == Role.DEALER_USER and user.dealer_id:
            return self.filter(dealer_id=user.dealer_id)
        return self.none()


class GroupRobot(models.Model):
    """A WeCom (企业微信) or DingTalk (钉钉) group robot of one dealer or one region: notices of
    the topics it takes are posted to its group, one message per batch of notices.

    WeCom robots carry their key in the webhook; DingTalk robots may sign (加签) with `secret`.
    Neither the full webhook nor the secret is shown again once saved (`masked_url`).
    """

    platform = models.CharField(_("platform"), max_length=10, choices=RobotPlatform.choices)
    name = models.CharField(_("name"), max_length=100, help_text=_("The group's name, e.g. 售后服务群."))
    webhook_url = models.CharField(_("webhook address"), max_length=500, validators=[webhook_url_validator])
    secret = models.CharField(_("signing secret"), max_length=200, blank=True)
    dealer = models.ForeignKey(
        Dealer,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="group_robots",
        verbose_name=_("dealer"),
    )
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="group_robots",
        verbose_name=_("region"),
    )
    topics = models.JSONField(_("topics"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = GroupRobotQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        constraints = [
            models.CheckConstraint(
                condition=Q(dealer__isnull=False, region__isnull=True)
                | Q(dealer__isnull=True, region__isnull=False),
                name="group_robot_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def owner(self) -> Dealer | Region | None:
        return self.dealer or self.region

    @property
    def masked_url(self) -> str:
        return mask_webhook_url(self.webhook_url)

    def takes(self, topic: str) -> bool:
        return topic in (self.topics or [])

    @property
    def topic_labels(self) -> list[str]:
        return [str(label) for value, label in NoticeTopic.choices if value in (self.topics or [])]


class RobotDelivery(models.Model):
    """One message to one group robot: what was sent, how often it was tried, how it ended.

    Made when a batch of notices is sent; the delivery task posts it and retries with backoff
    while the platform is busy or down. Failed ones stay here for the robot's managers to see."""

    robot = models.ForeignKey(
        GroupRobot, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("robot")
    )
    topic = models.CharField(_("topic"), max_length=20, choices=NoticeTopic.choices)
    title = models.CharField(_("title"), max_length=100)
    text = models.TextField(_("text"))
    url = models.CharField(_("link"), max_length=500, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("robot delivery")
        verbose_name_plural = _("robot deliveries")

    def __str__(self) -> str:
        return f"{self.robot_id} {self.status} {self.title}"


class NoticePreference(models.Model):
    """A user's channel choices: whether notices are e-mailed, and which topics of their
    notices also go to their dealer's or region's group robots (all of them unless muted)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notice_preference",
        verbose_name=_("user"),
    )
    email = models.BooleanField(_("e-mail my notices"), default=True)
    group_muted_topics = models.JSONField(_("topics kept out of the group"), default=list, blank=True)

    class Meta:
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")

    def __str__(self) -> str:
        return str(self.user_id)

    def to_group(self, topic: str) -> bool:
        return topic not in (self.group_muted_topics or [])
