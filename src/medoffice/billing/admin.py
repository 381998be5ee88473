"""Billing in Django's admin: the fee schedule is editable; charges and claims are read-only
there (they change only through their services, which record who and when).

The clearinghouse secrets of the submission settings (SFTP password and private key) are
write-only here: the boxes never show what is stored, an empty box keeps it, a new value
replaces it, and a tick box removes it.
"""

from django import forms
from django.contrib import admin

from medoffice.billing.models import (
    AcknowledgementFile,
    Claim,
    ClaimBatch,
    ClaimEvent,
    PayerFee,
    Service,
    SubmissionSettings,
)


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("code", "modifiers", "description", "standard_charge", "rvus", "active")
    list_filter = ("active",)
    search_fields = ("code", "description")


@admin.register(PayerFee)
class PayerFeeAdmin(admin.ModelAdmin):
    list_display = ("payer", "service", "allowed_amount", "effective_date", "end_date")
    list_filter = ("payer",)
    search_fields = ("service__code",)
    list_select_related = ("payer", "service")


class _ReadOnly(admin.ModelAdmin):
    """Shown, never changed here: the services are the one door (they record who and when)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(_ReadOnly):
    list_display = ("patient_control_number", "payer", "status", "date_of_service", "total_charge")
    list_filter = ("status", "payer")
    search_fields = ("patient_control_number", "payer_claim_number")
    list_select_related = ("payer",)
    raw_id_fields = ("charge", "patient", "coverage", "original")


@admin.register(ClaimEvent)
class ClaimEventAdmin(_ReadOnly):
    list_display = ("claim", "at", "user", "from_status", "to_status", "note")
    raw_id_fields = ("claim",)


# -- submission settings: secrets that are written, never shown ------------------------------

#: The secret fields and what each is called in the messages.
SECRETS = {"sftp_password": "SFTP password", "sftp_private_key": "SFTP private key"}
SECRET_HELP = {
    "sftp_private_key": " An unencrypted OpenSSH or PEM private key, if the clearinghouse "
    "uses keys."
}


class WriteOnlyTextarea(forms.Textarea):
    """A text area that never puts the stored value in the page (a private key spans lines,
    which a password box would join into one)."""

    def get_context(self, name, value, attrs):
        return super().get_context(name, None, attrs)


class SubmissionSettingsForm(forms.ModelForm):
    """The settings with write-only secrets: empty keeps the stored one, ``clear_<field>``
    removes it, anything typed replaces it."""

    sftp_password = forms.CharField(
        label="SFTP password",
        required=False,
        strip=False,  # spaces can be part of a password
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    sftp_private_key = forms.CharField(
        label="SFTP private key",
        required=False,
        widget=WriteOnlyTextarea(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    clear_sftp_password = forms.BooleanField(
        label="Remove the stored SFTP password", required=False
    )
    clear_sftp_private_key = forms.BooleanField(
        label="Remove the stored SFTP private key", required=False
    )

    class Meta:
        model = SubmissionSettings
        # Every editable column, as the admin shows by default (new columns appear too).
        fields = [
            f.name for f in SubmissionSettings._meta.fields if f.editable and not f.primary_key
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in SECRETS.items():
            if name not in self.fields:
                continue
            stored = bool(self.instance.pk and getattr(self.instance, name))
            self.fields[name].help_text = (
                f"An {label} is stored; it is never shown. Leave the box empty to keep it, "
                "or type a new one to replace it."
                if stored
                else f"No {label} is stored."
            ) + SECRET_HELP.get(name, "")
            if not stored:
                self.fields[f"clear_{name}"].disabled = True

    def clean(self):
        cleaned = super().clean()
        for name, label in SECRETS.items():
            if name not in self.fields:
                continue
            typed = cleaned.get(name) or ""
            if cleaned.get(f"clear_{name}"):
                if typed.strip():
                    self.add_error(
                        name, f"Either type a new {label} or tick to remove it, not both."
                    )
                    continue
                cleaned[name] = ""
            elif not typed.strip():
                # Nothing typed: keep what is stored (the box is never filled in).
                cleaned[name] = getattr(self.instance, name) if self.instance.pk else ""
        return cleaned


@admin.register(SubmissionSettings)
class SubmissionSettingsAdmin(admin.ModelAdmin):
    form = SubmissionSettingsForm
    list_display = ("receiver_name", "sender_id", "receiver_id", "test_files")

    def get_fields(self, request, obj=None):
        fields = [f for f in super().get_fields(request, obj) if not f.startswith("clear_")]
        if obj is not None and not self.has_change_permission(request, obj):
            # Shown read-only: say whether a secret is stored, never what it is.
            return [f"{f}_state" if f in SECRETS else f for f in fields]
        out = []
        for name in fields:
            out.append(name)
            if name in SECRETS:
                out.append(f"clear_{name}")
        return out

    @admin.display(description="SFTP password")
    def sftp_password_state(self, obj):
        return "stored (hidden)" if obj.sftp_password else "not set"

    @admin.display(description="SFTP private key")
    def sftp_private_key_state(self, obj):
        return "stored (hidden)" if obj.sftp_private_key else "not set"


@admin.register(ClaimBatch)
class ClaimBatchAdmin(_ReadOnly):
    list_display = ("interchange_control_number", "created_at", "claim_count", "total_charge")
    exclude = ("text",)


@admin.register(AcknowledgementFile)
class AcknowledgementFileAdmin(_ReadOnly):
    """The 999 and 277CA files imported: who brought each in, when, and what it changed.
    The file's text is kept as received and not shown here (the import page reports it)."""

    list_display = (
        "filename",
        "kind",
        "imported_at",
        "imported_by",
        "accepted_count",
        "rejected_count",
        "unknown_count",
        "unchanged_count",
    )
    list_filter = ("kind",)
    search_fields = ("filename", "sha256")
    date_hierarchy = "imported_at"
    list_select_related = ("imported_by",)
    exclude = ("text",)

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text")
