"""Incentive rules, actions and the ledger (to come)."""
