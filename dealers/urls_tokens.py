from django.urls import path

from . import views

app_name = "tokens"
urlpatterns = [
    path("", views.my_api_tokens, name="mine"),
    path("all/", views.all_api_tokens, name="all"),
    path("<int:pk>/revoke/", views.api_token_revoke_view, name="revoke"),
]
