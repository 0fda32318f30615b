"""Add the five service-quality factor KPIs (survey_reception … survey_timeliness) to the KPI
table, with every catalogue label brought up to date. STD-2026 does not list them."""

from django.db import migrations

from assessments.kpis import sync_catalogue


def forwards(apps, schema_editor):
    sync_catalogue(apps.get_model("assessments", "Kpi"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0009_complaint_owner")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
