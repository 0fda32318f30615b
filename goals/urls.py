from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "goals"
urlpatterns = [
    path("", views.goal_list, name="list"),
    path("export.<fmt:fmt>", views.goal_list_export, name="list_export"),
    path("new/", views.goal_new, name="new"),
    path("<int:pk>/", views.goal_detail, name="detail"),
    path("<int:pk>/edit/", views.goal_edit, name="edit"),
    path("<int:pk>/export.<fmt:fmt>", views.goal_export, name="export"),
    path("<int:pk>/versions/export.<fmt:fmt>", views.goal_versions_export, name="versions_export"),
]
