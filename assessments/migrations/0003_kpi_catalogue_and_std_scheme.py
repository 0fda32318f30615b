"""Ship the KPI catalogue and the standard scheme STD-2026 (published, effective 2026-01)."""

import json
from pathlib import Path

from django.db import migrations
from django.utils import timezone

from assessments.kpis import sync_catalogue

STD_SCHEME = Path(__file__).resolve().parent.parent / "data" / "scheme-std-2026.json"


def forwards(apps, schema_editor):
    Kpi = apps.get_model("assessments", "Kpi")
    Scheme = apps.get_model("assessments", "Scheme")
    SchemeKpi = apps.get_model("assessments", "SchemeKpi")
    sync_catalogue(Kpi, schema_editor.connection.alias)
    if Scheme.objects.filter(code="STD-2026").exists():
        return
    data = json.loads(STD_SCHEME.read_text(encoding="utf-8"))
    deduction = data["major_complaint_deduction"]
    scheme = Scheme.objects.create(
        code=data["code"], version=1, name=data["name"], effective_from=data["effective_from"],
        status="published", min_coverage=data["min_coverage"], grade_bands=data["grade_bands"],
        deduction_per_item=deduction["per_item"], deduction_cap=deduction["cap"], published_at=timezone.now(),
    )
    for entry in data["kpis"]:
        SchemeKpi.objects.create(
            scheme=scheme, kpi_id=entry["code"], weight=entry["weight"], method=entry.get("method", "threshold"),
            floor=entry.get("floor"), target=entry.get("target"), min_sample=entry.get("min_sample", 1),
        )


class Migration(migrations.Migration):
    dependencies = [("assessments", "0002_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
