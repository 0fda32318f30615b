"""Changing a service record outside an import: stamped with who, when and how, and kept in
the change history with its before and after (docs/data-keys.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import timezone

from assessments.models import Provenance, RecordChange
from assessments.models.provenance import history_value


def records_change(
    records: Sequence[Provenance],
    changes: dict[str, Any],
    *,
    user: Any,
    channel: str,
    now: datetime | None = None,
) -> int:
    """Set `changes` on each record (locked by the caller) and keep the before and after.

    Only the fields that really change are saved and kept; a record already as asked is
    left alone. Returns the number of records changed.
    """
    moment = (now or timezone.now()).replace(microsecond=0)
    user_id = user.pk if user is not None and user.pk else None
    history: list[RecordChange] = []
    for record in records:
        fields = [f for f, value in changes.items() if getattr(record, f) != value]
        if not fields:
            continue
        history.append(
            RecordChange(
                model=record._meta.label_lower,
                record_id=record.pk,
                dealer_id=record.dealer_id,
                changed_at=moment,
                user_id=user_id,
                channel=channel,
                before={f: history_value(getattr(record, f)) for f in fields},
                after={f: history_value(changes[f]) for f in fields},
            )
        )
        for f in fields:
            setattr(record, f, changes[f])
        record.changed_at, record.changed_by_id, record.changed_channel = moment, user_id, channel
        record.save(update_fields=[*fields, "changed_at", "changed_by", "changed_channel"])
    RecordChange.objects.bulk_create(history)
    return len(history)
