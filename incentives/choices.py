from django.db import models
from django.utils.translation import gettext_lazy as _


class ConditionKind(models.TextChoices):
    TOP_PERCENT = "top_percent", _("In the top N % (national or regional)")
    RANK_AT_MOST = "rank_at_most", _("Rank at most N (national or regional)")
    GRADE = "grade", _("Grade in a set, N months running")
    KPI_VALUE = "kpi_value", _("A KPI's value beyond a limit, N months running")
    KPI_SCORE = "kpi_score", _("A KPI's score beyond a limit, N months running")
    VETO = "veto", _("Veto (一票否决) recorded")


class ActionType(models.TextChoices):
    BONUS = "bonus", _("Bonus")
    HONOUR = "honour", _("Honour")
    INTERVIEW = "interview", _("Interview (约谈)")
    RECTIFICATION = "rectification", _("Rectification order (整改)")
    SUSPENSION = "suspension", _("Suspension of authorisation (暂停授权)")
    LIFT_SUSPENSION = "lift_suspension", _("Lift the suspension")


class ActionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    # Left undecided longer than INCENTIVE_PROPOSAL_MAX_AGE_DAYS: a rule may propose it again.
    EXPIRED = "expired", _("Expired")


# Actions that reward a dealer: a veto for the dealer and month blocks every one of them.
REWARD_TYPES = frozenset({ActionType.BONUS, ActionType.HONOUR})


class RectificationStatus(models.TextChoices):
    OPEN = "open", _("Open, awaiting the dealer's plan")
    PLAN_SUBMITTED = "plan_submitted", _("Plan submitted, awaiting verification")
    PASSED = "passed", _("Verified and closed")
    FAILED = "failed", _("Failed verification")


class AppealStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class CorrectionKind(models.TextChoices):
    NONE = "", _("No data correction")
    EXCLUDE_COMPLAINT = "exclude_complaint", _("Void a complaint wrongly attributed")
    EXCLUDE_SURVEY = "exclude_survey", _("Exclude a survey response")
