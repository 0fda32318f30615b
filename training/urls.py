from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "training"
urlpatterns = [
    path("", views.index, name="index"),
    path("roster/", views.roster_page, name="roster"),
    path("roster/export.<fmt:fmt>", views.roster_export, name="roster_export"),
    path("roster/import/", views.roster_import_page, name="import"),
    path("technicians/new/", views.technician_new, name="technician_new"),
    path("technicians/<int:pk>/", views.technician_detail, name="technician"),
    path("technicians/<int:pk>/certifications/", views.certification_new, name="certification_new"),
    path("technicians/<int:pk>/training/", views.training_new, name="training_new"),
    path("technicians/<int:pk>/leave/", views.technician_leave, name="leave"),
    path("skills/", views.skills_page, name="skills"),
    path("skills/export.<fmt:fmt>", views.skills_export, name="skills_export"),
    path("expiring/export.<fmt:fmt>", views.expiring_export, name="expiring_export"),
]
