"""Wait-time statistics: the figures by hand, against Python's statistics module (hypothesis),
against PostgreSQL's own percentile_cont, and as the page, the CSV file and the API show them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import statistics

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from medoffice.scheduling import stats
from medoffice.scheduling.services import book_appointment, cancel_appointment
from tests.scheduling.conftest import at
from tests.scheduling.schedule_pages import open_every_day, page_text, stop_clock, walk

LATER = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def today(monkeypatch, today_chicago):
    stop_clock(monkeypatch, today_chicago)
    return today_chicago


@pytest.fixture
def office(location, provider, rooms, types, make_template, make_provider, today):
    khan = make_provider(first_name="Omar", last_name="Khan", credentials="NP")
    for who in (provider, khan):
        open_every_day(make_template, who, location, start="08:00", end="17:00")
    return {"location": location, "patel": provider, "khan": khan, "rooms": rooms, "types": types}


@pytest.fixture
def visits(office, make_patient_record, front_desk, today):
    """Seven visits today with known minutes per step (see each line)."""

    def book(provider, hhmm, kind="follow_up"):
        return book_appointment(
            actor=front_desk,
            patient=make_patient_record(),
            provider=office[provider],
            location=office["location"],
            appointment_type=office["types"][kind],
            start=at(today, hhmm),
        )

    def full(appt, arrived, roomed, seen, out):
        steps = [("arrived", arrived), ("roomed", roomed)]
        steps += [("with_provider", seen), ("checked_out", out)]
        return walk(appt, steps, front_desk, today)

    # waiting room / roomed / with provider / whole visit, in minutes
    full(book("patel", "9:00"), "9:00", "9:10", "9:15", "9:35")  # 10 / 5 / 20 / 35
    full(book("patel", "9:30"), "9:30", "9:50", "10:00", "10:10")  # 20 / 10 / 10 / 40
    full(book("patel", "10:30", "new"), "10:30", "11:00", "11:05", "11:45")  # 30 / 5 / 40 / 75
    full(book("khan", "9:00"), "9:05", "9:09", "9:20", "9:30")  # 4 / 11 / 10 / 25
    walk(book("khan", "9:30"), [("no_show", "9:45")], front_desk, today)
    cancel_appointment(actor=front_desk, appointment=book("khan", "10:00"), reason="called")
    walk(
        book("patel", "13:00", "phone"),
        [("arrived", "13:00"), ("left_without_being_seen", "13:40")],
        front_desk,
        today,
    )


def summary(count, mean, median, p90) -> stats.Summary:
    return stats.Summary(count, mean, median, p90)


def test_each_step_counts_mean_median_and_90th_percentile(office, visits, today):
    report = stats.wait_times(location=office["location"], start=today, end=today, now=LATER)

    steps = report.overall.steps
    # waiting room: 4, 10, 20, 30
    assert steps["arrival_to_roomed"] == summary(4, 16.0, 15.0, 27.0)
    # roomed: 5, 5, 10, 11
    assert steps["roomed_to_provider"] == summary(4, 7.8, 7.5, 10.7)
    # with provider: 10, 10, 20, 40
    assert steps["provider_to_checkout"] == summary(4, 20.0, 15.0, 34.0)
    # whole visit: 25, 35, 40, 75
    assert steps["arrival_to_checkout"] == summary(4, 43.8, 37.5, 64.5)
    assert report.visits == 5  # four seen, one left without being seen


def test_the_no_show_rate_counts_visits_that_were_due(office, visits, today):
    report = stats.wait_times(location=office["location"], start=today, end=today, now=LATER)
    rate = report.no_show
    assert (rate.no_shows, rate.due, rate.cancelled, rate.left_without_being_seen) == (1, 6, 1, 1)
    assert rate.rate == pytest.approx(1 / 6, abs=1e-4)
    assert rate.percent == "16.7 %"


def test_groups_per_provider_type_and_hour_of_arrival(office, visits, today):
    report = stats.wait_times(location=office["location"], start=today, end=today, now=LATER)

    providers = {r.label: r for r in report.by_provider}
    assert set(providers) == {"Dr. Patel", "Omar Khan, NP"}
    assert providers["Dr. Patel"].steps["arrival_to_roomed"] == summary(3, 20.0, 20.0, 28.0)
    assert providers["Dr. Patel"].visits == 4
    assert providers["Omar Khan, NP"].steps["arrival_to_roomed"] == summary(1, 4.0, 4.0, 4.0)

    types = {r.label: r for r in report.by_type}
    assert types["New patient"].steps["arrival_to_checkout"] == summary(1, 75.0, 75.0, 75.0)
    assert types["Follow-up"].steps["arrival_to_roomed"].count == 3
    assert types["Phone call"].steps["arrival_to_roomed"].count == 0

    hours = [(r.key, r.label, r.visits) for r in report.by_hour]
    assert hours == [(9, "9:00–9:59", 3), (10, "10:00–10:59", 1), (13, "13:00–13:59", 1)]


def test_an_empty_range_has_no_figures(office, today):
    report = stats.wait_times(
        location=office["location"], start=today - dt.timedelta(days=9), end=today, now=LATER
    )
    assert report.overall.steps["arrival_to_roomed"] == summary(0, None, None, None)
    assert report.by_provider == [] and report.no_show.rate is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=600, allow_nan=False), min_size=2, max_size=60))
def test_percentiles_agree_with_pythons_statistics_module(values):
    ordered = sorted(values)
    assert stats.percentile(ordered, 0.5) == pytest.approx(statistics.median(values), abs=1e-9)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    assert stats.percentile(ordered, 0.9) == pytest.approx(p90, abs=1e-9)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's percentile_cont")
def test_the_figures_match_postgresqls_percentile_cont(
    office, make_patient_record, front_desk, today
):
    rng = random.Random(7)
    for n in range(36):
        who = "patel" if n % 2 else "khan"
        start = at(today, "8:00") + dt.timedelta(minutes=15 * (n // 2))
        appt = book_appointment(
            actor=front_desk,
            patient=make_patient_record(),
            provider=office[who],
            location=office["location"],
            appointment_type=office["types"]["phone"],
            start=start,
        )
        arrived = start + dt.timedelta(minutes=rng.randint(-10, 5))
        roomed = arrived + dt.timedelta(minutes=rng.randint(0, 45), seconds=rng.randint(0, 59))
        seen = roomed + dt.timedelta(minutes=rng.randint(0, 20))
        out = seen + dt.timedelta(minutes=rng.randint(5, 40))
        local = [t.astimezone(start.tzinfo).strftime("%H:%M") for t in (arrived, roomed, seen, out)]
        walk(
            appt,
            list(zip(["arrived", "roomed", "with_provider", "checked_out"], local, strict=True)),
            front_desk,
            today,
        )

    report = stats.wait_times(location=office["location"], start=today, end=today, now=LATER)

    sql = """
        SELECT provider_id, count(*),
               avg(m), percentile_cont(0.5) WITHIN GROUP (ORDER BY m),
               percentile_cont(0.9) WITHIN GROUP (ORDER BY m)
        FROM (SELECT provider_id, EXTRACT(EPOCH FROM ({b} - {a})) / 60 AS m
              FROM scheduling_appointment
              WHERE location_id = %s AND {a} IS NOT NULL AND {b} IS NOT NULL) AS s
        GROUP BY ROLLUP (provider_id)
    """
    by_provider = {r.key: r for r in report.by_provider}
    for key, _label, a, b in stats.STEPS:
        with connection.cursor() as cur:
            cur.execute(sql.format(a=a, b=b), [office["location"].pk])
            rows = cur.fetchall()
        for provider_id, count, mean, median, p90 in rows:
            mine = (report.overall if provider_id is None else by_provider[provider_id]).steps[key]
            assert mine.count == count
            assert mine.mean == pytest.approx(float(mean), abs=0.051)
            assert mine.median == pytest.approx(median, abs=0.051)
            assert mine.p90 == pytest.approx(p90, abs=0.051)


# --- the page, the CSV file, the API ---------------------------------------------------


def test_the_page_shows_the_steps_and_groups(client_as, office, visits, today):
    client = client_as("office_manager", home_location=office["location"])

    response = client.get(f"/wait-times/?start={today}&end={today}")

    assert response.status_code == 200
    text = page_text(response)
    assert "Waiting room, median 15.0 min" in text and "90 % within 27.0 min" in text
    assert "Arrival → roomed 4 16.0 15.0 27.0" in text
    assert "Dr. Patel 4 20.0 28.0" in text
    assert "Omar Khan, NP" in text and "New patient" in text and "9:00–9:59" in text
    # the clock stops at 10:30: four visits were due by then, one of them a no-show
    assert "25.0 %" in text and "1 of 4 due" in text
    assert "Export CSV" in text


def test_the_csv_has_one_row_per_group_and_step(client_as, office, visits, today):
    client = client_as("office_manager", home_location=office["location"])

    response = client.get(f"/wait-times/?start={today}&end={today}&format=csv")

    assert response["Content-Type"] == "text/csv"
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "group",
        "value",
        "step",
        "visits",
        "count",
        "mean_min",
        "median_min",
        "p90_min",
    ]
    assert ["all", "All visits", "arrival_to_roomed", "5", "4", "16.0", "15.0", "27.0"] in rows
    assert ["provider", "Dr. Patel", "arrival_to_roomed", "4", "3", "20.0", "20.0", "28.0"] in rows
    assert rows[-1][0] == "no_show_rate"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?start=2026-05-10&end=2026-05-01", "The last day cannot be before the first day."),
        ("?start=2024-01-01&end=2026-01-01", "Choose at most a year"),
        ("?start=1999-12-31&end=2000-01-02", "between 2000 and 2100"),
        ("?start=yesterday", "Enter a valid date."),
        ("?location=99999", "Select a valid choice."),
    ],
)
def test_bad_filters_are_explained(client_as, office, query, words):
    client = client_as("office_manager", home_location=office["location"])
    response = client.get("/wait-times/" + query)
    assert response.status_code == 422
    assert words in page_text(response)


def test_the_auditor_cannot_see_wait_times(client_as, office):
    assert client_as("auditor").get("/wait-times/").status_code == 403


def test_the_api_gives_the_same_figures(client_as, office, visits, today):
    client = client_as("front_desk", home_location=office["location"])
    loc = office["location"].pk

    body = client.get(f"/api/v1/wait-times?location={loc}&start={today}&end={today}").json()

    assert body["steps"]["arrival_to_roomed"] == {
        "count": 4,
        "mean": 16.0,
        "median": 15.0,
        "p90": 27.0,
    }
    patel = next(g for g in body["by_provider"] if g["label"] == "Dr. Patel")
    assert patel["steps"]["arrival_to_roomed"]["p90"] == 28.0
    assert body["no_show"]["no_shows"] == 1 and body["no_show"]["cancelled"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?location=1&start=2026-01-01",
        "?location=x&start=2026-01-01&end=2026-01-02",
        "?location=1&start=2026-01-05&end=2026-01-01",
        "?location=1&start=2020-01-01&end=2026-01-01",
        "?location=1&start=0001-01-01&end=0001-01-02",
        "?location=77777&start=2026-01-01&end=2026-01-02",
    ],
)
def test_bad_api_input_is_422(client_as, office, query):
    client = client_as("front_desk", home_location=office["location"])
    response = client.get("/api/v1/wait-times" + query)
    assert response.status_code == 422 and response.json()["detail"]


def test_the_api_refuses_the_auditor(client_as, office, today):
    response = client_as("auditor").get(
        f"/api/v1/wait-times?location={office['location'].pk}&start={today}&end={today}"
    )
    assert response.status_code == 403
