"""Import pages; included at assessments/imports/ with the namespace "imports"."""

from django.urls import path

from . import views_imports as views
from .exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

app_name = "imports"
urlpatterns = [
    path("", views.import_list, name="list"),
    path("export.<fmt:fmt>", views.import_list_export, name="list_export"),
    path("upload/", views.import_upload, name="upload"),
    path("template/<str:kind>.<fmt:fmt>", views.import_template, name="template"),
    path("<int:pk>/", views.import_detail, name="detail"),
    path("<int:pk>/confirm/", views.import_confirm, name="confirm"),
    path("<int:pk>/progress/", views.import_progress, name="progress"),
    path("<int:pk>/errors.csv", views.import_errors_csv, name="errors_csv"),
    path("<int:pk>/rejected-rows.csv", views.import_error_file, name="error_file"),
    path("<int:pk>/original/", views.import_original_file, name="original"),
]
