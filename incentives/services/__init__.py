"""Consequences of closed scorecards: proposals from rules, decisions, rectifications, appeals.

Every state change is audited (incentives/events.py). Proposals are idempotent: one action
per cause (rule or failed rectification), dealer and period. One module per topic; this
package re-exports the services so callers import them from `incentives.services`.
"""

from .actions import (
    AlreadyDecided,
    BulkOutcome,
    BulkSummary,
    action_decide,
    action_propose,
    actions_bulk_summary,
    actions_decide_bulk,
    actions_expire,
    period_closed_evaluate,
    reward_vetoed,
    rules_evaluate,
    rules_install_defaults,
    rules_proposals,
)
from .appeals import (
    KPI_RECORD_KIND,
    RecordFix,
    appeal_counted_rows,
    appeal_decide,
    appeal_file,
    appeal_window_end,
    appeal_window_open,
    corrections_for,
    time_fields_for,
)
from .common import (
    EVIDENCE_EXTENSIONS,
    EVIDENCE_MAX_BYTES,
    EVIDENCE_MAX_FILES,
    IncentiveError,
    check_evidence,
)
from .rectification import (
    interview_open,
    interview_record,
    order_kpis,
    rectification_evidence_attach,
    rectification_open,
    rectification_remeasure,
    rectification_submit_plan,
    rectification_task_add,
    rectification_task_edit,
    rectification_task_mark,
    rectification_verify,
    rectifications_flag_overdue,
)
from .vetoes import VetoError, veto_record

__all__ = [
    "AlreadyDecided",
    "BulkOutcome",
    "BulkSummary",
    "VetoError",
    "actions_bulk_summary",
    "actions_decide_bulk",
    "actions_expire",
    "reward_vetoed",
    "veto_record",
    "EVIDENCE_EXTENSIONS",
    "EVIDENCE_MAX_BYTES",
    "EVIDENCE_MAX_FILES",
    "KPI_RECORD_KIND",
    "IncentiveError",
    "RecordFix",
    "action_decide",
    "action_propose",
    "appeal_counted_rows",
    "appeal_decide",
    "appeal_file",
    "appeal_window_end",
    "appeal_window_open",
    "check_evidence",
    "interview_open",
    "interview_record",
    "order_kpis",
    "rectification_evidence_attach",
    "corrections_for",
    "rectification_open",
    "rectification_remeasure",
    "rectification_submit_plan",
    "rectification_task_add",
    "rectification_task_edit",
    "rectification_task_mark",
    "rectification_verify",
    "rectifications_flag_overdue",
    "period_closed_evaluate",
    "rules_evaluate",
    "rules_install_defaults",
    "rules_proposals",
    "time_fields_for",
]
