"""Survey templates: versioned, published by HQ admins, read by HQ."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dealers.models import AuditEvent
from surveys.choices import TemplateStatus
from surveys.services import SurveyError, template_current, template_new_version, template_publish
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_new_version_is_a_draft_until_published_and_then_used_for_new_invitations(hq_admin):
    current = template_current()
    draft = template_new_version(current)
    assert (draft.code, draft.version, draft.status) == (
        current.code,
        current.version + 1,
        TemplateStatus.DRAFT,
    )
    assert template_current() == current

    template_publish(draft, actor=hq_admin)

    assert template_current() == draft
    assert AuditEvent.objects.get(action="survey_template.published").actor == hq_admin


def test_a_draft_with_bad_questions_is_not_published(hq_admin):
    draft = template_new_version(template_current())
    draft.questions = [q for q in draft.questions if q["field"] != "overall"]
    draft.save()

    with pytest.raises(SurveyError):
        template_publish(draft, actor=hq_admin)


def test_a_published_template_cannot_be_published_again(hq_admin):
    with pytest.raises(SurveyError):
        template_publish(template_current(), actor=hq_admin)


def test_hq_reads_the_templates_and_their_questions_in_both_languages(hq_manager):
    client = client_for(hq_manager)

    listing = client.get(reverse("surveys:templates"))
    detail = client.get(reverse("surveys:template_detail", args=[template_current().pk]))

    assert listing.status_code == 200 and b"CSAT-STD" in listing.content
    assert "总体而言" in detail.content.decode() and "Overall, how satisfied" in detail.content.decode()


def test_hq_admins_publish_from_the_admin_site(hq_admin):
    draft = template_new_version(template_current())

    client_for(hq_admin).post(
        reverse("admin:surveys_surveytemplate_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )

    draft.refresh_from_db()
    assert draft.status == TemplateStatus.PUBLISHED


def test_a_published_template_is_read_only_in_the_admin(hq_admin):
    page = client_for(hq_admin).get(
        reverse("admin:surveys_surveytemplate_change", args=[template_current().pk])
    )

    assert page.status_code == 200
    assert b'name="title_zh"' not in page.content
