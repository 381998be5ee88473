"""Forms of the schedule set-up pages: they read what was typed; the services judge it.

Each form only turns text into values (a time, a date, a list of locations)
and says so in office words when it cannot; duplicates, overlaps and the NPI
check digit are the services' (and the models') to refuse.
"""

from __future__ import annotations

import datetime as dt

from django import forms

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    WEEKDAY_CHOICES,
    AppointmentType,
    Provider,
    Room,
    ScheduleException,
)

PAGE_SIZE = 25


def _required(what: str) -> dict[str, str]:
    return {"required": f"Enter the {what}."}


class ColourInput(forms.TextInput):
    input_type = "color"


class SearchForm(forms.Form):
    """The search box and filters above a set-up list (every field optional)."""

    q = forms.CharField(required=False, max_length=80, label="Search")
    status = forms.ChoiceField(
        required=False,
        choices=[("active", "Active"), ("inactive", "Inactive"), ("all", "Active and inactive")],
        initial="active",
        label="Status",
    )
    location = forms.ModelChoiceField(
        required=False, queryset=Location.objects.none(), empty_label="Every location"
    )

    def __init__(self, *args, with_location: bool = True, with_status: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_location:
            self.fields["location"].queryset = Location.objects.order_by("name")
        else:
            del self.fields["location"]
        if not with_status:
            del self.fields["status"]


class ProviderForm(forms.Form):
    first_name = forms.CharField(max_length=35, error_messages=_required("first name"))
    last_name = forms.CharField(max_length=60, error_messages=_required("last name"))
    credentials = forms.ChoiceField(choices=Provider.CREDENTIAL_CHOICES)
    npi = forms.CharField(
        label="NPI",
        max_length=14,
        error_messages=_required("NPI (10 digits)"),
        help_text="The 10-digit National Provider Identifier; its last digit is a check digit.",
    )
    taxonomy_code = forms.CharField(
        label="Taxonomy code",
        max_length=10,
        required=False,
        help_text="NUCC provider taxonomy sent on claims, e.g. 207Q00000X (Family Medicine).",
    )
    specialty = forms.CharField(max_length=60, required=False)
    locations = forms.ModelMultipleChoiceField(
        queryset=Location.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Where this provider sees patients.",
    )
    accepts_overbook = forms.BooleanField(
        required=False, label="Accepts overbooking (the front desk may book over a taken slot)"
    )
    colour = forms.CharField(
        max_length=7, initial="#2a6f97", widget=ColourInput, help_text="On the schedule."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = Location.objects.filter(active=True).order_by("name")


class RoomForm(forms.Form):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), error_messages=_required("location")
    )
    name = forms.CharField(max_length=40, error_messages=_required("room's name, e.g. Exam 3"))
    kind = forms.ChoiceField(choices=Room.KIND_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.order_by("name")


class AppointmentTypeForm(forms.Form):
    name = forms.CharField(max_length=60, error_messages=_required("name of the visit type"))
    code = forms.CharField(
        label="Short code",
        max_length=10,
        error_messages=_required("short code, e.g. NP or FU"),
        help_text="What the schedule prints in a small cell, e.g. NP, FU, PE.",
    )
    duration_minutes = forms.IntegerField(
        label="Minutes",
        error_messages={
            "required": "Enter how many minutes the visit takes.",
            "invalid": "Enter the minutes as a whole number, e.g. 20.",
        },
        help_text="5 to 480, in steps of 5.",
    )
    colour = forms.CharField(max_length=7, initial="#6c757d", widget=ColourInput)
    room_kind = forms.ChoiceField(
        label="Room needed",
        required=False,
        choices=[("", "No particular room"), *Room.KIND_CHOICES],
    )
    patient_status = forms.ChoiceField(label="For", choices=AppointmentType.PATIENT_STATUS_CHOICES)
    telehealth = forms.BooleanField(required=False, label="Telehealth (a video visit)")


class TimeInput(forms.TimeInput):
    input_type = "time"


class DateInput(forms.DateInput):
    input_type = "date"


class BlockForm(forms.Form):
    """One weekly block of a provider (the provider comes from the page)."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        error_messages={
            "required": "Choose the location.",
            "invalid_choice": "Choose one of the provider's locations (add the location to "
            "the provider first).",
        },
    )
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int, label="Day")
    start_time = forms.TimeField(
        label="From",
        widget=TimeInput,
        error_messages={
            "required": "Enter when the block starts, e.g. 8:00.",
            "invalid": "Enter a time such as 8:00 or 13:30.",
        },
    )
    end_time = forms.TimeField(
        label="To",
        widget=TimeInput,
        error_messages={
            "required": "Enter when the block ends, e.g. 12:00.",
            "invalid": "Enter a time such as 12:00 or 17:00.",
        },
    )
    appointment_types = forms.ModelMultipleChoiceField(
        queryset=AppointmentType.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Visit types it takes",
        help_text="None ticked: every type.",
    )
    slot_minutes = forms.IntegerField(
        label="Offer times every (minutes)",
        initial=15,
        error_messages={"invalid": "Enter the minutes as a whole number, e.g. 15."},
    )
    effective_from = forms.DateField(
        label="From date",
        widget=DateInput,
        initial=dt.date.today,
        error_messages={"invalid": "Enter a date such as 2026-03-02."},
    )
    effective_to = forms.DateField(
        label="Until (last day)",
        widget=DateInput,
        required=False,
        help_text="Empty: until changed.",
        error_messages={"invalid": "Enter a date such as 2026-12-31."},
    )

    def __init__(self, *args, provider: Provider, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = provider.locations.order_by("name")
        self.fields["appointment_types"].queryset = AppointmentType.objects.filter(
            active=True
        ).order_by("name")

    def clean(self):
        data = super().clean()
        first, last = data.get("effective_from"), data.get("effective_to")
        if first and last and last < first:
            self.add_error("effective_to", "The last day cannot be before the first day.")
        return data


class ExceptionForm(forms.Form):
    """Blocked time: who (a provider or everyone), where (a location or all), from and to."""

    kind = forms.ChoiceField(choices=ScheduleException.KIND_CHOICES, label="What")
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(),
        required=False,
        empty_label="Everyone",
        label="Who",
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="All locations"
    )
    all_day = forms.BooleanField(required=False, label="Whole days (times are ignored)")
    start_date = forms.DateField(
        label="From date",
        widget=DateInput,
        error_messages={
            "required": "Enter the first day.",
            "invalid": "Enter a date such as 2026-03-02.",
        },
    )
    start_time = forms.TimeField(
        label="From time",
        widget=TimeInput,
        required=False,
        error_messages={"invalid": "Enter a time such as 8:00."},
    )
    end_date = forms.DateField(
        label="To date",
        widget=DateInput,
        error_messages={
            "required": "Enter the last day.",
            "invalid": "Enter a date such as 2026-03-06.",
        },
    )
    end_time = forms.TimeField(
        label="To time",
        widget=TimeInput,
        required=False,
        error_messages={"invalid": "Enter a time such as 17:00."},
    )
    reason = forms.CharField(max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.order_by("last_name", "first_name")
        self.fields["location"].queryset = Location.objects.order_by("name")

    def clean(self):
        data = super().clean()
        if data.get("all_day"):
            first, last = data.get("start_date"), data.get("end_date")
            if first and last and last < first:
                self.add_error("end_date", "The last day cannot be before the first day.")
            return data
        for name, what in (("start_time", "starts"), ("end_time", "ends")):
            if name not in self.errors and data.get(name) is None:
                self.add_error(name, f"Enter when it {what}, or tick 'Whole days'.")
        return data
