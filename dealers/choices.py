from django.db import models
from django.utils.translation import gettext_lazy as _


class DealerStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    TERMINATED = "terminated", _("Terminated")


class Role(models.TextChoices):
    HQ_ADMIN = "hq_admin", _("HQ admin")
    HQ_MANAGER = "hq_manager", _("HQ manager")
    REGIONAL_MANAGER = "regional_manager", _("Regional manager")
    DEALER_USER = "dealer_user", _("Dealer user")
    # 技术专家: answers dealers' technical cases (support); sees nothing of scoring, money or sanctions.
    TECH_EXPERT = "tech_expert", _("HQ technical expert")


HQ_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER})
MANAGER_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER})
# The roles of the assessment portal (scores, reports, money, sanctions): every role but the
# technical expert, whose whole portal is technical support.
ASSESSMENT_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER, Role.DEALER_USER})
# Who works technical-support cases: dealers open them, experts answer, managers follow them.
SUPPORT_ROLES = frozenset({*ASSESSMENT_ROLES, Role.TECH_EXPERT})

# What a scoped queryset holds, for `dealers.scoping`: assessment data by default; technical
# support cases are the one area a technical expert sees (for every dealer).
AREA_ASSESSMENT = "assessment"
AREA_SUPPORT = "support"


class NoticeTopic(models.TextChoices):
    """What a notice is about: users and group robots choose by it where notices go."""

    WORKBENCH = "workbench", _("Workbench items")
    DAILY_CLEARING = "daily_clearing", _("Morning daily-clearing reminder")
    GOAL_AT_RISK = "goal_at_risk", _("Goals at risk")
    HOT_ALERT = "hot_alert", _("Hot alerts")
    SUPPORT_CASE = "support_case", _("Technical cases")
    OTHER = "other", _("Other notices")


class RobotPlatform(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot")
    DINGTALK = "dingtalk", _("DingTalk group robot")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
