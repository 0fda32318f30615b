"""The customer's survey link: /s/<token>/. Not namespaced, so the link stays short."""

from django.urls import path

from . import views_public

urlpatterns = [
    path("<str:token>/", views_public.survey_answer, name="survey_answer"),
]
