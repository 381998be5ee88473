"""Schedule set-up: providers, rooms, appointment types, weekly templates, exceptions."""

from django.urls import path

from medoffice.scheduling import views_resources as views

urlpatterns = [
    path("schedule-setup/", views.setup_home, name="setup_home"),
    path("schedule-setup/providers/", views.provider_list, name="setup_providers"),
    path("schedule-setup/providers/new/", views.provider_add, name="setup_provider_add"),
    path("schedule-setup/providers/<int:pk>/", views.provider_edit, name="setup_provider_edit"),
    path(
        "schedule-setup/providers/<int:pk>/active/",
        views.provider_active,
        name="setup_provider_active",
    ),
    path("schedule-setup/rooms/", views.room_list, name="setup_rooms"),
    path("schedule-setup/rooms/new/", views.room_add, name="setup_room_add"),
    path("schedule-setup/rooms/<int:pk>/", views.room_edit, name="setup_room_edit"),
    path("schedule-setup/rooms/<int:pk>/active/", views.room_active, name="setup_room_active"),
    path("schedule-setup/types/", views.type_list, name="setup_types"),
    path("schedule-setup/types/new/", views.type_add, name="setup_type_add"),
    path("schedule-setup/types/<int:pk>/", views.type_edit, name="setup_type_edit"),
    path("schedule-setup/types/<int:pk>/active/", views.type_active, name="setup_type_active"),
    path("schedule-setup/templates/", views.template_week, name="setup_templates"),
    path(
        "schedule-setup/templates/new/<int:provider_pk>/",
        views.block_add,
        name="setup_block_add",
    ),
    path("schedule-setup/templates/<int:pk>/", views.block_edit, name="setup_block_edit"),
    path(
        "schedule-setup/templates/<int:pk>/remove/",
        views.block_remove,
        name="setup_block_remove",
    ),
    path("schedule-setup/blocked-time/", views.exception_list, name="setup_exceptions"),
    path("schedule-setup/blocked-time/new/", views.exception_add, name="setup_exception_add"),
    path(
        "schedule-setup/blocked-time/<int:pk>/",
        views.exception_edit,
        name="setup_exception_edit",
    ),
    path(
        "schedule-setup/blocked-time/<int:pk>/remove/",
        views.exception_remove,
        name="setup_exception_remove",
    ),
]
