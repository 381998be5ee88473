"""Member ids are encrypted at rest, readable through the model, findable by keyed hash,
and survive a key rotation."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.db import connection
from django.test import override_settings

from medoffice.core import crypto
from medoffice.patients.models import Coverage

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw_member_id(coverage: Coverage) -> str:
    table = Coverage._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT member_id FROM {table} WHERE id = %s", [coverage.pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_round_trip_hides_the_text_and_differs_every_time():
    token = crypto.encrypt("PHP123456789")

    assert "PHP123456789" not in token
    assert crypto.decrypt(token) == "PHP123456789"
    assert crypto.encrypt("PHP123456789") != token


def test_a_rotated_key_list_still_reads_what_the_old_key_wrote():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        old_token = crypto.encrypt("1EG4TE5MK73")

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto.decrypt(old_token) == "1EG4TE5MK73"
        new_token = crypto.encrypt("1EG4TE5MK73")
        rotated = crypto.reencrypt(old_token)

    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]),
        pytest.raises(crypto.DecryptionError, match="MEDOFFICE_FIELD_KEYS"),
    ):
        crypto.decrypt(new_token)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert crypto.decrypt(rotated) == "1EG4TE5MK73"
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(old_token)


def test_identifier_hash_ignores_case_spaces_and_dashes_and_depends_on_the_key():
    assert crypto.identifier_hash(" php-1234 56789 ") == crypto.identifier_hash("PHP123456789")
    assert crypto.identifier_hash("PHP123456789") != crypto.identifier_hash("PHP123456780")
    with override_settings(SEARCH_HASH_KEY="another-key"):
        other = crypto.identifier_hash("PHP123456789")
    assert other != crypto.identifier_hash("PHP123456789")


def test_member_id_is_ciphertext_in_the_database_and_plain_through_the_model(make_coverage):
    coverage = make_coverage(member_id="PHP987654321")

    raw = _raw_member_id(coverage)
    assert "PHP987654321" not in raw
    assert "987654321" not in raw
    assert Coverage.objects.get(pk=coverage.pk).member_id == "PHP987654321"


def test_member_id_is_found_by_its_keyed_hash_however_it_is_typed(make_coverage):
    wanted = make_coverage(member_id="PHP987654321")
    make_coverage(member_id="PHP111111111")

    found = Coverage.objects.filter(member_id_hash=crypto.identifier_hash("php-987 654 321"))

    assert list(found) == [wanted]


def test_filtering_on_the_encrypted_value_fails_loudly(make_coverage):
    make_coverage(member_id="PHP987654321")

    with pytest.raises(FieldError):
        list(Coverage.objects.filter(member_id="PHP987654321"))
    assert Coverage.objects.filter(member_id__isnull=False).count() == 1


def test_rows_written_before_a_key_rotation_stay_readable(make_coverage):
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        coverage = make_coverage(member_id="SMI000000042")

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        assert Coverage.objects.get(pk=coverage.pk).member_id == "SMI000000042"
        Coverage.objects.filter(pk=coverage.pk).update(member_id="SMI000000042")  # re-encrypt

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        assert Coverage.objects.get(pk=coverage.pk).member_id == "SMI000000042"
