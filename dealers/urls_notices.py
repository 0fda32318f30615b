"""The inbox of notices; included at notices/ with the namespace "notices"."""

from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("", views.notice_list, name="list"),
    path("read-all/", views.notice_read_all, name="read_all"),
    path("<int:pk>/", views.notice_open, name="open"),
    path("<int:pk>/read/", views.notice_toggle, name="toggle"),
]
