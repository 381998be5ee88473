"""Templates: the office's words, placeholders checked on save, the minimum PHI filled in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from medoffice.core.errors import DomainError
from medoffice.messaging import templating
from medoffice.messaging.models import MessageTemplate
from medoffice.messaging.services.composing import compose, values_for
from medoffice.messaging.services.setup import parse_offset, save_template


@pytest.mark.django_db
def test_unknown_placeholder_is_refused_naming_it(make_user):
    manager = make_user("office_manager")
    with pytest.raises(DomainError) as refused:
        save_template(
            actor=manager,
            purpose="reminder",
            channel="sms",
            body="Hi {patient_first_name}, your {diagnosis} visit is on {appointment_date}.",
        )
    assert refused.value.code == "unknown_placeholder"
    assert refused.value.field == "body"
    assert "{diagnosis}" in refused.value.message
    assert not MessageTemplate.objects.exists()


@pytest.mark.django_db
def test_unknown_placeholder_in_the_subject_names_the_subject(make_user):
    with pytest.raises(DomainError) as refused:
        save_template(
            actor=make_user("office_manager"),
            purpose="reminder",
            channel="email",
            subject="Your {visit_reason} visit",
            body="See you on {appointment_date}.",
        )
    assert refused.value.field == "subject" and "{visit_reason}" in refused.value.message


@pytest.mark.django_db
def test_model_save_refuses_an_unknown_placeholder_too():
    row = MessageTemplate(purpose="reminder", channel="sms", body="Hello {patient_last_name}")
    with pytest.raises(ValidationError) as refused:
        row.save()
    assert "{patient_last_name}" in str(refused.value.message_dict["body"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        "Hi {patient_first_name",  # unpaired brace
        "Hi {patient_first_name.__class__}",  # attribute access
        "Hi {patient_first_name!r}",  # conversion
        "Hi {}",  # positional
    ],
)
def test_malformed_placeholders_are_refused(make_user, body):
    with pytest.raises(DomainError) as refused:
        save_template(
            actor=make_user("office_manager"), purpose="reminder", channel="sms", body=body
        )
    assert refused.value.field == "body"


@pytest.mark.django_db
def test_saved_template_is_used_and_filled_in(make_user, book, patient, visit_day, location):
    from tests.messaging.conftest import at

    save_template(
        actor=make_user("office_manager"),
        purpose="reminder",
        channel="sms",
        body="{practice_name}: {patient_first_name}, {appointment_date} {appointment_time} "
        "with {provider_name} at {location_name} ({location_phone}). {{C}} confirms.",
    )
    visit = book(patient, at(visit_day, "9:30"))
    _subject, body = compose("reminder", "sms", values_for(patient, appointment=visit))
    day = f"{visit_day:%A}, {visit_day:%B} {visit_day.day}"
    assert body == (
        f"Riverside Family Medicine: Maria, {day} 9:30 AM with Dr. Patel at Main "
        "((217) 555-0100). {C} confirms."
    )


def test_built_in_templates_are_valid_and_carry_no_visit_reason():
    for (_purpose, channel), (subject, body) in templating.DEFAULTS.items():
        templating.check_template(subject=subject, body=body, channel=channel)
    assert not any("reason" in p or "type" in p for p in templating.PLACEHOLDERS)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("7d", 7 * 1440), ("2 days", 2880), ("2h", 120), ("90m", 90), ("1d 2h", 1560)],
)
def test_offsets_read_as_the_office_writes_them(text, minutes):
    assert parse_offset(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "7 weeks", "2h later"])
def test_unreadable_offsets_name_the_field(text):
    with pytest.raises(DomainError) as refused:
        parse_offset(text)
    assert refused.value.field == "offset"
