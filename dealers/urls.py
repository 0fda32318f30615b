from django.urls import path

from . import views

app_name = "dealers"
urlpatterns = [
    path("", views.dealer_list, name="list"),
    path("<str:code>/", views.dealer_detail, name="detail"),
]
