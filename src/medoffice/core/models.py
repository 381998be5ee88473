"""The practice, its locations, the people who log in, and the PHI access log."""

from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models

from medoffice.core.validators import validate_npi

# CMS place-of-service codes a medical office bills with (a subset; more can be added).
PLACE_OF_SERVICE_CHOICES = [
    ("02", "02 Telehealth provided other than in patient's home"),
    ("10", "10 Telehealth provided in patient's home"),
    ("11", "11 Office"),
    ("12", "12 Home"),
    ("19", "19 Off campus outpatient hospital"),
    ("20", "20 Urgent care facility"),
    ("22", "22 On campus outpatient hospital"),
    ("49", "49 Independent clinic"),
    ("50", "50 Federally qualified health center"),
    ("71", "71 Public health clinic"),
    ("72", "72 Rural health clinic"),
]

US_STATE = RegexValidator(r"^[A-Z]{2}$", "Use the two-letter state code, e.g. NY.")
ZIP_CODE = RegexValidator(r"^\d{5}(\d{4})?$", "Use a 5-digit ZIP or ZIP+4 without the dash.")
PHONE = RegexValidator(r"^\+?1?\d{10}$", "Use a 10-digit phone number, e.g. 2125550100.")
TAX_ID = RegexValidator(r"^\d{9}$", "The tax id (EIN) has 9 digits, no dash.")


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a time zone name such as America/New_York.")


class Practice(models.Model):
    """The physician group this deployment serves: the billing entity on every claim."""

    name = models.CharField(max_length=120)
    group_npi = models.CharField("group NPI", max_length=10, validators=[validate_npi])
    tax_id = models.CharField("tax id (EIN)", max_length=9, validators=[TAX_ID])
    billing_address1 = models.CharField("billing address", max_length=55)
    billing_address2 = models.CharField("address line 2", max_length=55, blank=True)
    billing_city = models.CharField("city", max_length=30)
    billing_state = models.CharField("state", max_length=2, validators=[US_STATE])
    billing_zip = models.CharField("ZIP", max_length=9, validators=[ZIP_CODE])
    phone = models.CharField(max_length=15, validators=[PHONE], blank=True)

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    """An office where patients are seen; has its own time zone and place-of-service code."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=80, unique=True)
    address1 = models.CharField("address", max_length=55)
    address2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30)
    state = models.CharField(max_length=2, validators=[US_STATE])
    zip = models.CharField("ZIP", max_length=9, validators=[ZIP_CODE])
    phone = models.CharField(max_length=15, validators=[PHONE])
    time_zone = models.CharField(
        max_length=64, default="America/New_York", validators=[validate_time_zone]
    )
    place_of_service = models.CharField(
        "place of service", max_length=2, choices=PLACE_OF_SERVICE_CHOICES, default="11"
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def zone_or_none(self) -> zoneinfo.ZoneInfo | None:
        """:attr:`zone`, or None when the stored name is not a zone this machine knows."""
        try:
            return self.zone
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return None

    @classmethod
    def practice_zone(cls) -> zoneinfo.ZoneInfo | None:
        """The zone of the practice's first active office: the practice's own clock (None
        before there is an office)."""
        first = cls.objects.filter(active=True).order_by("pk").only("time_zone").first()
        return first.zone_or_none if first else None


class User(AbstractUser):
    """A person who logs in: staff, providers, auditors. Roles are Django groups."""

    home_location = models.ForeignKey(
        Location, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    require_two_factor = models.BooleanField(
        default=False, help_text="Ask for a one-time code from an authenticator app at login."
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class AccessLogEntry(models.Model):
    """One read or change of PHI by a person: append-only, each row HMAC-chained to the one before.

    ``position`` counts rows without gaps, so a removed row shows; ``entry_hash``
    covers every field and the previous row's hash, so an edited row shows.
    """

    position = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=20)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40)
    patient_id = models.BigIntegerField(null=True, db_index=True)
    ip_address = models.CharField(max_length=45, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["position"]
        indexes = [models.Index(fields=["user", "at"]), models.Index(fields=["patient_id", "at"])]
        verbose_name_plural = "access log entries"

    def __str__(self) -> str:
        return f"#{self.position} {self.username} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError("The access log is append-only; rows cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError("The access log is append-only; rows cannot be removed.")


class AccessLogHead(models.Model):
    """The chain's last position and hash, so removing rows from the end also shows."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1)
    position = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"access log head at #{self.position}"


class ApiToken(models.Model):
    """A bearer token an integration or script uses for the API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"API token of {self.user} ({self.label or 'unnamed'})"
