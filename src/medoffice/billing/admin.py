"""Billing in Django's admin: the fee schedule is editable; charges and claims are read-only
there (they change only through their services, which record who and when)."""

from django.contrib import admin

from medoffice.billing.models import (
    Claim,
    ClaimBatch,
    ClaimEvent,
    PayerFee,
    Service,
    SubmissionSettings,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "modifiers", "description", "standard_charge", "rvus", "active")
    list_filter = ("active",)
    search_fields = ("code", "description")


@admin.register(PayerFee)
class PayerFeeAdmin(admin.ModelAdmin):
    list_display = ("payer", "service", "allowed_amount", "effective_date", "end_date")
    list_filter = ("payer",)
    search_fields = ("service__code",)
    list_select_related = ("payer", "service")


class _ReadOnly(admin.ModelAdmin):
    """Shown, never changed here: the services are the one door (they record who and when)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(_ReadOnly):
    list_display = ("patient_control_number", "payer", "status", "date_of_service", "total_charge")
    list_filter = ("status", "payer")
    search_fields = ("patient_control_number", "payer_claim_number")
    list_select_related = ("payer",)
    raw_id_fields = ("charge", "patient", "coverage", "original")


@admin.register(ClaimEvent)
class ClaimEventAdmin(_ReadOnly):
    list_display = ("claim", "at", "user", "from_status", "to_status", "note")
    raw_id_fields = ("claim",)


@admin.register(SubmissionSettings)
class SubmissionSettingsAdmin(admin.ModelAdmin):
    list_display = ("receiver_name", "sender_id", "receiver_id", "test_files")


@admin.register(ClaimBatch)
class ClaimBatchAdmin(_ReadOnly):
    list_display = ("interchange_control_number", "created_at", "claim_count", "total_charge")
    exclude = ("text",)
