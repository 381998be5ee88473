"""Admin pages that show a patient's record write the PHI access log like every other page."""

from __future__ import annotations

from medoffice.core.audit import (
    CREATE,
    UPDATE,
    VIEW,
    client_address,
    log_patient_access,
    record_access,
)


class PatientAccessAuditedAdmin:
    """Mixin for a ModelAdmin whose objects belong to one patient.

    ``patient_id_of(obj)`` names that patient; opening a record logs a view,
    saving it an update, adding one a create; the list logs the search typed.
    """

    audit_object_type = "patient"

    def patient_id_of(self, obj) -> int:
        raise NotImplementedError

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None and 200 <= response.status_code < 400:
            action = UPDATE if request.method == "POST" else VIEW
            log_patient_access(
                request,
                patient_id=self.patient_id_of(obj),
                action=action,
                object_type=self.audit_object_type,
                object_id=obj.pk,
                detail="admin",
            )
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            record_access(
                user=request.user,
                action=VIEW,
                object_type=f"{self.audit_object_type} list",
                object_id="",
                ip_address=client_address(request),
                detail=f"admin search: {request.GET.get('q', '')}",
            )
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        obj = self.get_object(request, object_id)
        if obj is not None:
            log_patient_access(
                request,
                patient_id=self.patient_id_of(obj),
                object_type=self.audit_object_type,
                object_id=obj.pk,
                detail="admin history",
            )
        return response

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            log_patient_access(
                request,
                patient_id=self.patient_id_of(obj),
                action=CREATE,
                object_type=self.audit_object_type,
                object_id=obj.pk,
                detail="admin",
            )
