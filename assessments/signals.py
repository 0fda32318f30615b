"""Signals of the assessments app: points where apps built on it add their own step.

`period_closed` is sent by `services.recompute.period_close` inside the closing
transaction, once the period is marked closed and its comebacks frozen. Incentives
answers it by evaluating its rules (incentives/apps.py), so the proposals exist if and
only if the period is closed: a receiver that raises rolls the close back with it.

Why a signal rather than a call: incentives is built on assessments (scorecards, records,
recompute requests, appeals that correct records). When `period_close` called
`incentives.services.rules_evaluate`, the two service layers imported each other
(assessments.services → incentives.services → assessments.tasks → assessments.services),
and the loop only loaded because the call imported inside the function. With the signal
the imports run one way, incentives → assessments; the business rule stays in the
incentives service, the receiver only calls it.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with sender=Period and the keyword arguments period (Period) and actor (User | None).
period_closed = Signal()
