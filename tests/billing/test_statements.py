"""Statement runs: who gets one, the dunning levels over runs, the collections flag, real
PDFs (one per patient and the print batch), and the command line."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from medoffice.billing.errors import DomainError
from medoffice.billing.models import BillingPolicy, CollectionsFlag, Statement, StatementRun
from medoffice.billing.services import patient_money as pm
from medoffice.billing.services import statements as st
from tests.billing.test_patient_payments import visit_owing  # noqa: F401

D = Decimal
DAY0 = dt.date(2026, 4, 1)


@pytest.fixture
def owing_patients(make_patient, make_coverage, visit_owing):  # noqa: F811
    """a owes 100, c owes 50, b owes 3 (under the 5.00 minimum)."""
    made = {}
    for key, amount in (("a", "100.00"), ("b", "3.00"), ("c", "50.00")):
        patient = make_patient()
        make_coverage(patient=patient)
        visit_owing(patient, dt.date(2026, 2, 2), amount)
        made[key] = patient
    return made


def levels(run: StatementRun) -> dict[int, int]:
    return dict(run.statements.values_list("patient_id", "level"))


def test_dunning_over_runs_then_collections(owing_patients, biller):
    a, b, c = owing_patients["a"], owing_patients["b"], owing_patients["c"]
    seen = []
    first = st.run_statements(DAY0, biller, lambda done, total: seen.append((done, total)))
    assert levels(first.run) == {a.pk: Statement.FIRST, c.pk: Statement.FIRST}
    assert seen[-1] == (2, 2) and first.run.finished_at is not None
    assert first.run.statement_count == 2 and first.run.total_due == D("150.00")
    # Too soon for another statement; c pays in full meanwhile.
    assert st.run_statements(DAY0 + dt.timedelta(days=10), biller).statements == 0
    pm.take_payment(patient=c, amount="50.00", method="cash", actor=biller)
    second = st.run_statements(DAY0 + dt.timedelta(days=30), biller)
    assert levels(second.run) == {a.pk: Statement.SECOND}
    pm.take_payment(patient=a, amount="10.00", method="cash", actor=biller)  # not paid down
    third = st.run_statements(DAY0 + dt.timedelta(days=60), biller)
    assert levels(third.run) == {a.pk: Statement.FINAL}
    assert third.run.statements.get().balance == D("90.00")
    assert not CollectionsFlag.objects.exists()
    fourth = st.run_statements(DAY0 + dt.timedelta(days=90), biller)
    flag = CollectionsFlag.objects.get()
    assert fourth.flagged == 1 and fourth.statements == 0
    assert flag.patient == a and flag.balance == D("90.00") and flag.cleared_at is None
    assert b.pk not in {s.patient_id for s in Statement.objects.all()}
    # The biller clears the flag: statements resume (still a final notice), no new flag.
    st.clear_collections_flag(flag=flag, actor=biller, note="Payment arranged by phone")
    with pytest.raises(DomainError):
        st.clear_collections_flag(flag=flag, actor=biller)
    fifth = st.run_statements(DAY0 + dt.timedelta(days=120), biller)
    assert levels(fifth.run) == {a.pk: Statement.FINAL} and fifth.flagged == 0


def test_paid_off_balance_starts_again_at_a_first_statement(owing_patients, biller):
    a = owing_patients["a"]
    BillingPolicy.objects.create(minimum_statement_balance=D("60.00"), statement_interval_days=7)
    assert levels(st.run_statements(DAY0, biller).run) == {a.pk: Statement.FIRST}
    pm.take_payment(patient=a, amount="100.00", method="cash", actor=biller)
    assert st.run_statements(DAY0 + dt.timedelta(days=7), biller).statements == 0


def test_statement_pdf_and_batch_are_real_and_show_the_amounts(owing_patients, biller):
    a = owing_patients["a"]
    pm.take_payment(patient=a, amount="12.34", method="card", reference="9876", actor=biller)
    context = st.statement_context(a, DAY0, Statement.SECOND, st.policy())
    html = st.wrap_pages([st.render_statement_page(context)], "Statement")
    assert "$87.66" in html and "Balance due" in html and "SECOND NOTICE" in html
    assert "card ending 9876" in html and "Detach and return" in html
    assert a.address1 in html and "100 Main St" in html  # patient's and practice's addresses
    report = st.run_statements(DAY0, biller)
    statement = report.run.statements.get(patient=a)
    assert bytes(statement.pdf).startswith(b"%PDF")
    batch = st.batch_pdf(report.run)
    assert batch is not None and batch.startswith(b"%PDF") and len(batch) > len(statement.pdf)


def test_one_run_at_a_time_and_a_stopped_run_carries_on(owing_patients, biller):
    run = st.start_run(run_on=DAY0, actor=biller)
    with pytest.raises(DomainError) as err:
        st.start_run(run_on=DAY0, actor=biller)
    assert err.value.code == st.RUN_BUSY
    # Half done: a statement for a is already in the run.
    a = owing_patients["a"]
    Statement.objects.create(run=run, patient=a, statement_date=DAY0, balance=D("100.00"), pdf=b"")
    report = st.run_statements(actor=biller, run=run)
    assert report.run.statement_count == 2 and report.run.finished_at is not None


def test_command_line_run(owing_patients, tmp_path):
    out = StringIO()
    call_command("statements", "run", "--date", "2026-04-01", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "2 statements" in text and "$150.00 due" in text and "Print batch" in text
    with pytest.raises(CommandError, match="--date"):
        call_command("statements", "run", "--date", "April")
    assert StatementRun.objects.get().run_on == DAY0
    out = StringIO()
    call_command("statements", "run", stdout=out, stderr=StringIO())  # default: today
    assert StatementRun.objects.filter(run_on=timezone.localdate()).exists()
