"""The messaging pages."""

from django.urls import path

from medoffice.messaging import views

urlpatterns: list = [
    path("messages/", views.message_log, name="messaging_log"),
    path("messages/failed/", views.failed_queue, name="messaging_failed"),
    path("messages/callbacks/", views.callbacks, name="messaging_callbacks"),
    path("messages/templates/", views.template_list, name="messaging_templates"),
    path(
        "messages/templates/<str:purpose>/<str:channel>/",
        views.template_edit,
        name="messaging_template",
    ),
    path(
        "messages/templates/<str:purpose>/<str:channel>/preview",
        views.template_preview,
        name="messaging_template_preview",
    ),
    path("messages/rules/", views.rules, name="messaging_rules"),
    path("messages/recalls/", views.recall_list, name="messaging_recalls"),
    path("messages/rates/", views.rates, name="messaging_rates"),
    path("messages/patient/<int:patient_id>/", views.patient_messages, name="messaging_patient"),
    path("messages/<int:message_id>/", views.message_detail, name="messaging_detail"),
]
