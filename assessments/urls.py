from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("ranking/", views.ranking, name="ranking"),
    path("my/", views.dealer_home, name="dealer_home"),
    path("imports/", views.import_list, name="import_list"),
]
