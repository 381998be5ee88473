"""Payment plans: the schedule (last installment takes the rounding), payments fill
installments oldest first, behind after 15 days, paid off, reminders due."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from medoffice.billing.errors import DomainError, FieldErrors
from medoffice.billing.models import PaymentPlan
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import plans
from tests.billing.test_patient_payments import covered_patient, visit_owing  # noqa: F401

D = Decimal


@pytest.fixture
def owing(covered_patient, visit_owing):  # noqa: F811
    visit_owing(covered_patient, dt.date(2026, 2, 2), "100.00")
    return covered_patient


def test_schedule_rounding_goes_to_the_last_installment():
    assert plans.schedule(D("100.00"), installments=3) == [D("33.33"), D("33.33"), D("33.34")]
    assert plans.schedule(D("100.00"), amount=D("30.00")) == [D("30.00")] * 3 + [D("10.00")]
    assert plans.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)


def test_create_plan_makes_installments(owing, biller):
    first = timezone.localdate() + dt.timedelta(days=10)
    plan = plans.create_plan(
        patient=owing, total="100.00", installments=3, first_due=first, actor=biller
    )
    rows = list(plan.installments.all())
    assert [(i.number, i.amount) for i in rows] == [
        (1, D("33.33")),
        (2, D("33.33")),
        (3, D("33.34")),
    ]
    assert [i.due_on for i in rows] == [
        first,
        plans.add_months(first, 1),
        plans.add_months(first, 2),
    ]
    assert sum(i.amount for i in rows) == plan.total == D("100.00")
    with pytest.raises(DomainError) as err:
        plans.create_plan(
            patient=owing, total="10.00", installments=2, first_due=first, actor=biller
        )
    assert err.value.code == plans.PLAN_EXISTS


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"total": "0"}, "total"),
        ({"total": "100.001"}, "total"),
        ({"total": "500.00"}, "total"),  # more than the balance
        ({"installments": None}, "installments"),  # neither count nor amount
        ({"installments": 1}, "installments"),
        ({"installments": None, "amount": "150.00"}, "amount"),
        ({"interval_months": 0}, "interval_months"),
        ({"first_due": None}, "first_due"),
    ],
)
def test_bad_plans_name_the_field(owing, biller, fields, field):
    values = {
        "total": "100.00",
        "installments": 4,
        "amount": None,
        "first_due": timezone.localdate(),
        "interval_months": 1,
    } | fields
    with pytest.raises(FieldErrors) as err:
        plans.create_plan(patient=owing, actor=biller, **values)
    assert field in err.value.errors
    assert not PaymentPlan.objects.exists()


def test_payments_fill_installments_oldest_first_and_void_takes_it_back(owing, biller):
    plan = plans.create_plan(
        patient=owing, total="90.00", installments=3, first_due=timezone.localdate(), actor=biller
    )
    pm.take_payment(patient=owing, amount="40.00", method="cash", actor=biller)
    paid = [i.paid for i in plan.installments.all()]
    assert paid == [D("30.00"), D("10.00"), D("0.00")]
    second = pm.take_payment(patient=owing, amount="50.00", method="cash", actor=biller)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.COMPLETED
    pm.void_payment(payment=second, actor=biller, reason="Check bounced")
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.ACTIVE
    assert [i.paid for i in plan.installments.all()] == [D("30.00"), D("10.00"), D("0.00")]


def test_daily_review_marks_behind_after_15_days_and_lists_reminders(owing, biller):
    today = timezone.localdate()
    plan = plans.create_plan(
        patient=owing, total="90.00", installments=3, first_due=today - dt.timedelta(days=15),
        interval_months=1, actor=biller,
    )  # fmt: skip
    report = plans.review_plans(today)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.ACTIVE and report.delinquent == 0  # 15 days: not yet
    report = plans.review_plans(today + dt.timedelta(days=1))
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.DELINQUENT and report.delinquent == 1
    pm.take_payment(patient=owing, amount="30.00", method="cash", actor=biller)
    plan.refresh_from_db()
    assert plan.status == PaymentPlan.ACTIVE  # caught up
    second = plan.installments.get(number=2)
    due_soon = second.due_on - dt.timedelta(days=3)
    assert list(plans.reminders_due(due_soon)) == [second]
    assert plans.review_plans(due_soon).reminders_due == [second.pk]
    assert not plans.reminders_due(second.due_on - dt.timedelta(days=4)).exists()
    plans.mark_reminded(installment=second, actor=biller)
    assert not plans.reminders_due(due_soon).exists()
