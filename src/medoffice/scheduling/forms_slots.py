"""Forms of the "Next available" and "Waitlist" pages.

They only read and check what was typed; the finder and the services decide
what the schedule allows (their DomainError lands on the field it names).
"""

from __future__ import annotations

import datetime as dt

from django import forms

from medoffice.core.models import Location
from medoffice.scheduling.models import (
    WEEKDAY_CHOICES,
    Appointment,
    AppointmentType,
    Provider,
    WaitlistEntry,
)
from medoffice.scheduling.slots import (
    AFTERNOON,
    ANY_TIME,
    MAX_WINDOW_DAYS,
    MORNING,
    TimeRange,
)

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1
BETWEEN = "between"
TIME_CHOICES = [
    (ANY_TIME, "Any time"),
    (MORNING, "Morning (before 12:00)"),
    (AFTERNOON, "Afternoon (from 12:00)"),
    (BETWEEN, "Between…"),
]
LIMIT_CHOICES = [(10, "10"), (20, "20"), (50, "50")]
SHORT_WEEKDAYS = [(day, name[:3]) for day, name in WEEKDAY_CHOICES]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__({"step": 300, **(attrs or {})}, format="%H:%M")


class ProviderChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


class PlainForm(forms.Form):
    """Labels without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _in_years(day: dt.date | None, label: str) -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(f"{label} must be between 2000 and 2100.")
    return day


def active_types():
    return AppointmentType.objects.filter(active=True).order_by("name")


def active_providers():
    return Provider.objects.filter(active=True).order_by("last_name", "first_name")


def active_locations():
    return Location.objects.filter(active=True).order_by("name")


class NextAvailableForm(PlainForm):
    """What the patient on the phone wants: the visit, with whom, where, from when, which days."""

    appointment_type = forms.ModelChoiceField(
        label="Visit type",
        queryset=AppointmentType.objects.none(),
        empty_label="Choose…",
        error_messages={
            "required": "Choose the visit type.",
            "invalid_choice": "Choose a visit type from the list.",
        },
    )
    providers = ProviderChoices(
        label="Providers",
        queryset=Provider.objects.none(),
        required=False,
        help_text="None chosen = any provider.",
        error_messages={"invalid_choice": "Choose providers from the list."},
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(),
        required=False,
        empty_label="Any location",
        error_messages={"invalid_choice": "Choose a location from the list."},
    )
    from_date = forms.DateField(label="From", required=False, widget=DateInput())
    to_date = forms.DateField(
        label="To (inclusive)",
        required=False,
        widget=DateInput(),
        help_text="Empty = 90 days on.",
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days",
        coerce=int,
        choices=SHORT_WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any day.",
    )
    time_of_day = forms.ChoiceField(
        label="Time of day", choices=TIME_CHOICES, required=False, initial=ANY_TIME
    )
    time_from = forms.TimeField(label="From", required=False, widget=TimeInput())
    time_to = forms.TimeField(label="To", required=False, widget=TimeInput())
    limit = forms.TypedChoiceField(
        label="Show", coerce=int, choices=LIMIT_CHOICES, required=False, empty_value=10
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = active_types()
        self.fields["providers"].queryset = active_providers()
        self.fields["location"].queryset = active_locations()

    def clean_from_date(self):
        return _in_years(self.cleaned_data.get("from_date"), "The first day")

    def clean_to_date(self):
        return _in_years(self.cleaned_data.get("to_date"), "The last day")

    def clean(self):
        data = super().clean()
        first, last = data.get("from_date"), data.get("to_date")
        if first and last:
            if last < first:
                self.add_error("to_date", "The last day cannot be before the first day.")
            elif (last - first).days >= MAX_WINDOW_DAYS:
                self.add_error("to_date", f"Search at most {MAX_WINDOW_DAYS} days at a time.")
        if data.get("time_of_day") == BETWEEN:
            start, end = data.get("time_from"), data.get("time_to")
            if start is None:
                self.add_error("time_from", "Give the earliest start.")
            if end is None:
                self.add_error("time_to", "Give the time the visit must end by.")
            if start is not None and end is not None and end <= start:
                self.add_error("time_to", "The end must be after the start.")
        return data

    def preferred_times(self):
        """The finder's ``preferred_times`` for what was chosen."""
        choice = self.cleaned_data.get("time_of_day") or ANY_TIME
        if choice == BETWEEN:
            return TimeRange(self.cleaned_data["time_from"], self.cleaned_data["time_to"])
        return None if choice == ANY_TIME else choice


class SlotForm(PlainForm):
    """One slot offered on the page, carried in the Book link, and the patient to book into it."""

    provider = forms.ModelChoiceField(queryset=Provider.objects.none())
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    appointment_type = forms.ModelChoiceField(queryset=AppointmentType.objects.none())
    start = forms.DateTimeField(input_formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"])
    patient = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        required=False,
        error_messages={"required": "Search for the patient and choose one from the list."},
    )
    notes = forms.CharField(
        label="Note for the front desk",
        required=False,
        max_length=Appointment.NOTES_MAX,
        help_text="e.g. needs an interpreter. Never clinical notes.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = Provider.objects.all()
        self.fields["location"].queryset = Location.objects.all()
        self.fields["appointment_type"].queryset = AppointmentType.objects.all()

    def clean_start(self):
        start = self.cleaned_data.get("start")
        if start is not None and start.tzinfo is None:
            raise forms.ValidationError("The slot's time has no time zone; search again.")
        return start


class WaitlistFilterForm(PlainForm):
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Any location"
    )
    provider = forms.ModelChoiceField(
        queryset=Provider.objects.none(), required=False, empty_label="Any provider"
    )
    appointment_type = forms.ModelChoiceField(
        label="Visit type",
        queryset=AppointmentType.objects.none(),
        required=False,
        empty_label="Any type",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = active_locations()
        self.fields["provider"].queryset = active_providers()
        self.fields["appointment_type"].queryset = active_types()

    def value(self, name: str):
        """The cleaned value, or None when missing or not one of the choices."""
        if not self.is_bound:
            return None
        self.is_valid()
        return None if name in self.errors else self.cleaned_data.get(name)


class WaitlistEntryForm(PlainForm):
    """A patient who wants an earlier visit than the schedule gave them."""

    patient = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"required": "Search for the patient and choose one from the list."},
    )
    appointment_type = forms.ModelChoiceField(
        label="Visit type", queryset=AppointmentType.objects.none(), empty_label="Choose…"
    )
    providers = ProviderChoices(
        queryset=Provider.objects.none(),
        required=False,
        help_text="None chosen = any provider.",
    )
    location = forms.ModelChoiceField(
        queryset=Location.objects.none(), required=False, empty_label="Any location"
    )
    earliest_date = forms.DateField(label="Earliest day", widget=DateInput())
    latest_date = forms.DateField(label="Latest day", widget=DateInput())
    preferred_weekdays = forms.TypedMultipleChoiceField(
        label="Days",
        coerce=int,
        choices=SHORT_WEEKDAYS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked = any day.",
    )
    preferred_time = forms.ChoiceField(
        label="Time of day", choices=WaitlistEntry.TIME_CHOICES, initial=WaitlistEntry.ANY_TIME
    )
    note = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment_type"].queryset = active_types()
        self.fields["providers"].queryset = active_providers()
        self.fields["location"].queryset = active_locations()

    def clean_earliest_date(self):
        return _in_years(self.cleaned_data.get("earliest_date"), "The earliest day")

    def clean_latest_date(self):
        return _in_years(self.cleaned_data.get("latest_date"), "The latest day")


class RemoveForm(PlainForm):
    reason = forms.CharField(required=False, max_length=200)
