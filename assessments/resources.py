"""django-import-export resources for the admin (the portal's own import is assessments.importing).

Known traps of the library, handled here: rollback on validation errors in one outer
transaction; the dealer comes from the file's dealer code through a widget limited to the
importing user's dealers; exports are neutralised against formula injection.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from import_export import fields, resources
from import_export.widgets import ForeignKeyWidget

from dealers.choices import Role
from dealers.models import Dealer

from .choices import DEALER_CHANNELS, RecordChannel
from .exporting import safe_cell
from .importing import messages as msg
from .importing.writing import import_channel
from .models import Complaint, ImportJob, MonthlySubmission, PartsOrder, Provenance, RecordChange, RepairOrder
from .models.provenance import history_value


class ScopedDealerWidget(ForeignKeyWidget):
    """A dealer by its code, looked up only among the dealers the importing user may see."""

    def __init__(self) -> None:
        super().__init__(Dealer, "code")

    def get_queryset(self, value: Any, row: Any, *args: Any, **kwargs: Any) -> Any:
        user = kwargs.get("user")
        return Dealer.objects.all() if user is None else Dealer.objects.for_user(user)


class FormulaSafeResource(resources.ModelResource):
    """The base of every admin resource: each exported cell goes through `safe_cell`, so
    neither the CSV nor the XLSX export holds a cell a spreadsheet would run as a formula
    (in XLSX a text starting with "=" would be written as a live formula)."""

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        return safe_cell(super().export_field(field, instance, **kwargs))


class ServiceDataResource(FormulaSafeResource):
    """Shared behaviour: atomic imports, dealer by code, formula-safe exports, scoped rows."""

    dealer = fields.Field(attribute="dealer", column_name="dealer_code", widget=ScopedDealerWidget())

    def import_data(
        self, dataset: Any, dry_run: bool = False, raise_errors: bool = False, **kwargs: Any
    ) -> Any:
        # The library's default commits the good rows of a file with a bad one: always all or nothing.
        kwargs["use_transactions"] = True
        kwargs["rollback_on_validation_errors"] = True
        self._importing_user = kwargs.get("user")
        return super().import_data(dataset, dry_run=dry_run, raise_errors=raise_errors, **kwargs)

    def before_save_instance(self, instance: Any, row: Any, **kwargs: Any) -> None:
        """Provenance as every writer keeps it: who created a record and through which channel,
        who changed it, and the before and after of the change (docs/data-keys.md)."""
        super().before_save_instance(instance, row, **kwargs)
        if not isinstance(instance, Provenance):
            return
        user = kwargs.get("user")
        channel = import_channel(user)
        user_id = user.pk if user is not None and user.pk else None
        if instance.pk is None:
            instance.created_channel, instance.created_by_id = channel, user_id
            return
        before = type(instance).objects.get(pk=instance.pk)
        if (
            user is not None
            and user.role == Role.DEALER_USER
            and before.created_channel not in DEALER_CHANNELS
        ):
            raise ValidationError(
                str(msg.ROW_NOT_DEALERS_RECORD) % {"channel": RecordChannel(before.created_channel).label}
            )
        fields = [
            f.attname
            for f in instance._meta.concrete_fields
            if f.name in self._meta.fields and getattr(before, f.attname) != getattr(instance, f.attname)
        ]
        if not fields:
            return
        now = timezone.now().replace(microsecond=0)
        instance.changed_at, instance.changed_by_id, instance.changed_channel = now, user_id, channel
        RecordChange.objects.create(
            model=instance._meta.label_lower,
            record_id=instance.pk,
            dealer_id=instance.dealer_id,
            changed_at=now,
            user_id=user_id,
            channel=channel,
            before={f: history_value(getattr(before, f)) for f in fields},
            after={f: history_value(getattr(instance, f)) for f in fields},
        )

    def get_queryset(self) -> Any:
        """The rows an import may update: only those of the importing user's dealers.

        Without this the library looks existing rows up among every dealer's, so a dealer's
        file could rewrite another dealer's complaint by its id.
        """
        user = getattr(self, "_importing_user", None)
        objects = self._meta.model.objects
        return objects.all() if user is None else objects.for_user(user)

    def filter_export(self, queryset: Any, **kwargs: Any) -> Any:
        user = kwargs.get("user")
        return queryset if user is None else queryset.for_user(user)


class RepairOrderResource(ServiceDataResource):
    class Meta:
        model = RepairOrder
        import_id_fields = ["dealer", "ro_number"]
        fields = [
            "ro_number",
            "dealer",
            "vin",
            "repair_type",
            "booked_at",
            "opened_at",
            "promised_at",
            "closed_at",
            "fault_code",
            "labor_hours",
            "labor_amount",
            "parts_amount",
            "warranty_cost",
        ]
        use_transactions = True
        rollback_on_validation_errors = True
        skip_unchanged = True
        report_skipped = True


class ComplaintResource(ServiceDataResource):
    class Meta:
        model = Complaint
        import_id_fields = ["dealer", "complaint_id"]
        fields = ["complaint_id", "dealer", "received_at", "closed_at", "category", "severity", "description"]
        use_transactions = True
        rollback_on_validation_errors = True
        skip_unchanged = True


class PartsOrderResource(ServiceDataResource):
    class Meta:
        model = PartsOrder
        import_id_fields = ["dealer", "order_id"]
        fields = ["order_id", "dealer", "part_number", "quantity", "ordered_at", "fulfilled_at"]
        use_transactions = True
        rollback_on_validation_errors = True
        skip_unchanged = True


class MonthlySubmissionResource(ServiceDataResource):
    class Meta:
        model = MonthlySubmission
        import_id_fields = ["dealer", "period"]
        fields = [
            "dealer",
            "period",
            "technicians",
            "certified_technicians",
            "equipment_total",
            "equipment_ok",
            "training_hours",
            "status",
        ]
        use_transactions = True
        rollback_on_validation_errors = True
        skip_unchanged = True


class ImportJobResource(FormulaSafeResource):
    """Export only: the record of every import."""

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "user__username",
            "file_name",
            "file_size",
            "checksum",
            "status",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "started_at",
            "duration_seconds",
        ]
