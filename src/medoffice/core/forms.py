from __future__ import annotations

from django import forms


class AccessLogFilterForm(forms.Form):
    patient = forms.IntegerField(
        required=False,
        min_value=1,
        label="Patient id",
        error_messages={"invalid": "Enter the patient's number (digits only)."},
    )
    user = forms.CharField(required=False, max_length=150, label="User name")
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date is before the start date.")
        return data
