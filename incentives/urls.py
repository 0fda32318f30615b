from django.urls import path

from . import views, views_appeals, views_rectification

app_name = "incentives"
urlpatterns = [
    path("", views.action_queue, name="queue"),
    path("actions/<int:pk>/decide/", views.action_decide_view, name="decide"),
    path("ledger/", views.ledger, name="ledger"),
    path("rules/", views.rule_list, name="rules"),
    path("dealers/<str:code>/", views.dealer_history, name="dealer"),
    path("dealers/<str:code>/lift-suspension/", views.action_lift_suspension, name="lift_suspension"),
    path("rectifications/<int:pk>/", views_rectification.rectification_detail, name="rectification"),
    path("appeals/", views_appeals.appeal_list, name="appeals"),
    path("appeals/new/<int:scorecard_pk>/", views_appeals.appeal_new, name="appeal_new"),
    path("appeals/<int:pk>/", views_appeals.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/evidence/", views_appeals.appeal_evidence_legacy, name="appeal_evidence_legacy"),
    path("appeals/<int:pk>/evidence/<int:file_pk>/", views_appeals.appeal_evidence, name="appeal_evidence"),
]
