"""Scheme tuning: drafts, validation next to the field, what-if preview, publish, audit trail."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from assessments.models import Scheme, Scorecard
from assessments.services.preview import scheme_preview
from assessments.services.publishing import scheme_publish
from assessments.services.recompute import period_close, period_recompute
from assessments.services.schemes import (
    SchemeError,
    scheme_as_file,
    scheme_draft_from,
    scheme_spec_of,
    scheme_update_draft,
)
from dealers.models import AuditEvent

from ..conftest import client_for
from ..factories import (
    ComplaintFactory,
    DealerFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    local,
)


def std() -> Scheme:
    return Scheme.objects.get(code="STD-2026", version=1)


def _network(count: int = 6) -> None:
    """Dealers whose data differ, so that a weight change moves ranks."""
    for i in range(count):
        dealer = DealerFactory(code=f"NW{i:03d}")
        for _ in range(12):
            RepairOrderFactory(
                dealer=dealer, closed_at=local("2026-10-12 08:00") if i % 2 else local("2026-10-14 09:00")
            )
        for j in range(12):
            SurveyResponseFactory(dealer=dealer, overall=5 if j < 12 - 2 * i else 2)
        SubmissionFactory(dealer=dealer, technicians=10, certified_technicians=4 + i)
        if i == 3:
            ComplaintFactory(dealer=dealer, severity="major")


def _draft_with_csat_weight(weight: float) -> Scheme:
    draft = scheme_draft_from(source=std())
    data = scheme_as_file(draft)
    for k in data["kpis"]:
        if k["code"] == "csat":
            k["weight"] = weight
    from assessments.kpis import BY_CODE
    from assessments.scoring.scheme_file import parse_scheme

    return scheme_update_draft(scheme=draft, spec=parse_scheme(data, BY_CODE))


@pytest.mark.django_db
def test_preview_equals_a_real_recompute_under_the_draft():
    # Given scorecards under the published scheme
    _network()
    period_recompute("2026-10")
    draft = _draft_with_csat_weight(60)
    # When the draft is previewed
    preview = scheme_preview(draft=draft, period_code="2026-10")
    published_ranks = dict(Scorecard.objects.values_list("dealer__code", "rank"))
    assert {r.dealer_code: r.published_rank for r in preview.rows} == published_ranks
    # Then publishing it and recomputing gives exactly the previewed totals, grades and ranks
    scheme_publish(scheme=draft)
    period_recompute("2026-10")
    real = {
        c.dealer.code: (c.total_score, c.grade, c.rank) for c in Scorecard.objects.select_related("dealer")
    }
    assert {r.dealer_code: (r.draft_total, r.draft_grade, r.draft_rank) for r in preview.rows} == real
    assert any(r.rank_change for r in preview.rows)


@pytest.mark.django_db
def test_preview_writes_nothing():
    _network(3)
    period_recompute("2026-10")
    before = list(Scorecard.objects.values_list("pk", "total_score", "rank"))
    scheme_preview(draft=_draft_with_csat_weight(1), period_code="2026-10")
    assert list(Scorecard.objects.values_list("pk", "total_score", "rank")) == before


@pytest.mark.django_db
def test_a_published_version_never_changes():
    with pytest.raises(SchemeError):
        scheme_update_draft(scheme=std(), spec=scheme_spec_of(std()))


@pytest.mark.django_db
def test_every_change_to_a_draft_is_audited_with_before_and_after(hq_admin):
    draft = scheme_draft_from(source=std(), actor=hq_admin)
    data = scheme_as_file(draft)
    data["min_coverage"] = 0.7
    from assessments.kpis import BY_CODE
    from assessments.scoring.scheme_file import parse_scheme

    scheme_update_draft(scheme=draft, spec=parse_scheme(data, BY_CODE), actor=hq_admin)
    event = AuditEvent.objects.get(action="scheme.changed", object_id=str(draft.pk))
    assert event.actor == hq_admin
    assert (event.before["min_coverage"], event.after["min_coverage"]) == (0.6, 0.7)


def _post_editor(client, draft: Scheme, **overrides):
    from assessments.forms_schemes import initial_for

    scheme_initial, rows = initial_for(draft)
    data = {k: "" if v is None else v for k, v in scheme_initial.items()}
    data.update(
        {
            "kpi-TOTAL_FORMS": len(rows),
            "kpi-INITIAL_FORMS": len(rows),
            "kpi-MIN_NUM_FORMS": len(rows),
            "kpi-MAX_NUM_FORMS": len(rows),
        }
    )
    for i, row in enumerate(rows):
        for key, value in row.items():
            if key == "enabled":
                if value:
                    data[f"kpi-{i}-enabled"] = "on"
            else:
                data[f"kpi-{i}-{key}"] = "" if value is None else value
    data.update(overrides)
    return client.post(reverse("schemes:edit", args=[draft.pk]), data)


@pytest.mark.django_db
def test_the_editor_puts_a_rule_violation_next_to_the_kpi(hq_admin):
    draft = scheme_draft_from(source=std())
    # kpi-8 is csat in catalogue order: floor equal to target is refused
    response = _post_editor(client_for(hq_admin), draft, **{"kpi-8-floor": "80", "kpi-8-target": "80"})
    assert response.status_code == 200
    with translation.override("zh-hans"):
        expected = translation.gettext("%(where)s: floor and target must differ.") % {"where": "kpis[csat]"}
    # The row shows the reason without the "kpis[csat]" prefix
    assert re.split(r"[:：]\s*", expected, maxsplit=1)[-1] in response.content.decode()
    assert Scheme.objects.get(pk=draft.pk).kpis.get(kpi_id="csat").floor == 60


@pytest.mark.django_db
def test_the_editor_saves_a_weight_change_and_audits_it(hq_admin):
    draft = scheme_draft_from(source=std())
    response = _post_editor(client_for(hq_admin), draft, **{"kpi-8-weight": "30"})
    assert response.status_code == 302
    assert Scheme.objects.get(pk=draft.pk).kpis.get(kpi_id="csat").weight == 30
    assert AuditEvent.objects.filter(action="scheme.changed", actor=hq_admin).exists()


@pytest.mark.django_db
def test_publish_with_recompute_changes_open_periods_only(hq_admin, django_capture_on_commit_callbacks):
    _network(4)
    period_recompute("2026-09")
    period_recompute("2026-10")
    period_close("2026-09")
    frozen = list(Scorecard.objects.filter(period__code="2026-09").values_list("pk", "total_score"))
    before_oct = set(Scorecard.objects.filter(period__code="2026-10").values_list("pk", flat=True))
    draft = _draft_with_csat_weight(50)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hq_admin).post(
            reverse("schemes:publish", args=[draft.pk]), {"effective_from": "2026-09", "recompute_open": "on"}
        )
    assert response.status_code == 302
    assert Scheme.objects.get(pk=draft.pk).is_published
    assert list(Scorecard.objects.filter(period__code="2026-09").values_list("pk", "total_score")) == frozen
    after_oct = Scorecard.objects.filter(period__code="2026-10")
    assert before_oct == set(after_oct.values_list("pk", flat=True))
    assert {c.scheme_id for c in after_oct} == {draft.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["schemes:list", "schemes:detail"])
def test_managers_read_schemes_and_dealer_users_may_not(cast, name):
    args = [std().pk] if name == "schemes:detail" else []
    url = reverse(name, args=args)
    assert client_for(cast["hq_manager"]).get(url).status_code == 200
    assert client_for(cast["regional_manager"]).get(url).status_code == 200
    assert client_for(cast["dealer_user"]).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["schemes:edit", "schemes:preview"])
def test_only_hq_admins_edit_and_preview(cast, name):
    draft = scheme_draft_from(source=std())
    url = reverse(name, args=[draft.pk])
    for role in ("hq_manager", "regional_manager", "dealer_user"):
        assert client_for(cast[role]).get(url).status_code == 403
    assert client_for(cast["hq_admin"]).get(url).status_code == 200


@pytest.mark.django_db
def test_export_then_import_gives_the_same_parameters_as_a_new_draft(hq_admin):
    client = client_for(hq_admin)
    exported = client.get(reverse("schemes:export", args=[std().pk]))
    data = json.loads(exported.content)
    assert data["code"] == "STD-2026" and len(data["kpis"]) == 15
    upload = SimpleUploadedFile("std.json", exported.content, content_type="application/json")
    response = client.post(reverse("schemes:import"), {"file": upload})
    assert response.status_code == 302
    loaded = Scheme.objects.get(code="STD-2026", version=2)
    assert not loaded.is_published and scheme_as_file(loaded) == scheme_as_file(std())


@pytest.mark.django_db
def test_importing_a_bad_scheme_file_lists_every_problem(hq_admin):
    bad = b'{"code": "X", "effective_from": "2026-13", "min_coverage": 2, "grade_bands": [], "kpis": []}'
    response = client_for(hq_admin).post(
        reverse("schemes:import"), {"file": SimpleUploadedFile("x.json", bad)}
    )
    body = response.content.decode()
    assert response.status_code == 200 and "effective_from" in body and "min_coverage" in body
    assert not Scheme.objects.filter(code="X").exists()


@pytest.mark.django_db
def test_a_scheme_wide_problem_sits_next_to_its_field_in_chinese_too(hq_admin):
    draft = scheme_draft_from(source=std())
    response = _post_editor(client_for(hq_admin), draft, deduction_cap="-1")
    form = response.context["form"]
    assert "deduction_cap" in form.errors or "deduction_per_item" in form.errors
