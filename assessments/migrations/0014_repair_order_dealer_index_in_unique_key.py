"""The repair orders' own index on the dealer goes: the unique key (dealer, ro_number) starts
with the dealer and serves every look-up by dealer.

Only the index is dropped (instant, on both databases). Letting Django alter the field would
drop and re-add the foreign key on PostgreSQL, which checks every existing row again (minutes
on five years of repair orders) and rebuilds the whole table on SQLite.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "assessments_repairorder_dealer_id_e8850a22"  # Django's name for the field's index


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0013_more_labels"),
        ("dealers", "0007_more_labels"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="repairorder",
                    name="dealer",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="repair_orders",
                        to="dealers.dealer",
                        verbose_name="dealer",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{INDEX}"',
                    reverse_sql=f'CREATE INDEX "{INDEX}" ON "assessments_repairorder" ("dealer_id")',
                ),
            ],
        ),
    ]
