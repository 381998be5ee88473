"""The schedule's pages: one URL module per area, so each grows on its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("medoffice.scheduling.urls_schedule")),
    path("", include("medoffice.scheduling.urls_slots")),
    path("", include("medoffice.scheduling.urls_resources")),
]
