from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "insights"
urlpatterns = [
    path("", views.finding_list, name="list"),
    path("export.<fmt:fmt>", views.finding_list_export, name="list_export"),
    path("methods/", views.methods, name="methods"),
    path("daily/", views.daily, name="daily"),
    path("daily/export.<fmt:fmt>", views.daily_export, name="daily_export"),
    path("lessons/", views.lessons, name="lessons"),
    path("lessons/export.<fmt:fmt>", views.lessons_export, name="lessons_export"),
    path("lessons/<int:pk>/", views.lesson, name="lesson"),
    path("<int:pk>/", views.finding_detail, name="detail"),
    path("<int:pk>/triage/", views.finding_triage, name="triage"),
    path("<int:pk>/close/", views.finding_close_view, name="close"),
    path("<int:pk>/records/export.<fmt:fmt>", views.finding_evidence_export, name="evidence_export"),
    path("<int:pk>/months/export.<fmt:fmt>", views.finding_months_export, name="months_export"),
    path("<int:pk>/dealers/export.<fmt:fmt>", views.finding_dealers_export, name="dealers_export"),
    path("<int:pk>/responses/export.<fmt:fmt>", views.finding_responses_export, name="responses_export"),
    path("<int:pk>/review/export.<fmt:fmt>", views.finding_before_after_export, name="before_after_export"),
]
