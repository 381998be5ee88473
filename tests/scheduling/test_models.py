"""Providers and rooms: the identifiers claims carry, and one room name per location."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from medoffice.core.models import Location
from medoffice.scheduling.models import Provider, Room


def _provider(**fields) -> Provider:
    values = {
        "first_name": "Ana",
        "last_name": "Reyes",
        "credentials": "MD",
        "npi": "1234567893",
        "taxonomy_code": "207Q00000X",
    }
    values.update(fields)
    return Provider(**values)


def test_a_provider_with_a_valid_npi_passes(db):
    provider = _provider()
    provider.full_clean()

    assert provider.display_name == "Ana Reyes, MD"


def test_an_npi_with_a_wrong_check_digit_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        _provider(npi="1234567890").full_clean()

    assert "check digit" in caught.value.message_dict["npi"][0]


def test_a_malformed_taxonomy_code_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        _provider(taxonomy_code="207Q0000").full_clean()

    assert "taxonomy" in caught.value.message_dict["taxonomy_code"][0]


def test_room_names_are_unique_within_a_location_only(location, practice):
    Room.objects.create(location=location, name="Exam 1")
    elsewhere = Location.objects.create(
        practice=practice,
        name="Eastside",
        address1="9 Elm St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550101",
    )
    Room.objects.create(location=elsewhere, name="Exam 1")

    with pytest.raises(ValidationError) as caught:
        Room(location=location, name="Exam 1").full_clean()
    assert "already has a room" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Room.objects.create(location=location, name="Exam 1")
