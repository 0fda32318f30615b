from django.urls import path

from . import views_submissions as views

app_name = "submissions"
urlpatterns = [
    path("", views.submission_queue_page, name="queue"),
    path("<str:period>/<str:code>/", views.submission_detail, name="detail"),
]
