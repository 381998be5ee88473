"""Django admin pages for the schedule.

Providers, rooms, appointment types, weekly templates and blocked time are set
up here. Appointments, their history, series and waitlist entries are shown
read-only: they change only through the services (booking, flow, waitlist),
which record who did what and why. Pages that show a patient's appointment or
waitlist entry write the PHI access log.
"""

from __future__ import annotations

from django.contrib import admin

from medoffice.core.admin_audit import PatientAccessAuditedAdmin
from medoffice.scheduling.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
    WaitlistEntry,
)


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


@admin.register(AppointmentType)
class AppointmentTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "duration_minutes",
        "room_kind",
        "patient_status",
        "telehealth",
        "active",
    ]
    list_filter = ["active", "telehealth", "room_kind", "patient_status"]
    search_fields = ["name", "code"]


@admin.register(AvailabilityTemplate)
class AvailabilityTemplateAdmin(admin.ModelAdmin):
    list_display = [
        "provider",
        "location",
        "weekday",
        "start_time",
        "end_time",
        "slot_minutes",
        "effective_from",
        "effective_to",
    ]
    list_filter = ["location", "weekday", "provider"]
    list_select_related = ["provider", "location"]
    search_fields = ["provider__last_name", "provider__first_name", "location__name"]
    filter_horizontal = ["appointment_types"]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ["kind", "provider", "location", "start", "end", "reason"]
    list_filter = ["kind", "location", "provider"]
    list_select_related = ["provider", "location"]
    search_fields = ["reason", "provider__last_name", "location__name"]
    date_hierarchy = "start"
    raw_id_fields = ["created_by"]

    def save_model(self, request, obj, form, change):
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, searched and filtered, never changed here: the services are the one door."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    fields = ["at", "kind", "from_status", "to_status", "by", "reason", "detail"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(PatientAccessAuditedAdmin, ReadOnlyAdmin):
    audit_object_type = "appointment"
    list_display = [
        "start",
        "patient",
        "provider",
        "location",
        "room",
        "appointment_type",
        "status",
        "overbook",
    ]
    list_filter = ["status", "location", "provider", "appointment_type", "overbook"]
    list_select_related = ["patient", "provider", "location", "room", "appointment_type"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__mrn"]
    date_hierarchy = "start"
    raw_id_fields = ["patient", "rescheduled_from", "series"]
    inlines = [AppointmentEventInline]

    def patient_id_of(self, obj) -> int:
        return obj.patient_id


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(PatientAccessAuditedAdmin, ReadOnlyAdmin):
    audit_object_type = "appointment event"
    list_display = ["at", "appointment", "kind", "from_status", "to_status", "by"]
    list_filter = ["kind"]
    list_select_related = ["appointment__patient", "appointment__provider", "by"]
    search_fields = ["appointment__patient__last_name", "appointment__patient__mrn", "reason"]
    date_hierarchy = "at"

    def patient_id_of(self, obj) -> int:
        return obj.appointment.patient_id


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(PatientAccessAuditedAdmin, ReadOnlyAdmin):
    audit_object_type = "appointment series"
    list_display = ["first_start", "patient", "provider", "interval_weeks", "count", "until"]
    list_select_related = ["patient", "provider"]
    search_fields = ["patient__last_name", "patient__mrn"]

    def patient_id_of(self, obj) -> int:
        return obj.patient_id


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(PatientAccessAuditedAdmin, ReadOnlyAdmin):
    audit_object_type = "waitlist entry"
    list_display = [
        "created_at",
        "patient",
        "appointment_type",
        "location",
        "earliest_date",
        "latest_date",
        "preferred_time",
        "status",
    ]
    list_filter = ["status", "appointment_type", "location", "preferred_time"]
    list_select_related = ["patient", "appointment_type", "location"]
    search_fields = ["patient__last_name", "patient__first_name", "patient__mrn", "note"]

    def patient_id_of(self, obj) -> int:
        return obj.patient_id
