"""Every API v1 route is registered here. tests/api/test_isolation.py fails for a route it does not cover."""

from rest_framework.routers import DefaultRouter

from assessments.api import views as assessments
from dealers.api import views as dealers
from goals.api import views as goals
from incentives.api import views as incentives
from insights.api import views as insights
from support.api import views as support
from surveys.api import views as surveys
from training.api import views as training

router = DefaultRouter()
router.register("regions", dealers.RegionViewSet, basename="region")
router.register("dealers", dealers.DealerViewSet, basename="dealer")
router.register("users", dealers.UserViewSet, basename="user")
router.register("kpis", assessments.KpiViewSet, basename="kpi")
router.register("schemes", assessments.SchemeViewSet, basename="scheme")
router.register("periods", assessments.PeriodViewSet, basename="period")
router.register("scorecards", assessments.ScorecardViewSet, basename="scorecard")
router.register("repair-orders", assessments.RepairOrderViewSet, basename="repairorder")
router.register("complaints", assessments.ComplaintViewSet, basename="complaint")
router.register("parts-orders", assessments.PartsOrderViewSet, basename="partsorder")
router.register("survey-responses", surveys.SurveyResponseViewSet, basename="surveyresponse")
router.register("submissions", assessments.SubmissionViewSet, basename="submission")
router.register("imports", assessments.ImportJobViewSet, basename="importjob")
router.register("incentive-rules", incentives.IncentiveRuleViewSet, basename="incentiverule")
router.register("incentive-actions", incentives.IncentiveActionViewSet, basename="incentiveaction")
router.register("ledger", incentives.LedgerEntryViewSet, basename="ledgerentry")
router.register("rectifications", incentives.RectificationOrderViewSet, basename="rectification")
router.register("appeals", incentives.AppealViewSet, basename="appeal")
router.register("technicians", training.TechnicianViewSet, basename="technician")
router.register("group-figures", assessments.GroupFigureViewSet, basename="groupfigure")
router.register("support-cases", support.SupportCaseViewSet, basename="supportcase")
router.register("goals", goals.GoalViewSet, basename="goal")
router.register("findings", insights.FindingViewSet, basename="finding")

app_name = "api"
urlpatterns = router.urls
