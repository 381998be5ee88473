"""Billing's forms: they read what was typed; the services judge it (field errors come back)."""

from __future__ import annotations

from django import forms

from medoffice.billing.models import Claim
from medoffice.billing.services.fee_import import KINDS
from medoffice.core.models import PLACE_OF_SERVICE_CHOICES
from medoffice.patients.models import Payer
from medoffice.scheduling.models import Provider

PAGE_SIZE = 50


class ServiceForm(forms.Form):
    code = forms.CharField(max_length=20, help_text="CPT (99213) or HCPCS (J1100).")
    modifiers = forms.CharField(max_length=40, required=False, help_text="Up to 4, e.g. 25 59.")
    description = forms.CharField(max_length=200, help_text="Our own short wording.")
    standard_charge = forms.CharField(max_length=20, label="Standard charge ($ per unit)")
    rvus = forms.CharField(max_length=20, required=False, label="RVUs")
    active = forms.BooleanField(required=False, initial=True)


class PayerFeeForm(forms.Form):
    payer = forms.ModelChoiceField(Payer.objects.exclude(kind=Payer.SELF_PAY))
    allowed_amount = forms.CharField(max_length=20, label="Allowed amount ($)")
    effective_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), help_text="Empty: open."
    )


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", "Tell from the header"), *KINDS.items()], required=False)
    file = forms.FileField(help_text="CSV, UTF-8, at most 2 MB.")


class ServiceSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Code or words")
    status = forms.ChoiceField(
        required=False,
        choices=[("active", "Active"), ("inactive", "Inactive"), ("all", "All")],
    )


class ClaimFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Claim no. or last name", max_length=60)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Claim.STATUS_CHOICES])
    payer = forms.ModelChoiceField(
        Payer.objects.exclude(kind=Payer.SELF_PAY), required=False, empty_label="Any payer"
    )
    since = forms.DateField(
        required=False, label="Visits from", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="to", widget=forms.DateInput(attrs={"type": "date"})
    )


class ChargeHeaderForm(forms.Form):
    rendering_provider = forms.ModelChoiceField(Provider.objects.filter(active=True))
    billing_provider = forms.ModelChoiceField(
        Provider.objects.filter(active=True),
        required=False,
        empty_label="The practice (group NPI)",
    )
    place_of_service = forms.ChoiceField(choices=[("", "—"), *PLACE_OF_SERVICE_CHOICES])
    referring_name = forms.CharField(max_length=95, required=False, label="Referring provider")
    referring_npi = forms.CharField(max_length=20, required=False, label="Referring NPI")
    prior_authorization = forms.CharField(
        max_length=50, required=False, label="Prior authorization no."
    )
