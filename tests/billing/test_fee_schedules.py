"""The service list and payers' contracted amounts: single edits and CSV import/export."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from medoffice.billing.errors import FEE_OVERLAP, FieldErrors
from medoffice.billing.models import PayerFee, Service
from medoffice.billing.services import fee_import
from medoffice.billing.services.fee_import import (
    PAYER_FEES,
    SERVICES,
    ImportRejected,
    apply_import,
    export_payer_fees,
    export_services,
    preview_import,
)
from medoffice.billing.services.fee_schedules import save_service, set_payer_fee

pytestmark = pytest.mark.django_db


def test_save_service_normalises_code_and_modifiers():
    s = save_service(
        code=" j1100 ", modifiers="jw, 59", description="  Steroid   shot ", standard_charge="$5"
    )
    assert (s.code, s.modifiers, s.description, s.standard_charge) == (
        "J1100",
        "JW 59",
        "Steroid shot",
        Decimal("5.00"),
    )
    assert s.label == "J1100-JW-59"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"code": "9921"}, "code"),
        ({"code": "W1234"}, "code"),
        ({"modifiers": "2"}, "modifiers"),
        ({"modifiers": "25 59 76 77 91"}, "modifiers"),
        ({"modifiers": "25 25"}, "modifiers"),
        ({"standard_charge": "-1"}, "standard_charge"),
        ({"standard_charge": "1.005"}, "standard_charge"),
        ({"standard_charge": "abc"}, "standard_charge"),
        ({"description": ""}, "description"),
        ({"rvus": "x"}, "rvus"),
    ],
)
def test_save_service_refuses_bad_fields(fields, field):
    values = {"code": "99213", "description": "Visit", "standard_charge": "100"} | fields
    with pytest.raises(FieldErrors) as err:
        save_service(**values)
    assert field in err.value.errors


def test_the_same_code_and_modifiers_twice_is_refused():
    save_service(code="99213", description="Visit", standard_charge="100")
    save_service(
        code="99213", modifiers="25", description="Visit, with procedure", standard_charge="100"
    )
    with pytest.raises(FieldErrors) as err:
        save_service(code="99213", description="Again", standard_charge="90")
    assert "code" in err.value.errors


def test_payer_fee_ranges_may_not_overlap(commercial_payer):
    svc = save_service(code="99213", description="Visit", standard_charge="135")
    set_payer_fee(
        payer=commercial_payer,
        service=svc,
        allowed_amount="92.10",
        effective_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    set_payer_fee(
        payer=commercial_payer, service=svc, allowed_amount="95", effective_date=dt.date(2026, 1, 1)
    )
    with pytest.raises(FieldErrors) as err:
        set_payer_fee(
            payer=commercial_payer,
            service=svc,
            allowed_amount="99",
            effective_date=dt.date(2025, 12, 31),
            end_date=dt.date(2025, 12, 31),
        )
    assert err.value.code == FEE_OVERLAP and "effective_date" in err.value.errors


def test_the_database_refuses_overlapping_fees_on_postgresql(commercial_payer):
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    svc = save_service(code="99213", description="Visit", standard_charge="135")
    PayerFee.objects.create(
        payer=commercial_payer, service=svc, allowed_amount=1, effective_date=dt.date(2025, 1, 1)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        PayerFee.objects.create(
            payer=commercial_payer,
            service=svc,
            allowed_amount=2,
            effective_date=dt.date(2025, 6, 1),
        )


def test_self_pay_has_no_contract(self_pay):
    svc = save_service(code="99213", description="Visit", standard_charge="135")
    with pytest.raises(FieldErrors) as err:
        set_payer_fee(
            payer=self_pay, service=svc, allowed_amount="1", effective_date=dt.date(2025, 1, 1)
        )
    assert "payer" in err.value.errors


# --- CSV ---------------------------------------------------------------------------------

SERVICES_CSV = """code,modifiers,description,standard_charge,rvus,active
99213,,Follow-up visit,135.00,2.64,yes
99214,25,Longer visit with procedure,195,,yes
J1100,,Steroid shot,5.00,,no
"""


def test_starter_list_loads_and_uses_no_licensed_wording(services):
    assert len(services) >= 30
    assert services["99213"].standard_charge > 0
    # Our own short wording, never the long licensed descriptors.
    assert all(len(s.description) <= 80 for s in services.values())
    assert not any("Office or other outpatient visit" in s.description for s in services.values())


def test_preview_writes_nothing_and_says_what_would_change():
    plan = preview_import(kind=SERVICES, text=SERVICES_CSV)
    assert plan.ok and len(plan.added) == 3 and plan.unchanged == 0
    assert not Service.objects.exists()


def test_import_is_idempotent_and_updates_only_what_changed():
    first = apply_import(kind=SERVICES, text=SERVICES_CSV)
    assert first.applied and len(first.added) == 3
    again = apply_import(kind=SERVICES, text=SERVICES_CSV)
    assert (len(again.added), len(again.changed), again.unchanged) == (0, 0, 3)
    changed = apply_import(kind=SERVICES, text=SERVICES_CSV.replace("135.00", "140.00"))
    assert len(changed.changed) == 1 and changed.unchanged == 2
    assert Service.objects.get(code="99213").standard_charge == Decimal("140.00")
    assert Service.objects.get(code="J1100").active is False


def test_a_bad_file_is_refused_whole_with_every_line_named():
    text = (
        "code,modifiers,description,standard_charge\n"
        "99213,,Fine,100\n"
        "9921X,,Bad code,100\n"
        "99214,2,Bad modifier,100\n"
        "\n"
        "99215,,Bad money,-5\n"
        "99213,,Duplicate,100\n"
    )
    with pytest.raises(ImportRejected) as err:
        apply_import(kind=SERVICES, text=text)
    found = [(p.line, p.column) for p in err.value.plan.problems]
    assert found == [(3, "code"), (4, "modifiers"), (6, "standard_charge"), (7, "code")]
    assert not Service.objects.exists()


def test_header_problems_are_reported_on_line_1():
    plan = preview_import(kind=SERVICES, text="code,price\n99213,5\n")
    assert [(p.line, p.column) for p in plan.problems] == [
        (1, "modifiers, description, standard_charge"),
        (1, "price"),
    ]


def test_payer_fee_import_checks_payer_service_dates_and_overlaps(commercial_payer, medicare):
    apply_import(kind=SERVICES, text=SERVICES_CSV)
    text = (
        "payer,code,modifiers,allowed_amount,effective_date,end_date\n"
        "Peachtree Health Plan,99213,,92.10,2025-01-01,2025-12-31\n"
        "MCRJJ,99213,,88.00,01/01/2025,\n"
        "Peachtree Health Plan,99213,,95.00,2025-06-01,\n"
        "Nobody Insurance,99213,,1,2025-01-01,\n"
        "Medicare Part B,99999,,1,2025-01-01,\n"
        "Medicare Part B,99214,25,1,2025-02-30,\n"
    )
    plan = preview_import(kind=PAYER_FEES, text=text)
    assert [(p.line, p.column) for p in plan.problems] == [
        (4, "effective_date"),
        (5, "payer"),
        (6, "code"),
        (7, "effective_date"),
    ]
    assert "line 2" in plan.problems[0].reason
    good = "\n".join(text.splitlines()[:3]) + "\n"
    assert len(apply_import(kind=PAYER_FEES, text=good).added) == 2
    assert PayerFee.objects.get(payer=medicare).allowed_amount == Decimal("88.00")
    assert apply_import(kind=PAYER_FEES, text=good).unchanged == 2


def test_export_imports_back_unchanged(commercial_payer):
    apply_import(kind=SERVICES, text=SERVICES_CSV)
    set_payer_fee(
        payer=commercial_payer,
        service=Service.objects.get(code="99213"),
        allowed_amount="92.10",
        effective_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
    )
    services_csv, fees_csv = export_services(), export_payer_fees()
    assert preview_import(kind=SERVICES, text=services_csv).unchanged == 3
    plan = preview_import(kind=PAYER_FEES, text=fees_csv)
    assert plan.ok and plan.unchanged == 1 and not plan.added


def test_stored_fee_overlap_is_reported(commercial_payer):
    apply_import(kind=SERVICES, text=SERVICES_CSV)
    set_payer_fee(
        payer=commercial_payer,
        service=Service.objects.get(code="99213"),
        allowed_amount="90",
        effective_date=dt.date(2025, 1, 1),
    )
    plan = preview_import(
        kind=PAYER_FEES,
        text="payer,code,modifiers,allowed_amount,effective_date\n"
        "Peachtree Health Plan,99213,,91,2025-03-01\n",
    )
    assert [(p.line, p.column) for p in plan.problems] == [(2, "effective_date")]
    assert "already stored" in plan.problems[0].reason


def test_not_utf8_is_refused():
    with pytest.raises(FieldErrors) as err:
        fee_import.decode(b"\xff\xfecode")
    assert "file" in err.value.errors


def test_kind_is_told_by_the_header():
    assert fee_import.detect_kind(SERVICES_CSV) == SERVICES
    assert fee_import.detect_kind("payer,code\n") == PAYER_FEES
    assert fee_import.detect_kind("x,y\n") is None


def test_unreadable_csv_is_a_refused_line_not_a_crash():
    plan = preview_import(
        kind=SERVICES, text='code,modifiers,description,standard_charge\n"99213,,x,1\x00\n'
    )
    assert not plan.ok and plan.problems[-1].line == 2
    windows = "code,modifiers,description,standard_charge\r\n99213,,Visit,135\r\n"
    assert preview_import(kind=SERVICES, text=windows).ok
