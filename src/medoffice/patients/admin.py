"""Django admin pages for payers, patients and coverages (for administrators; staff use the app)."""

from __future__ import annotations

from django.contrib import admin

from medoffice.core.admin_audit import PatientAccessAuditedAdmin
from medoffice.core.crypto import identifier_hash
from medoffice.patients.models import Coverage, Patient, PatientDocument, PatientMerge, Payer


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "payer_id", "timely_filing_days", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "payer_id"]


class CoverageInline(admin.TabularInline):
    model = Coverage
    extra = 0
    fields = ["order", "payer", "member_id", "group_number", "effective_date", "end_date"]
    autocomplete_fields = ["payer"]


@admin.register(Patient)
class PatientAdmin(PatientAccessAuditedAdmin, admin.ModelAdmin):
    def patient_id_of(self, obj) -> int:
        return obj.pk

    list_display = [
        "mrn",
        "last_name",
        "first_name",
        "date_of_birth",
        "phone_mobile",
        "preferred_contact",
        "home_location",
        "active",
    ]
    list_filter = ["active", "home_location", "preferred_contact", "sex_at_birth"]
    search_fields = ["mrn", "last_name", "first_name", "phone_mobile", "phone_home", "email"]
    readonly_fields = ["mrn", "created_at"]
    date_hierarchy = "created_at"
    inlines = [CoverageInline]
    list_select_related = ["home_location"]


@admin.register(Coverage)
class CoverageAdmin(PatientAccessAuditedAdmin, admin.ModelAdmin):
    audit_object_type = "coverage"

    def patient_id_of(self, obj) -> int:
        return obj.patient_id

    list_display = ["patient", "payer", "order", "effective_date", "end_date"]
    list_filter = ["payer", "order"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__mrn"]
    search_help_text = "Name or MRN; a member id finds its coverage exactly."
    autocomplete_fields = ["patient", "payer"]
    list_select_related = ["patient", "payer"]

    def get_search_results(self, request, queryset, search_term):
        # Member ids are encrypted: look an exact one up through its keyed hash.
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if search_term.strip():
            results |= queryset.filter(member_id_hash=identifier_hash(search_term))
        return results, may_have_duplicates

    def save_model(self, request, obj, form, change):
        obj.set_member_id(obj.member_id)
        super().save_model(request, obj, form, change)


@admin.register(PatientDocument)
class PatientDocumentAdmin(PatientAccessAuditedAdmin, admin.ModelAdmin):
    """Who scanned what, for administrators; the file opens only from the patient's page."""

    audit_object_type = "document"

    def patient_id_of(self, obj) -> int:
        return obj.patient_id

    list_display = ["patient", "kind", "content_type", "size", "uploaded_by", "uploaded_at"]
    list_filter = ["kind", "content_type"]
    list_select_related = ["patient", "uploaded_by"]
    fields = ["patient", "kind", "original_name", "content_type", "size", "uploaded_by"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # uploads go through the patient's page, which checks the file


@admin.register(PatientMerge)
class PatientMergeAdmin(admin.ModelAdmin):
    """The record of merges (read-only: merging and undoing happen on the patient's page)."""

    list_display = ["duplicate", "survivor", "merged_by", "merged_at", "unmerged_at"]
    list_select_related = ["duplicate", "survivor", "merged_by"]
    readonly_fields = [f.name for f in PatientMerge._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
