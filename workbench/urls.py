from django.urls import path

from . import views

app_name = "workbench"
urlpatterns = [
    path("", views.workbench, name="index"),
    path("counts/", views.counts, name="counts"),
    path("unowned/", views.unowned, name="unowned"),
    path("owner/<str:kind>/<int:pk>/", views.owner_page, name="owner"),
]
