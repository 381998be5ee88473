"""Schedule set-up pages: who may see and change them, what they save, and how they refuse."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from medoffice.scheduling.models import (
    Appointment,
    AppointmentType,
    AvailabilityTemplate,
    Provider,
    Room,
    ScheduleException,
)
from tests.scheduling.conftest import CHICAGO, at, valid_npi

GOOD_NPI = valid_npi(4242)
BAD_CHECK_DIGIT = GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)


@pytest.fixture
def manager(client_as):
    return client_as("office_manager")


@pytest.fixture
def desk(client_as):
    return client_as("front_desk")


def provider_data(location, **changes) -> dict:
    data = {
        "first_name": "Ann",
        "last_name": "Lee",
        "credentials": "NP",
        "npi": GOOD_NPI,
        "taxonomy_code": "363LF0000X",
        "specialty": "Family Nurse Practitioner",
        "locations": [location.pk],
        "colour": "#3b8132",
    }
    data.update(changes)
    return data


def block_data(location, **changes) -> dict:
    data = {
        "location": location.pk,
        "weekday": 1,
        "start_time": "08:00",
        "end_time": "12:00",
        "slot_minutes": 15,
        "effective_from": timezone.localdate().isoformat(),
    }
    data.update(changes)
    return data


def field_errors(response, name: str) -> list[str]:
    return list(response.context["form"].errors.get(name, []))


# --- who may do what ----------------------------------------------------------------------

LISTS = ["setup_home", "setup_providers", "setup_rooms", "setup_types", "setup_templates"]
LISTS += ["setup_exceptions"]


@pytest.mark.parametrize("name", LISTS)
def test_the_front_desk_sees_the_set_up_but_no_button_to_change_it(desk, office, name):
    response = desk.get(reverse(name))

    assert response.status_code == 200
    page = response.content.decode()
    for button in ("Add a provider", "Add a room", "Add a type", "Add a block", "Block time"):
        assert button not in page
    assert "Deactivate" not in page and "Remove" not in page


@pytest.mark.parametrize(
    "url",
    [
        lambda o: reverse("setup_provider_add"),
        lambda o: reverse("setup_provider_edit", args=[o["provider"].pk]),
        lambda o: reverse("setup_room_add"),
        lambda o: reverse("setup_type_edit", args=[o["types"]["new"].pk]),
        lambda o: reverse("setup_block_add", args=[o["provider"].pk]),
        lambda o: reverse("setup_exception_add"),
    ],
)
def test_the_front_desk_cannot_open_or_post_the_forms(desk, office, url):
    target = url(office)

    assert desk.get(target).status_code == 403
    assert desk.post(target, {"name": "x"}).status_code == 403


def test_the_front_desk_cannot_switch_a_provider_off(desk, office):
    provider = office["provider"]

    response = desk.post(reverse("setup_provider_active", args=[provider.pk]), {"active": "0"})

    assert response.status_code == 403
    provider.refresh_from_db()
    assert provider.active


def test_an_auditor_cannot_see_the_set_up_and_has_no_menu_entry(client_as, office):
    auditor = client_as("auditor")

    assert auditor.get(reverse("setup_providers")).status_code == 403
    assert "Schedule set-up" not in auditor.get(reverse("home")).content.decode()


def test_signed_out_visitors_are_sent_to_sign_in(client, office):
    response = client.get(reverse("setup_providers"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_the_office_manager_has_the_menu_entry_and_the_buttons(manager, office):
    assert "Schedule set-up" in manager.get(reverse("home")).content.decode()
    page = manager.get(reverse("setup_providers")).content.decode()
    assert "Add a provider" in page and "Deactivate" in page


# --- providers ----------------------------------------------------------------------------


def test_the_manager_adds_a_provider(manager, location):
    response = manager.post(reverse("setup_provider_add"), provider_data(location))

    assert response.status_code == 302
    added = Provider.objects.get(npi=GOOD_NPI)
    assert added.display_name == "Ann Lee, NP"
    assert list(added.locations.all()) == [location]
    listed = manager.get(reverse("setup_providers")).content.decode()
    assert "Ann Lee, NP" in listed and GOOD_NPI in listed


def test_an_npi_with_a_wrong_check_digit_is_refused_on_the_npi_field(manager, location):
    response = manager.post(
        reverse("setup_provider_add"), provider_data(location, npi=BAD_CHECK_DIGIT)
    )

    assert response.status_code == 200
    assert field_errors(response, "npi") == [
        "This NPI's last digit does not match its check digit; check for a typo."
    ]
    assert "check digit" in response.content.decode()
    assert not Provider.objects.filter(last_name="Lee").exists()


def test_an_npi_of_the_wrong_length_says_so(manager, location):
    response = manager.post(reverse("setup_provider_add"), provider_data(location, npi="12345"))

    assert field_errors(response, "npi") == ["An NPI has exactly 10 digits."]


def test_an_npi_already_used_names_its_owner(manager, office, location):
    taken = office["provider"].npi

    response = manager.post(reverse("setup_provider_add"), provider_data(location, npi=taken))

    assert field_errors(response, "npi") == [
        f"Priya Patel, MD already has NPI {taken}; an NPI belongs to one person."
    ]


def test_a_provider_needs_a_location_and_keeps_the_ones_with_blocks(manager, office, location):
    provider = office["provider"]

    no_place = manager.post(reverse("setup_provider_add"), provider_data(location, locations=[]))
    taken_off = manager.post(
        reverse("setup_provider_edit", args=[provider.pk]),
        provider_data(
            location,
            first_name="Priya",
            last_name="Patel",
            credentials="MD",
            npi=provider.npi,
            locations=[],
        ),
    )

    assert field_errors(no_place, "locations") == [
        "Choose at least one location where the provider sees patients."
    ]
    (message,) = field_errors(taken_off, "locations")
    assert message.startswith(
        "Dr. Patel still has weekly blocks at the locations taken off (Main Mon 8:00–12:00, "
    )


def test_deactivating_a_provider_keeps_their_visits_and_says_how_many(manager, office, book):
    provider = office["provider"]
    day = timezone.localdate() + dt.timedelta(days=14)
    monday = day + dt.timedelta(days=(0 - day.weekday()) % 7)
    book(at(monday, "9:00"))

    response = manager.post(
        reverse("setup_provider_active", args=[provider.pk]), {"active": "0"}, follow=True
    )

    provider.refresh_from_db()
    assert not provider.active
    assert "1 booked visit ahead still use it; move them." in response.content.decode()
    assert Appointment.objects.filter(provider=provider, status=Appointment.SCHEDULED).exists()
    manager.post(reverse("setup_provider_active", args=[provider.pk]), {"active": "1"})
    provider.refresh_from_db()
    assert provider.active


def test_the_provider_list_searches_and_pages(manager, make_provider, location):
    for n in range(30):
        make_provider(first_name=f"Sam{n:02d}", last_name="Jones", npi=valid_npi(9000 + n))
    make_provider(first_name="Rita", last_name="Okafor", npi=valid_npi(9100))

    found = manager.get(reverse("setup_providers"), {"q": "okaf"}).content.decode()
    first = manager.get(reverse("setup_providers"), {"q": "jones"})
    second = manager.get(reverse("setup_providers"), {"q": "jones", "page": 2})

    assert "Rita Okafor" in found and "Jones" not in found
    assert first.context["page"].paginator.count == 30
    assert "Page 1 of 2" in first.content.decode()
    assert len(second.context["page"].object_list) == 5
    assert "q=jones" in first.content.decode()  # the next-page link keeps the search


def test_the_provider_list_costs_the_same_queries_for_many_providers(
    manager, make_provider, django_assert_max_num_queries
):
    for n in range(3):
        make_provider(last_name=f"Few{n}", npi=valid_npi(7000 + n))
    with django_assert_max_num_queries(14) as few:
        manager.get(reverse("setup_providers"))
    for n in range(20):
        make_provider(last_name=f"Many{n}", npi=valid_npi(7100 + n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        manager.get(reverse("setup_providers"))


# --- rooms and appointment types ----------------------------------------------------------


def test_rooms_are_added_once_per_name_per_location(manager, office, location):
    ok = manager.post(
        reverse("setup_room_add"), {"location": location.pk, "name": "Exam 3", "kind": "exam"}
    )
    twin = manager.post(
        reverse("setup_room_add"), {"location": location.pk, "name": "exam 1", "kind": "exam"}
    )

    assert ok.status_code == 302
    assert Room.objects.filter(location=location, name="Exam 3").exists()
    assert field_errors(twin, "name") == ["Main already has a room called exam 1."]


def test_a_room_taken_out_of_use_is_listed_as_such(manager, office):
    room = office["rooms"]["exam2"]

    manager.post(reverse("setup_room_active", args=[room.pk]), {"active": "0"})

    room.refresh_from_db()
    assert not room.active
    page = manager.get(reverse("setup_rooms"), {"status": "all"}).content.decode()
    assert "out of use" in page


def test_appointment_types_are_checked_in_office_words(manager, office):
    url = reverse("setup_type_add")
    base = {"name": "Wound check", "code": "WC", "duration_minutes": 15, "colour": "#aa3344"}
    base |= {"room_kind": "exam", "patient_status": "any"}

    odd = manager.post(url, {**base, "duration_minutes": 17})
    video = manager.post(url, {**base, "telehealth": "on"})
    taken = manager.post(url, {**base, "code": "NP"})
    ok = manager.post(url, base)

    assert field_errors(odd, "duration_minutes") == ["Use a multiple of 5 minutes."]
    assert field_errors(video, "room_kind") == [
        "A telehealth visit needs no exam or procedure room."
    ]
    assert field_errors(taken, "code") == ["The short code NP is taken by New patient."]
    assert ok.status_code == 302
    assert AppointmentType.objects.get(code="WC").duration_minutes == 15


def test_a_type_no_longer_offered_stays_listed_as_such(manager, office):
    kind = office["types"]["phone"]

    manager.post(reverse("setup_type_active", args=[kind.pk]), {"active": "0"})

    kind.refresh_from_db()
    assert not kind.active
    assert "not offered" in manager.get(reverse("setup_types"), {"status": "all"}).content.decode()


# --- weekly templates ---------------------------------------------------------------------


def test_the_week_grid_shows_the_providers_blocks(desk, office):
    response = desk.get(reverse("setup_templates"), {"provider": office["provider"].pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("8:00–12:00") >= 5 and page.count("13:00–17:00") >= 5
    grid = response.context["grid"]
    assert [len(day.blocks) for day in grid.days] == [2, 2, 2, 2, 2, 0, 0]


def test_the_manager_adds_a_block_with_its_visit_types(manager, office, location):
    provider, types = office["provider"], office["types"]

    response = manager.post(
        reverse("setup_block_add", args=[provider.pk]),
        block_data(location, weekday=5, appointment_types=[types["follow_up"].pk]),
    )

    assert response.status_code == 302
    saturday = AvailabilityTemplate.objects.get(provider=provider, weekday=5)
    assert saturday.hours == "8:00–12:00"
    assert list(saturday.appointment_types.all()) == [types["follow_up"]]


def test_a_block_opens_for_editing_under_its_own_name(manager, office):
    monday = AvailabilityTemplate.objects.get(
        provider=office["provider"], weekday=0, start_time=dt.time(8)
    )

    page = manager.get(reverse("setup_block_edit", args=[monday.pk])).content.decode()

    assert "Dr. Patel: Monday 8:00–12:00 at Main" in page


def test_an_overlapping_block_is_refused_naming_the_block_in_the_way(manager, office, location):
    provider = office["provider"]

    response = manager.post(
        reverse("setup_block_add", args=[provider.pk]),
        block_data(location, weekday=0, start_time="11:00", end_time="14:00"),
    )

    assert response.status_code == 200
    (message,) = field_errors(response, "start_time")
    assert message.startswith("This overlaps the Monday block ")
    assert "at Main of Dr. Patel" in message
    assert AvailabilityTemplate.objects.filter(provider=provider, weekday=0).count() == 2


def test_a_block_ending_before_it_starts_is_refused(manager, office, location):
    response = manager.post(
        reverse("setup_block_add", args=[office["provider"].pk]),
        block_data(location, weekday=5, start_time="12:00", end_time="08:00"),
    )

    assert field_errors(response, "end_time") == ["The block must end after it starts."]
    assert not AvailabilityTemplate.objects.filter(weekday=5).exists()


def test_a_block_at_a_location_the_provider_does_not_work_at_is_refused(manager, office, practice):
    from medoffice.core.models import Location

    elsewhere = Location.objects.create(
        practice=practice,
        name="North",
        address1="1 North St",
        city="Springfield",
        state="IL",
        zip="62702",
        phone="2175550199",
        time_zone="America/Chicago",
    )

    response = manager.post(
        reverse("setup_block_add", args=[office["provider"].pk]), block_data(elsewhere, weekday=5)
    )

    assert field_errors(response, "location") == [
        "Choose one of the provider's locations (add the location to the provider first)."
    ]


def test_removing_a_block_ends_it_yesterday_or_deletes_a_future_one(
    manager, office, location, make_template
):
    provider = office["provider"]
    used = AvailabilityTemplate.objects.get(provider=provider, weekday=0, start_time=dt.time(8))
    later = make_template(
        provider,
        location,
        5,
        "08:00",
        "12:00",
        effective_from=timezone.localdate() + dt.timedelta(days=30),
    )

    manager.post(reverse("setup_block_remove", args=[used.pk]))
    manager.post(reverse("setup_block_remove", args=[later.pk]))

    used.refresh_from_db()
    assert used.effective_to == timezone.localdate() - dt.timedelta(days=1)
    assert not AvailabilityTemplate.objects.filter(pk=later.pk).exists()


# --- blocked time -------------------------------------------------------------------------


def test_a_vacation_over_whole_days_covers_the_locations_days(manager, office, location):
    provider = office["provider"]
    first = timezone.localdate() + dt.timedelta(days=20)

    response = manager.post(
        reverse("setup_exception_add"),
        {
            "kind": "vacation",
            "provider": provider.pk,
            "location": "",
            "all_day": "on",
            "start_date": first.isoformat(),
            "end_date": (first + dt.timedelta(days=4)).isoformat(),
            "reason": "Beach",
        },
    )

    assert response.status_code == 302
    vacation = ScheduleException.objects.get(provider=provider)
    assert vacation.start == dt.datetime.combine(first, dt.time(0), tzinfo=CHICAGO)
    assert vacation.end == dt.datetime.combine(first + dt.timedelta(days=5), dt.time(0), CHICAGO)
    listed = manager.get(reverse("setup_exceptions")).content.decode()
    assert "Beach" in listed
    last = first + dt.timedelta(days=4)
    assert f"{last:%a} {last:%b} {last.day}, {last.year} (whole days)" in listed


def test_blocked_time_ending_before_it_starts_is_refused(manager, office, location):
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()

    response = manager.post(
        reverse("setup_exception_add"),
        {
            "kind": "meeting",
            "provider": "",
            "location": location.pk,
            "start_date": day,
            "start_time": "12:00",
            "end_date": day,
            "end_time": "11:00",
        },
    )

    assert response.status_code == 200
    assert field_errors(response, "end_time") == ["The blocked time must end after it starts."]
    assert not ScheduleException.objects.exists()


def test_blocking_time_over_booked_visits_says_how_many_to_move(manager, office, book, location):
    day = timezone.localdate() + dt.timedelta(days=10)
    monday = day + dt.timedelta(days=(0 - day.weekday()) % 7)
    book(at(monday, "9:00"))
    book(at(monday, "10:00"))

    response = manager.post(
        reverse("setup_exception_add"),
        {
            "kind": "blocked",
            "provider": office["provider"].pk,
            "location": location.pk,
            "start_date": monday.isoformat(),
            "start_time": "08:00",
            "end_date": monday.isoformat(),
            "end_time": "12:00",
            "reason": "Hospital rounds",
        },
        follow=True,
    )

    assert "2 booked visits fall in it; move them." in response.content.decode()


def test_past_blocked_time_is_listed_apart_and_can_be_removed(manager, office, location):
    now = timezone.now()
    old = ScheduleException.objects.create(
        kind="holiday", start=now - dt.timedelta(days=40), end=now - dt.timedelta(days=39)
    )
    ahead = ScheduleException.objects.create(
        kind="meeting",
        location=location,
        start=now + dt.timedelta(days=2),
        end=now + dt.timedelta(days=2, hours=1),
        reason="Fire drill",
    )

    upcoming = manager.get(reverse("setup_exceptions"))
    past = manager.get(reverse("setup_exceptions"), {"when": "past"})
    manager.post(reverse("setup_exception_remove", args=[ahead.pk]))

    assert list(upcoming.context["page"].object_list) == [ahead]
    assert list(past.context["page"].object_list) == [old]
    assert not ScheduleException.objects.filter(pk=ahead.pk).exists()


# --- the services behind the pages --------------------------------------------------------


def test_the_services_refuse_with_codes_the_api_can_carry(office, location, make_user):
    from medoffice.scheduling import services_resources as services

    manager = make_user("office_manager")
    with pytest.raises(services.FieldErrors) as twin:
        services.save_provider(
            actor=manager,
            first_name="Ann",
            last_name="Lee",
            credentials="NP",
            npi=office["provider"].npi,
            locations=[location],
        )
    with pytest.raises(services.FieldErrors) as overlap:
        services.save_availability_block(
            actor=manager,
            provider=office["provider"],
            location=location,
            weekday=0,
            start_time=dt.time(11),
            end_time=dt.time(13),
            effective_from=timezone.localdate(),
        )

    assert (twin.value.code, twin.value.field, twin.value.status) == ("duplicate", "npi", 422)
    assert (overlap.value.code, overlap.value.field) == ("block_overlap", "start_time")
    assert overlap.value.message.startswith("This overlaps the Monday block 8:00–12:00")
