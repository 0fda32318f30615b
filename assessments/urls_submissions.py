from django.urls import path

from . import views_submissions as views
from .exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

app_name = "submissions"
urlpatterns = [
    path("", views.submission_queue_page, name="queue"),
    path("export.<fmt:fmt>", views.submission_queue_export, name="queue_export"),
    path("<str:period>/<str:code>/", views.submission_detail, name="detail"),
]
