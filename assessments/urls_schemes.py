from django.urls import path

from . import views_schemes as views
from .exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

app_name = "schemes"
urlpatterns = [
    path("", views.scheme_list, name="list"),
    path("import/", views.scheme_import, name="import"),
    path("<int:pk>/", views.scheme_detail, name="detail"),
    path("<int:pk>/draft/", views.scheme_new_draft, name="new_draft"),
    path("<int:pk>/edit/", views.scheme_edit, name="edit"),
    path("<int:pk>/preview/", views.scheme_preview_page, name="preview"),
    path("<int:pk>/preview/export.<fmt:fmt>", views.scheme_preview_export, name="preview_export"),
    path("<int:pk>/publish/", views.scheme_publish_page, name="publish"),
    path("<int:pk>/delete/", views.scheme_delete, name="delete"),
    path("<int:pk>/export.json", views.scheme_export, name="export"),
]
