"""django-import-export resources for the admin (the portal's own import is assessments.importing)."""

from import_export import fields
from import_export.widgets import ForeignKeyWidget

from assessments.resources import FormulaSafeResource

from .models import Dealer, Region


class DealerResource(FormulaSafeResource):
    region = fields.Field(attribute="region", column_name="region", widget=ForeignKeyWidget(Region, "name"))

    class Meta:
        model = Dealer
        import_id_fields = ["code"]
        fields = ["code", "name", "region", "province", "city", "city_tier", "status", "opened_on"]
        use_transactions = True
        rollback_on_validation_errors = True
