"""The patient pages' forms: they read what was typed; the services judge it.

The model forms here build fields, labels and widgets from the models but do
not validate the model themselves (``_post_clean`` is off): the service the
view calls checks every rule and its ``FieldErrors`` land on the form's
fields, so the page and the API refuse the same things with the same words.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator, MinValueValidator

from medoffice.core.models import Location
from medoffice.patients.models import Coverage, Patient, PatientDocument
from medoffice.patients.selectors import payers_for_coverage
from medoffice.patients.services.coverages import COVERAGE_FIELDS
from medoffice.patients.services.patients import PATIENT_FIELDS, PHONE_FIELDS, normalize_phone

DATE_INPUTS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


def _office_words(form: forms.Form) -> None:
    """Required and malformed-value messages that name the field."""
    for field in form.fields.values():
        label = str(field.label or "").lower()
        field.error_messages["required"] = f"Enter the {label}."
        field.error_messages["max_length"] = (
            f"The {label} is too long: use at most %(limit_value)d characters."
        )
        if isinstance(field, forms.DateField):
            field.input_formats = DATE_INPUTS
            field.error_messages["invalid"] = f"Enter the {label} as MM/DD/YYYY."
        elif isinstance(field, forms.TimeField):
            field.error_messages["invalid"] = f"Enter the {label} as a time, e.g. 09:00."
        elif isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
            field.error_messages["required"] = f"Choose the {label}."
            field.error_messages["invalid_choice"] = f"Choose one of the listed {label} values."


def _allow_length(field: forms.CharField, length: int) -> None:
    """Accept ``length`` characters as typed (the service tidies and checks what is stored)."""
    field.max_length = length
    field.validators = [v for v in field.validators if not isinstance(v, MaxLengthValidator)]
    field.validators.append(MaxLengthValidator(length))
    field.widget.attrs["maxlength"] = length


class ServiceValidatedModelForm(forms.ModelForm):
    """A model form whose model rules are checked by the service, not here.

    Only each field's own validators (a phone's shape, a date of birth's range)
    run here as well, so those show on the first try together with missing
    fields; rules across fields wait for the service.
    """

    def _post_clean(self):
        pass

    def clean(self):
        data = super().clean()
        model = self._meta.model
        for name, value in list(data.items()):  # add_error() removes the field from data
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if value in field.empty_values or name in self.errors:
                continue
            try:
                field.run_validators(value)
            except ValidationError as exc:
                for message in exc.messages:
                    self.add_error(name, message)
        return data

    def add_service_errors(self, exc) -> None:
        """Put a service's FieldErrors (or one DomainError) on the fields they name."""
        problems = getattr(exc, "errors", None) or {exc.field: [exc.message]}
        for name, messages in problems.items():
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class PatientForm(ServiceValidatedModelForm):
    """Every field of a patient's record, in the groups the page shows."""

    GROUPS = (
        (
            "Identity",
            (
                "first_name",
                "middle_name",
                "last_name",
                "name_suffix",
                "preferred_name",
                "date_of_birth",
                "sex_at_birth",
                "gender_identity",
            ),
        ),
        (
            "Address and phones",
            (
                "address1",
                "address2",
                "city",
                "state",
                "zip",
                "home_location",
                "phone_home",
                "phone_mobile",
                "email",
            ),
        ),
        (
            "Contact preferences and consents",
            (
                "preferred_contact",
                "contact_hours_start",
                "contact_hours_end",
                "consent_sms",
                "consent_sms_on",
                "consent_email",
                "consent_email_on",
                "consent_voice",
                "consent_voice_on",
            ),
        ),
        (
            "Guarantor (who receives the bills)",
            (
                "guarantor_relationship",
                "guarantor_first_name",
                "guarantor_last_name",
                "guarantor_date_of_birth",
                "guarantor_address1",
                "guarantor_city",
                "guarantor_state",
                "guarantor_zip",
                "guarantor_phone",
            ),
        ),
        (
            "Emergency contact",
            ("emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"),
        ),
        ("Record", ("active",)),
    )

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        widgets = {
            "date_of_birth": DateInput(),
            "guarantor_date_of_birth": DateInput(),
            "consent_sms_on": DateInput(),
            "consent_email_on": DateInput(),
            "consent_voice_on": DateInput(),
            "contact_hours_start": TimeInput(),
            "contact_hours_end": TimeInput(),
        }
        labels = {
            "address1": "Street address",
            "home_location": "Home office",
            "guarantor_address1": "Guarantor's street address",
            "guarantor_city": "Guarantor's city",
            "guarantor_state": "Guarantor's state",
            "guarantor_zip": "Guarantor's ZIP",
            "guarantor_phone": "Guarantor's phone",
            "guarantor_first_name": "Guarantor's first name",
            "guarantor_last_name": "Guarantor's last name",
            "guarantor_date_of_birth": "Guarantor's date of birth",
            "guarantor_relationship": "Guarantor is the patient's",
            "active": "Active patient (clear to retire the record)",
        }
        help_texts = {
            "phone_home": "Ten digits, any format: (706) 555-0142.",
            "phone_mobile": "Ten digits, any format. Needed for text messages.",
            "state": "Two letters, e.g. GA.",
        }

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["home_location"].queryset = Location.objects.filter(active=True)
        self.fields["home_location"].empty_label = "—"
        if creating:
            del self.fields["active"]
        _office_words(self)
        for name in ("state", "guarantor_state"):
            # "Georgia" gets the model's "two-letter state code" message, not a length one.
            _allow_length(self.fields[name], 30)
            self.fields[name].widget.attrs.update(maxlength=2, style="text-transform:uppercase")
        for name in PHONE_FIELDS:
            self.fields[name].widget.attrs.update(type="tel", autocomplete="off")
            _allow_length(self.fields[name], 25)  # typed with spaces and dashes; stored as digits
        for name in ("zip", "guarantor_zip"):
            _allow_length(self.fields[name], 10)  # 31901-1234

    def _clean_phone(self, name: str) -> str:
        return normalize_phone(self.cleaned_data.get(name))

    def clean_phone_home(self):
        return self._clean_phone("phone_home")

    def clean_phone_mobile(self):
        return self._clean_phone("phone_mobile")

    def clean_guarantor_phone(self):
        return self._clean_phone("guarantor_phone")

    def clean_emergency_contact_phone(self):
        return self._clean_phone("emergency_contact_phone")

    def clean_state(self):
        return (self.cleaned_data.get("state") or "").strip().upper()

    def clean_guarantor_state(self):
        return (self.cleaned_data.get("guarantor_state") or "").strip().upper()

    def clean_zip(self):
        return (self.cleaned_data.get("zip") or "").replace("-", "").replace(" ", "")

    def clean_guarantor_zip(self):
        return (self.cleaned_data.get("guarantor_zip") or "").replace("-", "").replace(" ", "")

    def groups(self):
        """(title, bound fields) per section of the page."""
        return [
            (title, [self[name] for name in names if name in self.fields])
            for title, names in self.GROUPS
        ]


class CoverageForm(ServiceValidatedModelForm):
    member_id = forms.CharField(
        label="Member id", max_length=80, help_text="As printed on the card."
    )

    class Meta:
        model = Coverage
        fields = COVERAGE_FIELDS
        widgets = {
            "effective_date": DateInput(),
            "end_date": DateInput(),
            "subscriber_date_of_birth": DateInput(),
        }
        labels = {"order": "Billing order", "end_date": "Last covered day", "copay": "Copay"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An existing coverage keeps its payer in the list even if it is no longer active.
        self.fields["payer"].queryset = payers_for_coverage(keep=self.instance.payer_id)
        if self.instance.pk:
            self.initial["member_id"] = self.instance.member_id
        _office_words(self)
        copay = self.fields["copay"]
        copay.widget.attrs.update(inputmode="decimal", placeholder="e.g. 25.00")
        copay.validators.append(MinValueValidator(0))
        too_big = "The copay cannot be more than 999999.99."
        copay.error_messages.update(
            invalid="Enter the copay as an amount such as 25.00, or leave it empty.",
            min_value="The copay cannot be negative.",
            max_decimal_places="The copay has at most two decimal places (cents).",
            max_digits=too_big,
            max_whole_digits=too_big,
        )


class EndCoverageForm(forms.Form):
    end_date = forms.DateField(label="Last covered day", widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _office_words(self)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="What is it", choices=PatientDocument.KIND_CHOICES)
    file = forms.FileField(
        label="File",
        help_text="A photo or scan: JPEG, PNG or PDF, up to 10 MB.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,application/pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _office_words(self)
        self.fields["file"].error_messages["required"] = "Choose a file to upload."
        self.fields["file"].error_messages["empty"] = "The file is empty; scan the card again."


class MergeForm(forms.Form):
    KEEP_THIS, KEEP_OTHER = "this", "other"
    other_mrn = forms.CharField(
        label="MRN of the other record",
        max_length=12,
        help_text="Find it with the patient search; the 8-digit number beside the name.",
    )
    keep = forms.ChoiceField(
        label="Which record stays",
        choices=[(KEEP_THIS, "This record"), (KEEP_OTHER, "The other record")],
        initial=KEEP_THIS,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label="Why are they the same person",
        max_length=200,
        help_text="E.g. registered twice, same date of birth and phone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _office_words(self)


class UnmergeForm(forms.Form):
    reason = forms.CharField(label="Why undo the merge", max_length=200, required=False)


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Find a patient",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "placeholder": "Name (smith, j), date of birth, phone or MRN",
                "autocomplete": "off",
                "autofocus": True,
                "type": "search",
            }
        ),
    )
    inactive = forms.BooleanField(label="Include inactive records", required=False)
