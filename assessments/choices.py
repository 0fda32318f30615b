from django.db import models
from django.utils.translation import gettext_lazy as _


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class RepairType(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    REPAIR = "repair", _("Repair")
    WARRANTY = "warranty", _("Warranty")
    ACCIDENT = "accident", _("Accident")


REPAIR_TYPES_FOR_REPAIR_KPIS = (RepairType.REPAIR, RepairType.WARRANTY)


class ComplaintCategory(models.TextChoices):
    QUALITY = "quality", _("Quality")
    ATTITUDE = "attitude", _("Attitude")
    TIMELINESS = "timeliness", _("Timeliness")
    PRICE = "price", _("Price")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    NORMAL = "normal", _("Normal")
    MAJOR = "major", _("Major")


class SubmissionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")


class ImportKind(models.TextChoices):
    DEALERS = "dealers", _("Dealers")
    REPAIR_ORDERS = "repair_orders", _("Repair orders")
    COMPLAINTS = "complaints", _("Complaints")
    SURVEY_RESPONSES = "survey_responses", _("Survey responses")
    PARTS_ORDERS = "parts_orders", _("Parts orders")
    SUBMISSIONS = "submissions", _("Monthly submissions")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    PREVIEWED = "previewed", _("Previewed (dry run)")
    SUCCEEDED = "succeeded", _("Imported")
    PARTIAL = "partial", _("Imported, some rows rejected")
    REJECTED = "rejected", _("Rejected, nothing written")
    FAILED = "failed", _("Failed")


class Tier(models.TextChoices):
    BASE = "base", _("Base")
    PROCESS = "process", _("Process")
    RESULT = "result", _("Result")


class Dimension(models.TextChoices):
    QUALITY = "quality", _("Service quality")
    EFFICIENCY = "efficiency", _("Service efficiency")
    SATISFACTION = "satisfaction", _("Customer satisfaction")
    COST = "cost", _("Cost control")
    OPERATIONS = "operations", _("Operations")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class ScoringMethod(models.TextChoices):
    THRESHOLD = "threshold", _("Threshold")
    RELATIVE = "relative", _("Relative (rank)")


class SchemeStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ScorecardStatus(models.TextChoices):
    SCORED = "scored", _("Scored")
    INSUFFICIENT_DATA = "insufficient_data", _("Insufficient data")


class ScoreRunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    # Its data changed while it ran, or it lost its lease: it wrote nothing; another run follows.
    SUPERSEDED = "superseded", _("Superseded")


class RecordChannel(models.TextChoices):
    """Through which channel a service record reached the portal (its provenance).

    Only the dealer's own channels (its uploads and its DMS through the API) may be changed
    by the dealer; everything else is read-only to it (docs/data-keys.md).
    """

    LEGACY = "legacy", _("Before provenance was recorded")
    CUSTOMER = "customer", _("Customer's survey link")
    CALL_CENTRE = "call_centre", _("Call centre")
    HQ_IMPORT = "hq_import", _("HQ import")
    DEALER_IMPORT = "dealer_import", _("Dealer import")
    DMS_API = "dms_api", _("Dealer's DMS (API)")
    SYSTEM = "system", _("HQ portal or system")


# The channels a dealer owns: rows that came through them are the dealer's to change.
DEALER_CHANNELS = frozenset({RecordChannel.DEALER_IMPORT, RecordChannel.DMS_API})


class Grouping(models.TextChoices):
    """The groups of dealers a KPI is pooled over (scoring.md → network, regional and group figures)."""

    NETWORK = "network", _("network")
    REGION = "region", _("region")
    CITY_TIER = "city_tier", _("city tier")
    PEER = "peer", _("peer group")
