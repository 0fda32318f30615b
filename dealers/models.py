"""Regions, dealers, users with their role, and the audit trail."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import HQ_ROLES, MANAGER_ROLES, DealerStatus, Role
from .scoping import DealerQuerySet

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
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    dealer = models.ForeignKey(Dealer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
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

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    text = models.CharField(_("text"), max_length=500)
    url = models.CharField(_("link"), max_length=300, blank=True)
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
