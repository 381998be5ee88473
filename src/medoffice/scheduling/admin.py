"""Django admin pages for providers and rooms."""

from __future__ import annotations

from django.contrib import admin

from medoffice.scheduling.models import Provider, Room


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["last_name", "first_name", "credentials", "npi", "specialty", "active"]
    list_filter = ["active", "credentials", "locations"]
    search_fields = ["last_name", "first_name", "npi"]
    filter_horizontal = ["locations"]
    raw_id_fields = ["user"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "kind", "active"]
    list_filter = ["location", "kind", "active"]
    search_fields = ["name", "location__name"]
