"""Incentive rules, the actions they propose, rectification orders, appeals and the ledger."""

from .actions import MONEY, IncentiveAction, IncentiveRule, LedgerEntry
from .appeals import Appeal
from .rectification import (
    EvidenceQuerySet,
    InterviewRecord,
    RectificationEvidence,
    RectificationOrder,
    RectificationTask,
    TaskStatus,
)
from .vetoes import VetoEvidence

__all__ = [
    "MONEY",
    "Appeal",
    "EvidenceQuerySet",
    "IncentiveAction",
    "IncentiveRule",
    "InterviewRecord",
    "LedgerEntry",
    "RectificationEvidence",
    "RectificationOrder",
    "RectificationTask",
    "TaskStatus",
    "VetoEvidence",
]
