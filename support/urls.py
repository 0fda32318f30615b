from django.urls import path

from . import views

app_name = "support"

urlpatterns = [
    path("", views.case_list, name="index"),
    path("new/", views.case_new, name="new"),
    path("solutions/", views.solution_search, name="solutions"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/updates/", views.case_updates, name="updates"),
    path("<int:pk>/files/<int:file_pk>/", views.case_file, name="file"),
]
