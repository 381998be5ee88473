from django.contrib import admin
from django.urls import include, path

from medoffice.api.root import api

urlpatterns = [
    path("", include("medoffice.core.urls")),
    path("", include("medoffice.patients.urls")),
    path("", include("medoffice.scheduling.urls")),
    path("", include("medoffice.messaging.urls")),
    path("", include("medoffice.billing.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
