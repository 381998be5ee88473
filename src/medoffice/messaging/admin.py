from django.contrib import admin

from medoffice.messaging.models import (
    CallbackRequest,
    Message,
    MessageTemplate,
    OptOut,
    ReminderRule,
)


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = ("appointment_type", "minutes_before", "active")
    list_filter = ("active", "appointment_type")


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("purpose", "channel", "updated_at")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("id", "purpose", "channel", "status", "scheduled_for", "attempts")
    list_filter = ("status", "channel", "purpose")
    raw_id_fields = ("patient", "appointment", "fallback_of", "rule")
    readonly_fields = ("idempotency_key",)


@admin.register(OptOut)
class OptOutAdmin(admin.ModelAdmin):
    list_display = ("patient", "channel", "at", "ended_at")
    raw_id_fields = ("patient",)


@admin.register(CallbackRequest)
class CallbackRequestAdmin(admin.ModelAdmin):
    list_display = ("patient", "reason", "created_at", "handled_at")
    raw_id_fields = ("patient", "appointment", "inbound")
