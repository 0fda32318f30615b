from django.contrib import admin

from .models import Certification, Technician, TrainingRecord


class CertificationInline(admin.TabularInline):
    model = Certification
    extra = 0


class TrainingInline(admin.TabularInline):
    model = TrainingRecord
    extra = 0


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["name", "dealer", "role", "hire_date", "left_on"]
    list_filter = ["role", "dealer__region"]
    search_fields = ["name", "dealer__code", "dealer__name"]
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer"]
    inlines = [CertificationInline, TrainingInline]


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ["name", "level", "technician", "number", "issued_on", "expires_on"]
    list_filter = ["level"]
    search_fields = ["name", "number", "technician__name"]
    list_select_related = ["technician"]
    raw_id_fields = ["technician"]
