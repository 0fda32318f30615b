"""Forms of customer voice: the customer's survey, and the staff's actions on cases, flags and calls."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.choices import ComplaintCategory

from . import messages as msg
from .choices import CallOutcome
from .models import Question
from .sms import normalise_mobile

SCORE_CHOICES = [(str(i), str(i)) for i in range(1, 6)]
NPS_CHOICES = [(str(i), str(i)) for i in range(0, 11)]
COMMENT_MAX = 2000


class SurveyAnswerForm(forms.Form):
    """The questions of one template, in the customer's language. Scores are 1–5, NPS 0–10."""

    def __init__(self, *args: Any, questions: list[Question], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[question.field] = self._field_for(question)

    @staticmethod
    def _field_for(question: Question) -> forms.Field:
        if question.kind == "text":
            return forms.CharField(
                label=question.text,
                required=question.required,
                max_length=COMMENT_MAX,
                widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX}),
                error_messages={"required": msg.ANSWER_REQUIRED},
            )
        nps = question.kind == "nps"
        return forms.TypedChoiceField(
            label=question.text,
            required=question.required,
            choices=NPS_CHOICES if nps else SCORE_CHOICES,
            coerce=int,
            empty_value=None,
            widget=forms.RadioSelect,
            error_messages={
                "required": msg.ANSWER_REQUIRED,
                "invalid_choice": msg.NPS_RANGE if nps else msg.SCORE_RANGE,
            },
        )

    def answers(self) -> dict[str, Any]:
        return {name: value for name, value in self.cleaned_data.items()}


class ExcludeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": msg.REASON_REQUIRED},
    )


class KeepFlagForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=1000, required=False)


class ContactForm(forms.Form):
    contacted_at = forms.DateTimeField(
        label=_("Contacted at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(
        label=_("What the customer said, and what was agreed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": msg.CONTACT_NOTE_REQUIRED},
    )

    def clean_contacted_at(self) -> Any:
        value = self.cleaned_data["contacted_at"]
        if value > timezone.now() + timedelta(minutes=5):
            raise forms.ValidationError(msg.CONTACT_IN_FUTURE)
        return value


class CloseForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": msg.RESOLUTION_REQUIRED},
    )


class CallForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect)
    category = forms.ChoiceField(
        label=_("Complaint category (when a problem was found)"),
        choices=[("", "—"), *ComplaintCategory.choices],
        required=False,
    )
    note = forms.CharField(
        label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("outcome") == CallOutcome.PROBLEM_FOUND and not data.get("category"):
            self.add_error("category", msg.CATEGORY_REQUIRED)
        return data


class RepairOrderLookupForm(forms.Form):
    dealer = forms.CharField(label=_("Dealer code"), max_length=20)
    ro_number = forms.CharField(label=_("RO number"), max_length=40)


#: At most this many lines in one paste: a day's invitations of a large region.
SMS_MAX_LINES = 5000


class InvitationTextForm(forms.Form):
    """Lines of dealer code, RO number and the customer's mobile, pasted from Excel (tab
    separated) or typed with commas; every line must be good, or nothing is sent."""

    lines = forms.CharField(
        label=_("Dealer code, RO number, mobile — one repair order a line"),
        widget=forms.Textarea(attrs={"rows": 6, "placeholder": "GL0001\tRO20261101001\t13800138000"}),
        help_text=_("Paste three columns from Excel, or separate them with commas. At most 5,000 lines."),
    )

    def clean_lines(self) -> list[tuple[int, str, str, str]]:
        """(line number, dealer code, RO number, mobile) of every non-empty line."""
        rows: list[tuple[int, str, str, str]] = []
        problems: list[str] = []
        for number, line in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not line.strip():
                continue
            cells = [c.strip() for c in re.split(r"[\t,，]", line.strip())]
            cells = [c for c in cells if c]
            if len(cells) != 3:
                problems.append(str(msg.SMS_LINE_COLUMNS % {"line": number}))
                continue
            mobile = normalise_mobile(cells[2])
            if not mobile:
                problems.append(str(msg.SMS_LINE_MOBILE % {"line": number, "value": cells[2]}))
                continue
            rows.append((number, cells[0].upper(), cells[1], mobile))
        if len(rows) + len(problems) > SMS_MAX_LINES:
            raise forms.ValidationError(msg.SMS_TOO_MANY_LINES % {"max": SMS_MAX_LINES})
        if problems:
            raise forms.ValidationError(
                problems[:20]
                + ([str(msg.SMS_MORE_PROBLEMS % {"count": len(problems) - 20})] if len(problems) > 20 else [])
            )
        if not rows:
            raise forms.ValidationError(msg.SMS_NO_LINES)
        return rows
