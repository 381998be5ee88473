"""The Django admin for the practice, its locations, users (with roles) and the access log."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from medoffice.core.errors import DomainError
from medoffice.core.models import AccessLogEntry, Location, Practice, User
from medoffice.core.services import users


@admin.register(User)
class MedofficeUserAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Office", {"fields": ("home_location", "require_two_factor")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (
            "Office",
            {
                "fields": (
                    "first_name",
                    "last_name",
                    "email",
                    "home_location",
                    "require_two_factor",
                )
            },
        ),
    )
    list_display = (
        "username",
        "first_name",
        "last_name",
        "home_location",
        "is_active",
        "require_two_factor",
        "last_login",
    )
    list_filter = ("is_active", "require_two_factor", "groups", "home_location", "is_staff")
    list_select_related = ("home_location",)
    actions = ("unlock_sign_in", "reset_two_factor")

    @admin.action(description="Unlock sign-in (clear failed attempts)", permissions=["change"])
    def unlock_sign_in(self, request, queryset):
        for user in queryset:
            users.unlock_user(actor=request.user, user=user)
        self.message_user(request, f"Unlocked sign-in for {queryset.count()} user(s).")

    @admin.action(
        description="Reset two-factor (forget the authenticator app)", permissions=["change"]
    )
    def reset_two_factor(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                users.reset_two_factor(actor=request.user, user=user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{user}: {exc.message}", messages.ERROR)
        self.message_user(request, f"Reset two-factor for {done} user(s).")


@admin.register(Practice)
class PracticeAdmin(admin.ModelAdmin):
    list_display = ("name", "group_npi", "tax_id", "billing_city", "billing_state", "phone")
    search_fields = ("name", "group_npi", "tax_id")


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ("name", "practice", "city", "state", "time_zone", "place_of_service", "active")
    list_filter = ("active", "practice", "state")
    search_fields = ("name", "city", "address1", "zip")
    list_select_related = ("practice",)


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(admin.ModelAdmin):
    """Read-only for everyone, superusers included: the log is append-only."""

    list_display = (
        "position",
        "at",
        "username",
        "action",
        "object_type",
        "object_id",
        "patient_id",
        "ip_address",
    )
    list_filter = ("action", "object_type")
    search_fields = ("username", "object_id")
    date_hierarchy = "at"
    ordering = ("-position",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
