"""Charge entry from a checked-out visit: codes checked, errors on the field that holds them."""

from __future__ import annotations

from decimal import Decimal

import pytest

from medoffice.billing import errors
from medoffice.billing.errors import FieldErrors
from medoffice.billing.models import Charge
from medoffice.billing.selectors import visits_ready_to_bill
from medoffice.billing.services.charges import LineInput, enter_charges, update_charges
from medoffice.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def enter(visit, user, diagnoses=("E11.9",), lines=None, **fields):
    lines = lines if lines is not None else [LineInput(code="99213", pointers="1")]
    return enter_charges(
        actor=user, appointment=visit, diagnoses=list(diagnoses), lines=lines, **fields
    )


def test_charges_from_a_checked_out_visit(make_visit, services, make_user, provider):
    visit = make_visit()
    user = make_user("biller")
    charge = enter(
        visit,
        user,
        diagnoses=["e119", "I10", " Z79.4 "],
        lines=[
            LineInput(code="99214", modifiers="25", pointers="1,2"),
            LineInput(code="J1100", units=4, pointers="AC"),
            LineInput(code="36415", pointers=[3], charge="12.50"),
        ],
    )
    assert [d.code for d in charge.diagnoses.all()] == ["E11.9", "I10", "Z79.4"]
    lines = list(charge.lines.all())
    assert [(x.code, x.modifiers, x.units, x.diagnosis_pointers) for x in lines] == [
        ("99214", "25", 1, "1,2"),
        ("J1100", "", 4, "1,3"),
        ("36415", "", 1, "3"),
    ]
    # 99214-25 is its own entry on the service list; J1100 is 5.00 a unit; 36415 typed.
    assert [x.charge_amount for x in lines] == [
        Decimal("195.00"),
        Decimal("20.00"),
        Decimal("12.50"),
    ]
    assert lines[0].service.modifiers == "25"
    assert charge.rendering_provider == provider
    assert charge.place_of_service == "11"
    assert charge.date_of_service == visit.start.astimezone(visit.location.zone).date()
    assert charge.created_by == user


def test_modifier_on_a_plain_service_uses_its_price(make_visit, services, make_user):
    charge = enter(
        make_visit(), make_user(), lines=[LineInput(code="99213", modifiers="95", pointers="1")]
    )
    line = charge.lines.get()
    assert (line.modifiers, line.service.label, line.charge_amount) == (
        "95",
        "99213",
        Decimal("135.00"),
    )


@pytest.mark.parametrize(
    ("diagnoses", "line", "field", "code"),
    [
        (["E11.9"], LineInput(code="99999", pointers="1"), "lines.1.code", errors.UNKNOWN_CODE),
        (["E11.9"], LineInput(code="9921", pointers="1"), "lines.1.code", errors.UNKNOWN_CODE),
        (
            ["E11.9"],
            LineInput(code="99213", modifiers="2", pointers="1"),
            "lines.1.modifiers",
            errors.INVALID_MODIFIER,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", modifiers="2$", pointers="1"),
            "lines.1.modifiers",
            errors.INVALID_MODIFIER,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", modifiers="25 59 76 77 91", pointers="1"),
            "lines.1.modifiers",
            errors.INVALID_MODIFIER,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", pointers="2"),
            "lines.1.pointers",
            errors.INVALID_POINTER,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", pointers="1,1"),
            "lines.1.pointers",
            errors.INVALID_POINTER,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", pointers="M"),
            "lines.1.pointers",
            errors.INVALID_POINTER,
        ),
        (["E11"], LineInput(code="99213", pointers="1"), "diagnoses.1", errors.INVALID_DIAGNOSIS),
        (["XYZ.1"], LineInput(code="99213", pointers="1"), "diagnoses.1", errors.INVALID_DIAGNOSIS),
        (
            ["E11.9", "E119"],
            LineInput(code="99213", pointers="1"),
            "diagnoses.2",
            errors.INVALID_DIAGNOSIS,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", units=0, pointers="1"),
            "lines.1.units",
            errors.INVALID,
        ),
        (
            ["E11.9"],
            LineInput(code="99213", charge="-3", pointers="1"),
            "lines.1.charge",
            errors.INVALID,
        ),
    ],
)
def test_bad_input_is_refused_on_its_field(
    make_visit, services, make_user, diagnoses, line, field, code
):
    with pytest.raises(FieldErrors) as err:
        enter(make_visit(), make_user(), diagnoses=diagnoses, lines=[line])
    assert field in err.value.errors
    assert err.value.code == code
    assert not Charge.objects.exists()


def test_every_problem_is_reported_at_once(make_visit, services, make_user):
    with pytest.raises(FieldErrors) as err:
        enter(
            make_visit(),
            make_user(),
            diagnoses=["E11", "I10"],
            lines=[
                LineInput(code="99999", pointers="1"),
                LineInput(code="99213", modifiers="x", pointers="5"),
            ],
        )
    assert set(err.value.errors) == {
        "diagnoses.1",
        "lines.1.code",
        "lines.2.modifiers",
        "lines.2.pointers",
    }


def test_at_most_twelve_diagnoses(make_visit, services, make_user):
    dx = [
        "E11.9",
        "I10",
        "Z79.4",
        "E78.5",
        "J06.9",
        "M54.50",
        "R51.9",
        "K21.9",
        "F41.1",
        "G47.00",
        "N39.0",
        "L70.0",
        "R05.9",
    ]
    with pytest.raises(FieldErrors) as err:
        enter(make_visit(), make_user(), diagnoses=dx)
    assert "diagnoses" in err.value.errors


def test_only_checked_out_visits_and_only_once(make_visit, services, make_user):
    user = make_user()
    with pytest.raises(FieldErrors) as err:
        enter(make_visit(status=Appointment.ROOMED), user)
    assert err.value.code == errors.NOT_CHECKED_OUT
    visit = make_visit()
    enter(visit, user)
    with pytest.raises(FieldErrors) as err:
        enter(visit, user)
    assert err.value.code == errors.ALREADY_BILLED


def test_referring_provider_needs_name_and_ten_digit_npi(make_visit, services, make_user):
    with pytest.raises(FieldErrors) as err:
        enter(make_visit(), make_user(), referring_npi="12345")
    assert set(err.value.errors) == {"referring_npi", "referring_name"}
    charge = enter(
        make_visit(), make_user(), referring_name="Jo Kim MD", referring_npi="1234567893"
    )
    assert charge.referring_npi == "1234567893"


def test_ready_to_bill_lists_checked_out_visits_without_charges(make_visit, services, make_user):
    billed, waiting = make_visit(), make_visit()
    make_visit(status=Appointment.ROOMED)
    enter(billed, make_user())
    assert list(visits_ready_to_bill()) == [waiting]


def test_update_replaces_lines_and_diagnoses(make_visit, services, make_user):
    user = make_user()
    charge = enter(make_visit(), user)
    update_charges(
        actor=user,
        charge=charge,
        diagnoses=["J06.9"],
        lines=[LineInput(code="99212", pointers="1"), LineInput(code="87880", pointers="1")],
    )
    charge.refresh_from_db()
    assert [d.code for d in charge.diagnoses.all()] == ["J06.9"]
    assert [x.code for x in charge.lines.all()] == ["99212", "87880"]
    assert charge.total == Decimal("120.00")
