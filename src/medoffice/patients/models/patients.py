"""Payers and patients."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from medoffice.core.models import PHONE, US_STATE, ZIP_CODE, Location
from medoffice.patients.models.identifiers import (
    MRN_DIGITS,
    X12_PAYER_ID,
    SearchKeyField,
    validate_birth_date,
    validate_mrn,
    validate_us_phone,
)
from medoffice.patients.search_keys import name_key, phone_key, sound_keys


class Payer(models.Model):
    """An insurer (or self-pay) the office bills: Medicare, Medicaid, a commercial plan.

    ``payer_id`` is the id clearinghouses use in X12 (837P NM1*PR, 835 N1*PR).
    The one self-pay payer is the financial class for visits nothing covers:
    patients who pay for themselves have *no* coverage rows, and a coverage can
    never name the self-pay payer (see :class:`Coverage`).
    """

    MEDICARE = "medicare"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"
    SELF_PAY = "self_pay"
    OTHER = "other"
    KIND_CHOICES = [
        (MEDICARE, "Medicare"),
        (MEDICAID, "Medicaid"),
        (COMMERCIAL, "Commercial"),
        (SELF_PAY, "Self-pay"),
        (OTHER, "Other (workers' comp, auto, Tricare...)"),
    ]

    name = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    payer_id = models.CharField(
        "EDI payer id",
        max_length=80,
        blank=True,
        validators=[X12_PAYER_ID],
        help_text="The payer's id for electronic claims (X12), from the clearinghouse list.",
    )
    address1 = models.CharField("claims address", max_length=55, blank=True)
    address2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[US_STATE])
    zip = models.CharField("ZIP", max_length=9, blank=True, validators=[ZIP_CODE])
    phone = models.CharField(max_length=15, blank=True, validators=[PHONE])
    timely_filing_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="Days after the visit within which the claim must reach the payer.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind != self.SELF_PAY and not self.payer_id:
            raise ValidationError(
                {"payer_id": "Enter the EDI payer id; claims cannot be sent without it."}
            )
        if self.kind == self.SELF_PAY and self.payer_id:
            raise ValidationError({"payer_id": "Self-pay has no EDI payer id; leave it empty."})


# The columns search reads, and the ones they are computed from.
SEARCH_SOURCES = frozenset({"first_name", "last_name", "phone_home", "phone_mobile"})
SEARCH_KEYS = (
    "search_last",
    "search_first",
    "last_soundex",
    "last_metaphone",
    "first_soundex",
    "first_metaphone",
    "phone_home_key",
    "phone_mobile_key",
)


class PatientQuerySet(models.QuerySet):
    """Bulk writes keep the search keys too (the demo seed and imports insert in bulk).

    ``.update()`` of a name or phone does not: change those through a service.
    """

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.refresh_search_keys()
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs, fields = list(objs), list(fields)
        if SEARCH_SOURCES.intersection(fields):
            for obj in objs:
                obj.refresh_search_keys()
            fields += [f for f in SEARCH_KEYS if f not in fields]
        return super().bulk_update(objs, fields, *args, **kwargs)


class Patient(models.Model):
    """A person the office sees: who they are, how to reach them, who pays their bills.

    The guarantor (who receives statements) is the patient unless
    ``guarantor_relationship`` says otherwise; minors always have another
    guarantor. Contact consents record the date they were given; reminders use
    a channel only with its consent and within the contact hours.
    """

    SEX_CHOICES = [("F", "Female"), ("M", "Male"), ("U", "Unknown")]  # X12 DMG03
    GENDER_IDENTITY_CHOICES = [
        ("female", "Female"),
        ("male", "Male"),
        ("transgender_female", "Transgender female"),
        ("transgender_male", "Transgender male"),
        ("nonbinary", "Non-binary"),
        ("other", "Other"),
        ("declined", "Chose not to say"),
    ]
    SMS = "sms"
    EMAIL = "email"
    VOICE = "voice"
    MAIL = "mail"
    CONTACT_CHOICES = [
        (SMS, "Text message"),
        (EMAIL, "Email"),
        (VOICE, "Phone call"),
        (MAIL, "Mail"),
    ]
    GUARANTOR_SELF = "self"
    GUARANTOR_CHOICES = [
        (GUARANTOR_SELF, "Self"),
        ("parent", "Parent"),
        ("spouse", "Spouse"),
        ("legal_guardian", "Legal guardian"),
        ("other", "Other"),
    ]
    ADULT_AGE = 18

    mrn = models.CharField(
        "MRN", max_length=MRN_DIGITS, unique=True, editable=False, validators=[validate_mrn]
    )
    first_name = models.CharField(max_length=35)
    middle_name = models.CharField(max_length=25, blank=True)
    last_name = models.CharField(max_length=60)
    name_suffix = models.CharField("suffix", max_length=10, blank=True, help_text="Jr, Sr, III")
    preferred_name = models.CharField(max_length=35, blank=True)
    date_of_birth = models.DateField(validators=[validate_birth_date])
    sex_at_birth = models.CharField(max_length=1, choices=SEX_CHOICES)
    gender_identity = models.CharField(max_length=20, choices=GENDER_IDENTITY_CHOICES, blank=True)

    address1 = models.CharField("address", max_length=55)
    address2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2, validators=[US_STATE])
    zip = models.CharField("ZIP", max_length=9, validators=[ZIP_CODE])
    phone_home = models.CharField(
        "home phone", max_length=15, blank=True, validators=[PHONE, validate_us_phone]
    )
    phone_mobile = models.CharField(
        "mobile phone", max_length=15, blank=True, validators=[PHONE, validate_us_phone]
    )
    email = models.EmailField(blank=True)

    preferred_contact = models.CharField(
        "preferred contact channel", max_length=5, choices=CONTACT_CHOICES, default=MAIL
    )
    contact_hours_start = models.TimeField(default=dt.time(9, 0))
    contact_hours_end = models.TimeField(default=dt.time(18, 0))
    consent_sms = models.BooleanField("agrees to text messages", default=False)
    consent_sms_on = models.DateField("text consent given on", null=True, blank=True)
    consent_email = models.BooleanField("agrees to email", default=False)
    consent_email_on = models.DateField("email consent given on", null=True, blank=True)
    consent_voice = models.BooleanField("agrees to automated calls", default=False)
    consent_voice_on = models.DateField("call consent given on", null=True, blank=True)

    guarantor_relationship = models.CharField(
        max_length=14, choices=GUARANTOR_CHOICES, default=GUARANTOR_SELF
    )
    guarantor_first_name = models.CharField(max_length=35, blank=True)
    guarantor_last_name = models.CharField(max_length=60, blank=True)
    guarantor_date_of_birth = models.DateField(null=True, blank=True)
    guarantor_address1 = models.CharField(max_length=55, blank=True)
    guarantor_city = models.CharField(max_length=30, blank=True)
    guarantor_state = models.CharField(max_length=2, blank=True, validators=[US_STATE])
    guarantor_zip = models.CharField(max_length=9, blank=True, validators=[ZIP_CODE])
    guarantor_phone = models.CharField(
        max_length=15, blank=True, validators=[PHONE, validate_us_phone]
    )

    emergency_contact_name = models.CharField(max_length=80, blank=True)
    emergency_contact_relationship = models.CharField(max_length=30, blank=True)
    emergency_contact_phone = models.CharField(
        max_length=15, blank=True, validators=[PHONE, validate_us_phone]
    )

    home_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="patients"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="merged_duplicates",
        help_text="The surviving record this duplicate was merged into.",
    )

    # Search keys (see search_keys.py), derived from the names and phones on every save.
    search_last = SearchKeyField(max_length=60, editable=False, default="")
    search_first = SearchKeyField(max_length=35, editable=False, default="")
    last_soundex = SearchKeyField(max_length=4, editable=False, default="")
    last_metaphone = SearchKeyField(max_length=60, editable=False, default="")
    first_soundex = SearchKeyField(max_length=4, editable=False, default="")
    first_metaphone = SearchKeyField(max_length=35, editable=False, default="")
    phone_home_key = SearchKeyField(max_length=10, editable=False, default="")
    phone_mobile_key = SearchKeyField(max_length=10, editable=False, default="")

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            # Name search: "smi jo" is a range on search_last, then search_first, already
            # in the order the results are shown (so LIMIT stops early).
            models.Index(
                fields=["search_last", "search_first", "date_of_birth"],
                name="patient_name_search_idx",
            ),
            # Misspelt names: the distinct last names that sound alike (index-only scans).
            models.Index(fields=["last_soundex", "search_last"], name="patient_last_soundex_idx"),
            models.Index(
                fields=["last_metaphone", "search_last"], name="patient_last_metaphone_idx"
            ),
            models.Index(fields=["phone_mobile_key"], name="patient_phone_mobile_idx"),
            models.Index(fields=["phone_home_key"], name="patient_phone_home_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_hours_end__gt=F("contact_hours_start")),
                name="patient_contact_hours_order",
                violation_error_message="Contact hours must end after they start.",
            ),
            *[
                models.CheckConstraint(
                    condition=Q(**{f"consent_{c}": False})
                    | Q(**{f"consent_{c}_on__isnull": False}),
                    name=f"patient_consent_{c}_dated",
                    violation_error_message=f"Record the date the {c} consent was given.",
                )
                for c in ("sms", "email", "voice")
            ],
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        # The keys are derived data, like an index: kept here so no write path forgets them.
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and SEARCH_SOURCES.intersection(update_fields):
            kwargs["update_fields"] = {*update_fields, *SEARCH_KEYS}
        super().save(*args, **kwargs)

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}{' ' + self.name_suffix if self.name_suffix else ''}"

    def refresh_search_keys(self) -> None:
        """Set the search key columns from the names and phones."""
        self.search_last = name_key(self.last_name)[:60]
        self.search_first = name_key(self.first_name)[:35]
        self.last_soundex, self.last_metaphone = sound_keys(self.search_last)
        self.first_soundex, first_metaphone = sound_keys(self.search_first)
        self.first_metaphone = first_metaphone[:35]
        self.phone_home_key = phone_key(self.phone_home)
        self.phone_mobile_key = phone_key(self.phone_mobile)

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def age_on(self, day: dt.date) -> int:
        """Whole years of age on ``day``."""
        before_birthday = (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - before_birthday

    def clean(self) -> None:
        errors: dict[str, str] = {}
        channel = self.preferred_contact
        if channel == self.SMS and not self.phone_mobile:
            errors["phone_mobile"] = "Text messages need a mobile phone number."
        if channel == self.EMAIL and not self.email:
            errors["email"] = "Enter an email address, or choose another contact channel."
        if channel == self.VOICE and not (self.phone_mobile or self.phone_home):
            errors["phone_home"] = "Phone calls need a home or mobile number."
        consented = getattr(self, f"consent_{channel}", True)
        if not consented:
            how = self.get_preferred_contact_display().lower()
            errors[f"consent_{channel}"] = f"The patient has not agreed to be contacted by {how}."
        for c in ("sms", "email", "voice"):
            if getattr(self, f"consent_{c}") and not getattr(self, f"consent_{c}_on"):
                errors[f"consent_{c}_on"] = "Enter the date the consent was given."
        if self.guarantor_relationship != self.GUARANTOR_SELF:
            if not self.guarantor_first_name:
                errors["guarantor_first_name"] = "Enter the guarantor's first name."
            if not self.guarantor_last_name:
                errors["guarantor_last_name"] = "Enter the guarantor's last name."
        elif self.date_of_birth and self.age_on(timezone.localdate()) < self.ADULT_AGE:
            errors["guarantor_relationship"] = (
                "A patient under 18 needs a parent or guardian as guarantor."
            )
        if errors:
            raise ValidationError(errors)
