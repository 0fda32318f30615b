from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "support"

urlpatterns = [
    path("", views.case_list, name="index"),
    path("export.<fmt:fmt>", views.case_list_export, name="export"),
    path("new/", views.case_new, name="new"),
    path("report/", views.report, name="report"),
    path("report/export.<fmt:fmt>", views.report_export, name="report_export"),
    path("solutions/", views.solution_search, name="solutions"),
    path("solutions/export.<fmt:fmt>", views.solution_search_export, name="solutions_export"),
    path("bulletins/", views.bulletins, name="bulletins"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/updates/", views.case_updates, name="updates"),
    path("<int:pk>/files/<int:file_pk>/", views.case_file, name="file"),
]
