"""Patients, the payers that insure them, and each patient's insurance coverages."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.backends.ddl_references import Statement, Table
from django.db.models import F, Q
from django.db.models.functions import Collate, Upper
from django.utils import timezone

from medoffice.core.crypto import EncryptedTextField, identifier_hash
from medoffice.core.models import PHONE, US_STATE, ZIP_CODE, Location

MRN_DIGITS = 8  # a 7-digit sequence number and a Luhn check digit

X12_PAYER_ID = RegexValidator(
    r"^[A-Z0-9]{2,80}$", "The payer id has 2 to 80 capital letters or digits, e.g. 60054."
)
MEMBER_ID = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9 \-]{0,79}$",
    "The member id has up to 80 letters and digits (spaces and dashes are allowed).",
)
# Medicare Beneficiary Identifier: 11 characters; letters exclude S, L, O, I, B and Z.
MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"
_A, _AN = f"[{MBI_LETTERS}]", f"[{MBI_LETTERS}0-9]"
_MBI_RE = re.compile(f"^[1-9]{_A}{_AN}[0-9]{_A}{_AN}[0-9]{_A}{_A}[0-9][0-9]$")


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def mrn_from_sequence(number: int) -> str:
    """The MRN for the ``number``-th patient: 7 digits, then a Luhn check digit (10000017)."""
    if not 1 <= number <= 8_999_999:
        raise ValueError(f"MRN sequence number out of range: {number}")
    body = str(1_000_000 + number)
    return body + str(luhn_check_digit(body))


def validate_mrn(value: str) -> None:
    if len(value) != MRN_DIGITS or not value.isdigit():
        raise ValidationError("A medical record number (MRN) has 8 digits.", code="mrn_format")
    if luhn_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(
            "This MRN's last digit does not match its check digit; check for a typo.",
            code="mrn_check_digit",
        )


def mbi_ok(value: str) -> bool:
    """True when ``value`` has the shape of a Medicare Beneficiary Identifier (dashes ignored)."""
    return bool(_MBI_RE.match(value.replace("-", "").replace(" ", "").upper()))


class CaseInsensitivePrefixIndex(models.Index):
    """An index that serves ``field__istartswith`` (and ``iexact``) look-ups on both databases.

    Django turns ``last_name__istartswith="smi"`` into ``UPPER(last_name) LIKE
    'SMI%'`` on PostgreSQL, which only an index on ``UPPER(..)`` with the
    ``text_pattern_ops`` operator class can serve whatever the collation; on
    SQLite into ``last_name LIKE 'smi%'``, which needs an index in the NOCASE
    collation. This index is built the right way for the database at hand.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        columns = [model._meta.get_field(name).column for name in self.fields]
        vendor = schema_editor.connection.vendor
        if vendor == "postgresql":
            # Written out: Django's OpClass() needs django.contrib.postgres installed.
            qn = schema_editor.quote_name
            return Statement(
                "CREATE INDEX %(name)s ON %(table)s (%(columns)s)",
                name=qn(self.name),
                table=Table(model._meta.db_table, qn),
                columns=", ".join(f"(UPPER({qn(c)})) text_pattern_ops" for c in columns),
            )
        if vendor == "sqlite":
            parts = [Collate(F(name), "NOCASE") for name in self.fields]
        else:
            parts = [Upper(name) for name in self.fields]
        index = models.Index(*parts, name=self.name, condition=self.condition)
        return index.create_sql(model, schema_editor, using=using, **kwargs)


def validate_not_in_future(value: dt.date) -> None:
    if value > timezone.localdate():
        raise ValidationError("This date is in the future.", code="future_date")


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
    date_of_birth = models.DateField(validators=[validate_not_in_future])
    sex_at_birth = models.CharField(max_length=1, choices=SEX_CHOICES)
    gender_identity = models.CharField(max_length=20, choices=GENDER_IDENTITY_CHOICES, blank=True)

    address1 = models.CharField("address", max_length=55)
    address2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2, validators=[US_STATE])
    zip = models.CharField("ZIP", max_length=9, validators=[ZIP_CODE])
    phone_home = models.CharField("home phone", max_length=15, blank=True, validators=[PHONE])
    phone_mobile = models.CharField("mobile phone", max_length=15, blank=True, validators=[PHONE])
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
    guarantor_phone = models.CharField(max_length=15, blank=True, validators=[PHONE])

    emergency_contact_name = models.CharField(max_length=80, blank=True)
    emergency_contact_relationship = models.CharField(max_length=30, blank=True)
    emergency_contact_phone = models.CharField(max_length=15, blank=True, validators=[PHONE])

    home_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.PROTECT, related_name="patients"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            # Name search ("smi" finds Smith): last_name__istartswith, then first_name.
            CaseInsensitivePrefixIndex(
                fields=["last_name", "first_name"], name="patient_name_prefix_idx"
            ),
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

    @property
    def display_name(self) -> str:
        first = self.preferred_name or self.first_name
        return f"{first} {self.last_name}{' ' + self.name_suffix if self.name_suffix else ''}"

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


class Coverage(models.Model):
    """One insurance policy covering a patient, in a billing order (primary, secondary...).

    The member id is encrypted at rest; ``member_id_hash`` (a keyed hash of the
    normalised id) finds it exactly: set both with :meth:`set_member_id`, search
    with ``Coverage.objects.filter(member_id_hash=identifier_hash(typed))``.
    Patients who pay for themselves have no coverage, so no coverage names the
    self-pay payer. A coverage ends on ``end_date`` (inclusive) or is open-ended.
    """

    PRIMARY, SECONDARY, TERTIARY = 1, 2, 3
    ORDER_CHOICES = [(PRIMARY, "Primary"), (SECONDARY, "Secondary"), (TERTIARY, "Tertiary")]
    SELF = "self"
    RELATIONSHIP_CHOICES = [
        (SELF, "Self"),
        ("spouse", "Spouse"),
        ("child", "Child"),
        ("other", "Other"),
    ]
    # Individual relationship codes for the 837P SBR02 / PAT01 segments.
    X12_RELATIONSHIP = {SELF: "18", "spouse": "01", "child": "19", "other": "G8"}

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    order = models.PositiveSmallIntegerField(choices=ORDER_CHOICES, default=PRIMARY)
    member_id = EncryptedTextField(validators=[MEMBER_ID])
    member_id_hash = models.CharField(max_length=64, editable=False)
    group_number = models.CharField(max_length=50, blank=True)
    subscriber_relationship = models.CharField(
        "patient's relationship to the subscriber",
        max_length=6,
        choices=RELATIONSHIP_CHOICES,
        default=SELF,
    )
    subscriber_first_name = models.CharField(max_length=35, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Patient.SEX_CHOICES, blank=True)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True, help_text="Last covered day; empty if open.")

    class Meta:
        ordering = ["patient_id", "order", "-effective_date"]
        indexes = [models.Index(fields=["member_id_hash"], name="coverage_member_id_hash_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("effective_date")),
                name="coverage_end_not_before_effective",
                violation_error_message="The end date cannot be before the effective date.",
            ),
            models.CheckConstraint(
                condition=Q(order__in=[1, 2, 3]),
                name="coverage_order_1_to_3",
                violation_error_message="Order is 1 (primary), 2 (secondary) or 3 (tertiary).",
            ),
            models.CheckConstraint(
                condition=~Q(member_id_hash=""),
                name="coverage_member_id_hash_set",
                violation_error_message="Set the member id with set_member_id().",
            ),
            models.CheckConstraint(
                condition=Q(subscriber_relationship="self")
                | (
                    ~Q(subscriber_first_name="")
                    & ~Q(subscriber_last_name="")
                    & Q(subscriber_date_of_birth__isnull=False)
                ),
                name="coverage_subscriber_named",
                violation_error_message=(
                    "When the patient is not the subscriber, enter the subscriber's "
                    "name and date of birth."
                ),
            ),
            models.UniqueConstraint(
                fields=["patient", "order", "effective_date"],
                name="coverage_one_per_order_and_start",
                violation_error_message=(
                    "The patient already has a coverage in this order starting that day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} — {self.payer} ({self.get_order_display().lower()})"

    def set_member_id(self, raw: str) -> None:
        """Store the member id as typed (trimmed) and its search hash."""
        self.member_id = raw.strip()
        self.member_id_hash = identifier_hash(self.member_id)

    def is_active_on(self, day: dt.date) -> bool:
        return self.effective_date <= day and (self.end_date is None or day <= self.end_date)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.member_id and self.member_id_hash != identifier_hash(self.member_id):
            self.member_id_hash = identifier_hash(self.member_id)
        payer = self.payer if self.payer_id else None
        if payer is not None and payer.kind == Payer.SELF_PAY:
            errors["payer"] = "Self-pay is not insurance: a self-pay patient has no coverage."
        medicare = payer is not None and payer.kind == Payer.MEDICARE
        if medicare and self.member_id and not mbi_ok(self.member_id):
            errors["member_id"] = (
                "A Medicare member id (MBI) has 11 characters such as 1EG4-TE5-MK73."
            )
        if self.subscriber_relationship != self.SELF:
            if not self.subscriber_first_name:
                errors["subscriber_first_name"] = "Enter the subscriber's first name."
            if not self.subscriber_last_name:
                errors["subscriber_last_name"] = "Enter the subscriber's last name."
            if not self.subscriber_date_of_birth:
                errors["subscriber_date_of_birth"] = "Enter the subscriber's date of birth."
        if self.end_date and self.effective_date and self.end_date < self.effective_date:
            errors["end_date"] = "The end date cannot be before the effective date."
        if errors:
            raise ValidationError(errors)
