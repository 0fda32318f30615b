"""Ship the default incentive ladder (the rules can be edited by HQ admins afterwards)."""

from django.db import migrations


def forwards(apps, schema_editor):
    from incentives.defaults import DEFAULT_LADDER

    Rule = apps.get_model("incentives", "IncentiveRule")
    if Rule.objects.exists():
        return
    # The ladder as this migration's model knows it: fields added later (name_en) are set by theirs.
    fields = {field.name for field in Rule._meta.get_fields()}
    for order, spec in enumerate(DEFAULT_LADDER):
        Rule.objects.create(sort_order=order, **{key: value for key, value in spec.items() if key in fields})


class Migration(migrations.Migration):
    dependencies = [("incentives", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
