"""Customer voice: survey responses (imported from a vendor or given in the portal's own form —
the same record), templates, one-time invitations, integrity flags, hot-alert cases and
follow-up calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from assessments.models import Complaint, Provenance, RepairOrder
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from .choices import CallOutcome, FlagKind, FlagStatus, TemplateStatus
from .rules import questions_problems
from .tokens import token_for


def score_1_5(verbose: str, required: bool = False) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        verbose,
        null=not required,
        blank=not required,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


class SurveyResponse(Provenance):
    """One customer's answer about one visit. Natural key: (dealer, response_id). Feeds csat and nps."""

    class Source(models.TextChoices):
        IMPORT = "import", _("Imported")
        PORTAL = "portal", _("Portal form")

    response_id = models.CharField(_("response id"), max_length=40)
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="survey_responses", verbose_name=_("dealer")
    )
    repair_order = models.ForeignKey(
        RepairOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
        verbose_name=_("repair order"),
    )
    responded_at = models.DateTimeField(_("responded at"))
    overall = score_1_5(_("overall"), required=True)
    reception = score_1_5(_("reception"))
    diagnosis = score_1_5(_("diagnosis"))
    repair_quality = score_1_5(_("repair quality"))
    attitude = score_1_5(_("attitude"))
    timeliness = score_1_5(_("timeliness"))
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend"), null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    comment = models.TextField(_("comment"), blank=True)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    excluded = models.BooleanField(_("excluded"), default=False)
    excluded_reason = models.TextField(_("reason for exclusion"), blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("excluded by"),
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-responded_at"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        # Keyed per dealer (docs/data-keys.md); the id first so the index serves it alone too.
        constraints = [
            models.UniqueConstraint(fields=["response_id", "dealer"], name="uniq_survey_response_id_dealer")
        ]
        indexes = [models.Index(fields=["responded_at", "dealer"], name="survey_responded_dealer")]

    def __str__(self) -> str:
        return self.response_id


class SurveyTemplate(models.Model):
    """A versioned questionnaire in Chinese and English. New invitations use the latest published one.

    A published version is never edited; HQ admins change a survey by publishing a new
    version of the same code. `questions` lists {"field", "text_zh", "text_en", "required"}
    where field names a SurveyResponse answer (rules.QUESTION_FIELDS).
    """

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    questions = models.JSONField(_("questions"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="uniq_survey_template_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def is_published(self) -> bool:
        return self.status == TemplateStatus.PUBLISHED

    def clean(self) -> None:
        problems = questions_problems(self.questions)
        if problems:
            raise ValidationError({"questions": problems})

    def title_for(self, language: str) -> str:
        return self.title_en if language.startswith("en") else self.title_zh

    def intro_for(self, language: str) -> str:
        return self.intro_en if language.startswith("en") else self.intro_zh

    def questions_for(self, language: str) -> list[Question]:
        key = "text_en" if language.startswith("en") else "text_zh"
        return [Question(q["field"], q[key], bool(q.get("required", False))) for q in self.questions]


@dataclass(frozen=True)
class Question:
    """One question of a template as shown in one language."""

    field: str
    text: str
    required: bool

    @property
    def kind(self) -> str:
        return {"nps": "nps", "comment": "text"}.get(self.field, "score")


class SurveyInvitation(models.Model):
    """A one-time link to the survey for the customer of one closed repair order.

    Only the token's hash and the nonce it is derived from are stored (surveys.tokens).
    """

    repair_order = models.OneToOneField(
        RepairOrder,
        on_delete=models.CASCADE,
        related_name="survey_invitation",
        verbose_name=_("repair order"),
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="survey_invitations", verbose_name=_("dealer")
    )
    template = models.ForeignKey(
        SurveyTemplate, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("template")
    )
    token_nonce = models.CharField(max_length=64, editable=False, verbose_name=_("token nonce"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False, verbose_name=_("token hash"))
    created_at = models.DateTimeField(_("created at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    response = models.OneToOneField(
        SurveyResponse,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
        verbose_name=_("response"),
    )
    device_fingerprint = models.CharField(_("device fingerprint"), max_length=64, blank=True, db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [models.Index(fields=["dealer", "created_at"], name="invitation_dealer_created")]

    def __str__(self) -> str:
        return f"{self.repair_order_id} ({self.created_at:%Y-%m-%d})"

    @property
    def token(self) -> str:
        return token_for(self.token_nonce)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    def state(self, now: datetime) -> str:
        if self.answered_at is not None:
            return "answered"
        return "expired" if self.is_expired(now) else "waiting"


class FlagQuerySet(ScopedQuerySet):
    dealer_path = "response__dealer"


class ResponseFlag(models.Model):
    """A reason to doubt a response, for HQ to review: keep it, or exclude the response."""

    response = models.ForeignKey(
        SurveyResponse, on_delete=models.CASCADE, related_name="flags", verbose_name=_("response")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=FlagKind.choices)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    resolved_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("resolved by"),
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("response flag")
        verbose_name_plural = _("response flags")
        constraints = [models.UniqueConstraint(fields=["response", "kind"], name="uniq_flag_response_kind")]
        indexes = [models.Index(fields=["status", "created_at"], name="flag_status_created")]

    def __str__(self) -> str:
        return f"{self.response_id} {self.kind}"

    def describe(self) -> str:
        """The flag in words, in the reader's language. `detail` holds only the data: the other
        response ids of a duplicate, or how many top scores form the pattern."""
        if self.kind == FlagKind.DUPLICATE:
            return gettext("Same repair order as %(others)s") % {"others": self.detail}
        if self.kind == FlagKind.BURST:
            return gettext("%(count)s top scores within 10 minutes at this dealer") % {"count": self.detail}
        return gettext("%(count)s top scores from this device within 30 days") % {"count": self.detail}


class HotAlertCase(models.Model):
    """A case opened at once for a very unhappy customer; closed only with a resolution."""

    response = models.OneToOneField(
        SurveyResponse, on_delete=models.CASCADE, related_name="hot_alert", verbose_name=_("survey response")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="hot_alerts", verbose_name=_("dealer")
    )
    opened_at = models.DateTimeField(_("opened at"))
    contacted_at = models.DateTimeField(_("customer contacted at"), null=True, blank=True)
    contact_note = models.TextField(_("contact note"), blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("contacted by"),
    )
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    # 过程所有者: the one person answerable for this item until it is done (workbench.services).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["opened_at", "id"]
        verbose_name = _("hot alert case")
        verbose_name_plural = _("hot alert cases")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closed_at__isnull=True) | ~models.Q(resolution=""),
                name="hot_alert_closed_with_resolution",
            )
        ]
        indexes = [
            models.Index(fields=["closed_at", "opened_at"], name="hot_alert_open_age"),
            models.Index(fields=["dealer", "opened_at"], name="hot_alert_dealer_opened"),
        ]

    def __str__(self) -> str:
        return f"HA-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class FollowUpCall(models.Model):
    """A call-centre call (回访) to the customer of a repair order, and what came of it."""

    repair_order = models.ForeignKey(
        RepairOrder, on_delete=models.CASCADE, related_name="followup_calls", verbose_name=_("repair order")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="followup_calls", verbose_name=_("dealer")
    )
    called_at = models.DateTimeField(_("called at"))
    called_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("called by"),
    )
    outcome = models.CharField(_("outcome"), max_length=14, choices=CallOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    complaint = models.OneToOneField(
        Complaint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="followup_call",
        verbose_name=_("complaint"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-called_at", "-id"]
        verbose_name = _("follow-up call")
        verbose_name_plural = _("follow-up calls")
        indexes = [models.Index(fields=["dealer", "called_at"], name="followup_dealer_called")]

    def __str__(self) -> str:
        return f"{self.repair_order_id} {self.outcome}"
