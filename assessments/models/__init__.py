from .catalogue import Kpi, Scheme, SchemeKpi
from .imports import ImportJob
from .periods import Period
from .provenance import Provenance, RecordChange
from .scorecards import KpiResult, Scorecard, ScoreRun, ScoreRunPart, VetoIncident
from .service_data import Complaint, MonthlySubmission, PartsOrder, RepairOrder

__all__ = [
    "Complaint",
    "ImportJob",
    "Kpi",
    "KpiResult",
    "MonthlySubmission",
    "PartsOrder",
    "Period",
    "Provenance",
    "RecordChange",
    "RepairOrder",
    "Scheme",
    "SchemeKpi",
    "ScoreRun",
    "ScoreRunPart",
    "Scorecard",
    "VetoIncident",
]
