"""Incentive rules, the actions they propose, rectification orders, appeals and the ledger."""

from .actions import MONEY, IncentiveAction, IncentiveRule, LedgerEntry
from .appeals import Appeal
from .rectification import EvidenceQuerySet, RectificationEvidence, RectificationOrder
from .vetoes import VetoEvidence

__all__ = [
    "MONEY",
    "Appeal",
    "EvidenceQuerySet",
    "IncentiveAction",
    "IncentiveRule",
    "LedgerEntry",
    "RectificationEvidence",
    "RectificationOrder",
    "VetoEvidence",
]
