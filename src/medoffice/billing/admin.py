"""Billing in Django's admin: the fee schedule is editable; charges and claims are read-only
there (they change only through their services, which record who and when)."""

from django.contrib import admin

from medoffice.billing.models import PayerFee, Service


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
