from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views, views_appeals, views_rectification

app_name = "incentives"
urlpatterns = [
    path("", views.action_queue, name="queue"),
    path("export.<fmt:fmt>", views.action_queue_export, name="queue_export"),
    path("actions/<int:pk>/decide/", views.action_decide_view, name="decide"),
    path("actions/decide/", views.actions_decide_bulk_view, name="decide_bulk"),
    path("dealers/<str:code>/veto/<str:period>/", views.veto_new, name="veto_new"),
    path("vetoes/evidence/<int:pk>/", views.veto_evidence_file, name="veto_evidence"),
    path("ledger/", views.ledger, name="ledger"),
    path("ledger/export.<fmt:fmt>", views.ledger_export, name="ledger_export"),
    path("ledger/months/export.<fmt:fmt>", views.ledger_months_export, name="ledger_months_export"),
    path("ledger/regions/export.<fmt:fmt>", views.ledger_regions_export, name="ledger_regions_export"),
    path("rules/", views.rule_list, name="rules"),
    path("dealers/<str:code>/", views.dealer_history, name="dealer"),
    path("dealers/<str:code>/export.<fmt:fmt>", views.dealer_history_export, name="dealer_export"),
    path("dealers/<str:code>/lift-suspension/", views.action_lift_suspension, name="lift_suspension"),
    path("rectifications/", views_rectification.rectification_list, name="rectifications"),
    path(
        "rectifications/export.<fmt:fmt>",
        views_rectification.rectification_list_export,
        name="rectifications_export",
    ),
    path("rectifications/<int:pk>/", views_rectification.rectification_detail, name="rectification"),
    path(
        "rectifications/<int:pk>/tasks/",
        views_rectification.rectification_task_new,
        name="rectification_task_new",
    ),
    path(
        "rectifications/<int:pk>/tasks/<int:task_pk>/",
        views_rectification.rectification_task_update,
        name="rectification_task",
    ),
    path(
        "rectifications/<int:pk>/evidence/",
        views_rectification.rectification_evidence_upload,
        name="rectification_evidence_upload",
    ),
    path(
        "rectifications/evidence/<int:pk>/",
        views_rectification.rectification_evidence_file,
        name="rectification_evidence",
    ),
    path("interviews/<int:pk>/", views_rectification.interview_detail, name="interview"),
    path("appeals/", views_appeals.appeal_list, name="appeals"),
    path("appeals/export.<fmt:fmt>", views_appeals.appeal_list_export, name="appeals_export"),
    path("appeals/new/<int:scorecard_pk>/", views_appeals.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", views_appeals.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/evidence/", views_appeals.appeal_evidence_legacy, name="appeal_evidence_legacy"),
    path("appeals/<int:pk>/evidence/<int:file_pk>/", views_appeals.appeal_evidence, name="appeal_evidence"),
]
