from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "dealers"
urlpatterns = [
    path("", views.dealer_list, name="list"),
    path("export.<fmt:fmt>", views.dealer_list_export, name="list_export"),
    path("<str:code>/", views.dealer_detail, name="detail"),
    path("<str:code>/export.<fmt:fmt>", views.dealer_detail_export, name="detail_export"),
]
