from django.urls import path

from medoffice.patients import views

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/coverages/new/", views.coverage_create, name="coverage_create"),
    path("patients/<int:pk>/documents/new/", views.document_upload, name="document_upload"),
    path("patients/<int:pk>/merge/", views.patient_merge, name="patient_merge"),
    path("patients/coverages/<int:pk>/edit/", views.coverage_edit, name="coverage_edit"),
    path("patients/coverages/<int:pk>/end/", views.coverage_end, name="coverage_end"),
    path("patients/documents/<int:pk>/", views.document_download, name="document_download"),
    path("patients/merges/<int:pk>/undo/", views.patient_unmerge, name="patient_unmerge"),
]
