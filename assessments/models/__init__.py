from .catalogue import Kpi, Scheme, SchemeKpi
from .freeze import ComebackSnapshot, FrozenComeback
from .groups import AVERAGE_TOTAL, GroupFigure, GroupMember
from .imports import ImportJob
from .periods import Period
from .provenance import Provenance, RecordChange
from .scorecards import KpiResult, RecomputeRequest, Scorecard, ScoreRun, ScoreRunPart, VetoIncident
from .service_data import Complaint, MonthlySubmission, PartsOrder, RepairOrder

__all__ = [
    "ComebackSnapshot",
    "Complaint",
    "FrozenComeback",
    "AVERAGE_TOTAL",
    "GroupFigure",
    "GroupMember",
    "ImportJob",
    "Kpi",
    "KpiResult",
    "MonthlySubmission",
    "PartsOrder",
    "Period",
    "RecomputeRequest",
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
