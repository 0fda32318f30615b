from django.urls import path, register_converter

from . import views, views_closing, views_network
from .exporting import ExportFormatConverter  # noqa: F401  registers <fmt:fmt>


class PeriodConverter:
    """A period in the path: YYYY-MM."""

    regex = r"\d{4}-\d{2}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(PeriodConverter, "period")

app_name = "assessments"
urlpatterns = [
    path("overview/", views.overview, name="overview"),
    path("overview/export.<fmt:fmt>", views.overview_export, name="overview_export"),
    path("ranking/", views.ranking, name="ranking"),
    path("ranking/export.<fmt:fmt>", views.ranking_export, name="ranking_export"),
    path("ranking/kpis/export.<fmt:fmt>", views.ranking_kpis_export, name="ranking_kpis_export"),
    path("periods/<period:period>/close/", views_closing.period_close_page, name="period_close"),
    path("network/", views_network.network, name="network"),
    path("network/export.<fmt:fmt>", views_network.network_export, name="network_export"),
    path("network/drill/", views_network.network_drill_page, name="network_drill"),
    path("network/drill/export.<fmt:fmt>", views_network.network_drill_export, name="network_drill_export"),
    path("my/", views.dealer_home, name="dealer_home"),
    path("dealers/<str:code>/", views.scorecard_latest, name="scorecard_latest"),
    path("dealers/<str:code>/<period:period>/", views.scorecard, name="scorecard"),
    path(
        "dealers/<str:code>/<period:period>/export.<fmt:fmt>", views.scorecard_export, name="scorecard_export"
    ),
    path(
        "dealers/<str:code>/<period:period>/tiers/export.<fmt:fmt>",
        views.scorecard_tiers_export,
        name="scorecard_tiers_export",
    ),
    path("dealers/<str:code>/<period:period>/kpi/<str:kpi_code>/", views.kpi_drilldown, name="kpi_drilldown"),
    path(
        "dealers/<str:code>/<period:period>/kpi/<str:kpi_code>/export.<fmt:fmt>",
        views.kpi_drilldown_export,
        name="kpi_drilldown_export",
    ),
]
