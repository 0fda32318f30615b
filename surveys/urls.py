from django.urls import path

from assessments.exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>

from . import views

app_name = "surveys"
urlpatterns = [
    path("", views.index, name="index"),
    path("board/", views.board, name="board"),
    path("board/export.<fmt:fmt>", views.board_export, name="board_export"),
    path("results/", views.results, name="results"),
    path("results/export.<fmt:fmt>", views.results_export, name="results_export"),
    path("results/factors/export.<fmt:fmt>", views.factors_export, name="factors_export"),
    path("results/<str:code>/", views.dealer_results, name="dealer_results"),
    path("results/<str:code>/export.<fmt:fmt>", views.dealer_results_export, name="dealer_results_export"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/export.<fmt:fmt>", views.alerts_export, name="alerts_export"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert_detail"),
    path("alerts/<int:pk>/contact/", views.alert_contact, name="alert_contact"),
    path("alerts/<int:pk>/close/", views.alert_close, name="alert_close"),
    path("invitations/", views.invitation_list, name="invitations"),
    path("invitations/export.<fmt:fmt>", views.invitation_export, name="invitations_export"),
    path("invitations/text/", views.invitation_text, name="invitations_text"),
    path("review/", views.review, name="review"),
    path("review/export.<fmt:fmt>", views.review_export, name="review_export"),
    path("responses/<int:pk>/exclude/", views.response_exclude_view, name="response_exclude"),
    path("flags/<int:pk>/keep/", views.flag_keep_view, name="flag_keep"),
    path("calls/", views.calls, name="calls"),
    path("calls/export.<fmt:fmt>", views.calls_export, name="calls_export"),
    path("calls/candidates/export.<fmt:fmt>", views.candidates_export, name="candidates_export"),
    path("calls/ro/<int:pk>/", views.call_record, name="call_record"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_detail, name="template_detail"),
]
