"""Forms of the schedule pages: filters, booking from a slot, the appointment's actions, wait times.

Forms only read and check what was typed; the services decide whether the
schedule allows it (their DomainError lands on the form field it names).
"""

from __future__ import annotations

import datetime as dt

from django import forms

from medoffice.core.models import Location
from medoffice.scheduling.day_view import BY_PROVIDER, BY_ROOM, DEFAULT_STEP, STEP_CHOICES
from medoffice.scheduling.models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    Provider,
    Room,
)

EARLIEST = dt.date(2000, 1, 1)
LATEST = dt.date(2100, 12, 31)
MAX_ID = 2**63 - 1
MAX_RANGE_DAYS = 366


def in_supported_years(day: dt.date | None, label: str = "The date") -> dt.date | None:
    if day is not None and not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(f"{label} must be between 2000 and 2100.")
    return day


def parse_clock(value: str | None) -> dt.time | None:
    """ "9:30", "09:30" or "9:30:00" as a time of day; None when it is not one."""
    try:
        parts = [int(p) for p in (value or "").strip().split(":")]
    except ValueError:
        return None
    if len(parts) not in (2, 3) or not (0 <= parts[0] <= 23 and 0 <= parts[1] <= 59):
        return None
    return dt.time(parts[0], parts[1])


class PlainForm(forms.Form):
    """Labels without Django's trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RoomChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__({"step": 300, **(attrs or {})}, format="%H:%M")


class ScheduleFilterForm(forms.Form):
    """The day and week views' filters; anything unreadable falls back to the default."""

    location = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    date = forms.DateField(required=False, widget=DateInput())
    by = forms.ChoiceField(required=False, choices=[(BY_PROVIDER, "Providers"), (BY_ROOM, "Rooms")])
    step = forms.TypedChoiceField(
        required=False,
        coerce=int,
        choices=[(s, f"{s} min") for s in STEP_CHOICES],
        empty_value=DEFAULT_STEP,
    )
    show = forms.BooleanField(required=False)

    def clean_date(self):
        return in_supported_years(self.cleaned_data.get("date"))

    def value(self, name: str, default=None):
        """The cleaned value of ``name``, or ``default`` when it was missing or unreadable."""
        self.is_valid()
        if name in self.errors:
            return default
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value


class BookingForm(PlainForm):
    """Book a visit from an empty slot of the day view."""

    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True), widget=forms.HiddenInput
    )
    patient = forms.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        error_messages={"required": "Search for the patient and choose one from the list."},
    )
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), empty_label=None)
    appointment_type = forms.ModelChoiceField(
        label="Visit type",
        queryset=AppointmentType.objects.filter(active=True),
        empty_label="Choose…",
    )
    date = forms.DateField(widget=DateInput())
    time = forms.TimeField(label="Start", widget=TimeInput())
    room = RoomChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="Pick a free room automatically",
    )
    notes = forms.CharField(
        label="Note for the front desk",
        required=False,
        max_length=Appointment.NOTES_MAX,
        help_text="e.g. needs an interpreter. Never clinical notes.",
    )
    allow_outside_template = forms.BooleanField(
        label="Book outside the provider's hours (override)", required=False
    )
    overbook_reason = forms.CharField(
        label="Overbook reason",
        required=False,
        max_length=200,
        help_text="Only to book over a taken time, for a provider who accepts it.",
    )
    repeat_weeks = forms.TypedChoiceField(
        label="Repeats",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Does not repeat")]
        + [(n, "Every week" if n == 1 else f"Every {n} weeks") for n in (1, 2, 3, 4, 6, 8, 12)],
    )
    repeat_count = forms.IntegerField(
        label="Number of visits",
        required=False,
        min_value=2,
        max_value=AppointmentSeries.MAX_OCCURRENCES,
        help_text="Or give the last date instead.",
    )
    repeat_until = forms.DateField(label="Last date", required=False, widget=DateInput())

    def __init__(self, *args, location: Location | None = None, types=None, **kwargs):
        super().__init__(*args, **kwargs)
        if location is not None:
            self.fields["provider"].queryset = Provider.objects.filter(
                locations=location, active=True
            ).order_by("last_name", "first_name")
            self.fields["room"].queryset = Room.objects.filter(
                location=location, active=True
            ).order_by("name")
        if types is not None:
            self.fields["appointment_type"].queryset = AppointmentType.objects.filter(
                pk__in=[t.pk for t in types]
            ).order_by("name")

    def clean_date(self):
        return in_supported_years(self.cleaned_data.get("date"))

    def clean_repeat_until(self):
        value = self.cleaned_data.get("repeat_until")
        return in_supported_years(value, "The last date") if value else None

    def clean(self):
        data = super().clean()
        if data.get("repeat_weeks"):
            count, until = data.get("repeat_count"), data.get("repeat_until")
            if count is None and until is None and "repeat_count" not in self.errors:
                self.add_error("repeat_count", "Give the number of visits or the last date.")
            elif count is not None and until is not None:
                self.add_error(
                    "repeat_until", "Give the number of visits or the last date, not both."
                )
            if data.get("overbook_reason"):
                self.add_error(
                    "overbook_reason", "Overbook single visits only, not a repeating series."
                )
        return data


class CancelForm(PlainForm):
    reason = forms.CharField(
        max_length=200,
        error_messages={"required": "Say why the appointment is cancelled."},
    )


class RescheduleForm(PlainForm):
    date = forms.DateField(label="New date", widget=DateInput())
    time = forms.TimeField(label="New start", widget=TimeInput())
    provider = forms.ModelChoiceField(queryset=Provider.objects.none(), empty_label=None)
    allow_outside_template = forms.BooleanField(
        label="Outside the provider's hours (override)", required=False
    )
    reason = forms.CharField(label="Why", required=False, max_length=200)

    def __init__(self, *args, location: Location | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if location is not None:
            self.fields["provider"].queryset = Provider.objects.filter(
                locations=location, active=True
            ).order_by("last_name", "first_name")

    def clean_date(self):
        return in_supported_years(self.cleaned_data.get("date"))


class StepForm(PlainForm):
    """One step of the patient flow (and the room, when rooming)."""

    step = forms.ChoiceField(choices=[(s, s) for s in Appointment.FLOW_STEPS])
    room = RoomChoiceField(queryset=Room.objects.none(), required=False)
    reason = forms.CharField(required=False, max_length=200)

    def __init__(self, *args, location: Location | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if location is not None:
            self.fields["room"].queryset = Room.objects.filter(location=location, active=True)


class WaitTimesForm(PlainForm):
    location = forms.ModelChoiceField(
        queryset=Location.objects.filter(active=True).order_by("name"), empty_label=None
    )
    start = forms.DateField(label="From", widget=DateInput())
    end = forms.DateField(label="To (inclusive)", widget=DateInput())

    def clean_start(self):
        return in_supported_years(self.cleaned_data.get("start"), "The first day")

    def clean_end(self):
        return in_supported_years(self.cleaned_data.get("end"), "The last day")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The last day cannot be before the first day.")
            elif (end - start).days >= MAX_RANGE_DAYS:
                self.add_error("end", "Choose at most a year (366 days) at a time.")
        return data
