"""The access-log CSV an auditor downloads: a user name that starts a spreadsheet formula is
written as text, and the positions stay numbers."""

from __future__ import annotations

import csv
import io

import pytest

from medoffice.core.audit import record_access

pytestmark = pytest.mark.django_db


def test_a_formula_user_name_is_written_as_text(client_as, make_user):
    odd = make_user("front_desk", username="=1+2")  # synthetic
    record_access(user=odd, action="view", object_type="patient", object_id="-5", patient_id=5)

    response = client_as("auditor").get("/audit/access-log/", {"user": "=1+2", "format": "csv"})

    assert response.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert header[2] == "user"
    (row,) = [r for r in rows if r[2].endswith("=1+2")]
    assert row[2] == "'=1+2" and row[5] == "'-5"
    assert row[0].isdigit() and row[6] == "5"
