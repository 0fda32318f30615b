"""Scheme versions: create and edit drafts, and find the one that applies to a period.

Loading and publishing are in `publishing.py`: publishing queues recomputes, and the
recompute reads schemes from here, so this module stays below the recompute.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from dealers.models import User

from .. import events
from ..choices import SchemeStatus
from ..kpis import BY_CODE
from ..models import Kpi, Scheme, SchemeKpi
from ..periods import Month
from ..scoring.engine import KpiParams, SchemeParams
from ..scoring.scheme_file import SchemeSpec, parse_scheme


class SchemeError(Exception):
    """A scheme operation that cannot be done; the message is for the user."""


def scheme_create(*, spec: SchemeSpec, actor: User | None = None) -> Scheme:
    """Save a checked scheme as the next version of its code, as a draft."""
    with transaction.atomic():
        latest = Scheme.objects.select_for_update().filter(code=spec.code).aggregate(v=Max("version"))["v"]
        scheme = Scheme.objects.create(
            code=spec.code,
            version=(latest or 0) + 1,
            name=spec.name,
            name_en=spec.name_en,
            effective_from=spec.effective_from,
            min_coverage=spec.min_coverage,
            grade_bands=[[g, m] for g, m in spec.grade_bands],
            deduction_per_item=spec.deduction_per_item,
            deduction_cap=spec.deduction_cap,
            created_by=actor if actor and actor.pk else None,
        )
        kpis = {k.code: k for k in Kpi.objects.all()}
        SchemeKpi.objects.bulk_create(
            SchemeKpi(
                scheme=scheme,
                kpi=kpis[k.code],
                weight=k.weight,
                method=k.method,
                floor=k.floor,
                target=k.target,
                min_sample=k.min_sample,
            )
            for k in spec.kpis
        )
        events.scheme_created(actor=actor, scheme=scheme, after=spec.as_json())
    return scheme


def scheme_for_period(month: Month) -> Scheme:
    """The published version with the latest effective_from ≤ the period; of equals, the last published."""
    scheme = (
        Scheme.objects.filter(status=SchemeStatus.PUBLISHED, effective_from__lte=str(month))
        .order_by("-effective_from", "-published_at", "-id")
        .first()
    )
    if scheme is None:
        raise SchemeError(
            _("No published assessment scheme applies to %(period)s. Load and publish one first.")
            % {"period": month}
        )
    return scheme


def scheme_params(scheme: Scheme) -> SchemeParams:
    """The engine's view of a scheme version."""
    entries = scheme.kpis.select_related("kpi").order_by("kpi__sort_order")
    return SchemeParams(
        min_coverage=scheme.min_coverage,
        grade_bands=tuple((str(g), float(m)) for g, m in scheme.grade_bands),
        deduction_per_item=scheme.deduction_per_item,
        deduction_cap=scheme.deduction_cap,
        kpis=tuple(
            KpiParams(
                code=e.kpi_id,
                tier=BY_CODE[e.kpi_id].tier,
                direction=BY_CODE[e.kpi_id].direction,
                weight=e.weight,
                method=e.method,
                floor=e.floor,
                target=e.target,
                min_sample=e.min_sample,
            )
            for e in entries
        ),
    )


def scheme_as_file(scheme: Scheme) -> dict[str, Any]:
    """The scheme in the file form of scoring.md (for export)."""
    kpis = []
    for e in scheme.kpis.select_related("kpi").order_by("kpi__sort_order"):
        entry: dict[str, Any] = {"code": e.kpi_id, "weight": e.weight, "method": e.method}
        if e.floor is not None:
            entry["floor"] = e.floor
        if e.target is not None:
            entry["target"] = e.target
        entry["min_sample"] = e.min_sample
        kpis.append(entry)
    out: dict[str, Any] = {
        "code": scheme.code,
        "name": scheme.name,
        "effective_from": scheme.effective_from,
        "min_coverage": scheme.min_coverage,
        "grade_bands": scheme.grade_bands,
        "major_complaint_deduction": {"per_item": scheme.deduction_per_item, "cap": scheme.deduction_cap},
        "kpis": kpis,
    }
    if scheme.name_en:
        out["name_en"] = scheme.name_en
    return out


def scheme_spec_of(scheme: Scheme) -> SchemeSpec:
    """A stored version as a checked spec (the same shape a file gives)."""
    return parse_scheme(scheme_as_file(scheme), BY_CODE)


def scheme_draft_from(*, source: Scheme, actor: User | None = None) -> Scheme:
    """Start a draft as the next version of `source`'s code, with the same parameters."""
    return scheme_create(spec=scheme_spec_of(source), actor=actor)


def scheme_update_draft(*, scheme: Scheme, spec: SchemeSpec, actor: User | None = None) -> Scheme:
    """Replace a draft's parameters. Published versions never change. Audited with before and after."""
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.status == SchemeStatus.PUBLISHED:
            raise SchemeError(_("A published scheme version never changes; start a new draft."))
        if spec.code != locked.code:
            raise SchemeError(_("A draft keeps the code of its scheme."))
        before = scheme_as_file(locked)
        locked.name = spec.name
        locked.effective_from = spec.effective_from
        locked.min_coverage = spec.min_coverage
        locked.grade_bands = [[g, m] for g, m in spec.grade_bands]
        locked.deduction_per_item = spec.deduction_per_item
        locked.deduction_cap = spec.deduction_cap
        locked.save()
        locked.kpis.all().delete()
        kpis = {k.code: k for k in Kpi.objects.all()}
        SchemeKpi.objects.bulk_create(
            SchemeKpi(
                scheme=locked,
                kpi=kpis[k.code],
                weight=k.weight,
                method=k.method,
                floor=k.floor,
                target=k.target,
                min_sample=k.min_sample,
            )
            for k in spec.kpis
        )
        after = scheme_as_file(locked)
        if before != after:
            events.scheme_changed(actor=actor, scheme=locked, before=before, after=after)
    return locked


def scheme_delete_draft(*, scheme: Scheme, actor: User | None = None) -> None:
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.status == SchemeStatus.PUBLISHED:
            raise SchemeError(_("A published scheme version never changes; start a new draft."))
        events.scheme_deleted(actor=actor, scheme=locked, before=scheme_as_file(locked))
        locked.delete()


def scheme_diff(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """What changed between two scheme files, as (field, before, after), KPI by KPI."""
    changes: list[tuple[str, Any, Any]] = []
    for key in (
        "name",
        "name_en",
        "effective_from",
        "min_coverage",
        "grade_bands",
        "major_complaint_deduction",
    ):
        if before.get(key) != after.get(key):
            changes.append((key, before.get(key), after.get(key)))
    old = {k["code"]: k for k in before.get("kpis", [])}
    new = {k["code"]: k for k in after.get("kpis", [])}
    for code in sorted(set(old) | set(new), key=lambda c: list(BY_CODE).index(c) if c in BY_CODE else 99):
        a, b = old.get(code), new.get(code)
        if a is None or b is None:
            changes.append((code, a, b))
            continue
        for field in ("weight", "method", "floor", "target", "min_sample"):
            if a.get(field) != b.get(field):
                changes.append((f"{code}.{field}", a.get(field), b.get(field)))
    return changes
