"""The notification channels page and group robots; included at account/channels/ as "channels"."""

from django.urls import path

from . import views_channels as views

app_name = "channels"
urlpatterns = [
    path("", views.channels, name="index"),
    path("robots/new/", views.robot_new, name="robot_new"),
    path("robots/<int:pk>/", views.robot_edit, name="robot_edit"),
    path("robots/<int:pk>/active/", views.robot_toggle, name="robot_toggle"),
    path("robots/<int:pk>/test/", views.robot_test, name="robot_test"),
]
