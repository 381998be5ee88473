"""Message templates: the placeholders they may use, the words they start with, how they fill in.

Placeholders carry the minimum PHI a reminder needs: who (first name), when,
with whom and where. There is deliberately no placeholder for the visit's
type or reason. A payment plan's messages say how much is due and when, never
for what (no service, no diagnosis). A template naming anything else, or a
placeholder its purpose does not fill (a visit's time in a plan reminder, an
amount in a visit reminder), is refused when it is saved.
"""

from __future__ import annotations

import string

from medoffice.messaging import errors

PLACEHOLDERS: dict[str, str] = {
    "patient_first_name": "The patient's first (or preferred) name",
    "appointment_date": "The visit's date, e.g. Monday, March 9",
    "appointment_time": "The visit's local time, e.g. 9:30 AM",
    "provider_name": "The provider, e.g. Dr. Priya Patel",
    "location_name": "The office, e.g. Main",
    "location_phone": "The office's phone number, e.g. (217) 555-0100",
    "practice_name": "The practice's name",
    "offer_code": "The code a waitlisted patient replies with to take an offered slot",
    "amount_due": "A payment plan's amount due (or past due), e.g. $85.00",
    "due_date": "The plan installment's due date, e.g. Monday, March 9",
}

SAMPLE: dict[str, str] = {
    "patient_first_name": "Maria",
    "appointment_date": "Monday, March 9",
    "appointment_time": "9:30 AM",
    "provider_name": "Dr. Priya Patel",
    "location_name": "Main",
    "location_phone": "(217) 555-0100",
    "practice_name": "Riverside Family Medicine",
    "offer_code": "YES 4821",
    "amount_due": "$85.00",
    "due_date": "Monday, March 9",
}

# Purposes (what a message is for).
REMINDER = "reminder"
WAITLIST_OFFER = "waitlist_offer"
WAITLIST_BOOKED = "waitlist_booked"
WAITLIST_GONE = "waitlist_gone"
RECALL = "recall"
CONFIRMED_REPLY = "confirmed_reply"
CALLBACK_REPLY = "callback_reply"
STOP_REPLY = "stop_reply"
HELP_REPLY = "help_reply"
PLAN_DUE = "plan_due"
PLAN_MISSED = "plan_missed"
PURPOSE_CHOICES = [
    (REMINDER, "Appointment reminder"),
    (WAITLIST_OFFER, "Waitlist: slot offered"),
    (WAITLIST_BOOKED, "Waitlist: slot booked for you"),
    (WAITLIST_GONE, "Waitlist: slot already taken"),
    (RECALL, "Recall: time to book a visit"),
    (CONFIRMED_REPLY, "Reply: appointment confirmed"),
    (CALLBACK_REPLY, "Reply: we will call you"),
    (STOP_REPLY, "Reply: unsubscribed"),
    (HELP_REPLY, "Reply: help"),
    (PLAN_DUE, "Payment plan: installment due soon"),
    (PLAN_MISSED, "Payment plan: installment missed"),
]
PURPOSE_LABELS = dict(PURPOSE_CHOICES)

# Which placeholders a purpose fills: a payment plan's messages have no visit, the others
# no amount. The plan's amount and date are kept with each message (``Message.kept_values``)
# so that a fallback on another channel says the same; the rest is read again from the record.
PLAN_PURPOSES = (PLAN_DUE, PLAN_MISSED)
MONEY_PLACEHOLDERS = ("amount_due", "due_date")
VISIT_PLACEHOLDERS = ("appointment_date", "appointment_time", "provider_name", "offer_code")
KEPT_PLACEHOLDERS = MONEY_PLACEHOLDERS


def placeholders_for(purpose: str | None) -> dict[str, str]:
    """The placeholders a template for ``purpose`` may use (all of them for None)."""
    if purpose is None:
        return dict(PLACEHOLDERS)
    left_out = VISIT_PLACEHOLDERS if purpose in PLAN_PURPOSES else MONEY_PLACEHOLDERS
    return {name: words for name, words in PLACEHOLDERS.items() if name not in left_out}


SMS = "sms"
EMAIL = "email"
VOICE = "voice"
CHANNEL_CHOICES = [(SMS, "Text message"), (EMAIL, "Email"), (VOICE, "Phone call")]
CHANNEL_LABELS = dict(CHANNEL_CHOICES)

_REMIND_SMS = (
    "{practice_name}: Hi {patient_first_name}, a reminder of your visit with {provider_name} "
    "on {appointment_date} at {appointment_time} at {location_name}. Reply C to confirm, "
    "R to reschedule. Questions: {location_phone}. Reply STOP to opt out."
)
_REMIND_VOICE = (
    "Hello {patient_first_name}, this is {practice_name} reminding you of your visit with "
    "{provider_name} on {appointment_date} at {appointment_time} at our {location_name} office. "
    "To change it, please call {location_phone}."
)
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    # (purpose, channel): (email subject, body)
    (REMINDER, SMS): ("", _REMIND_SMS),
    (REMINDER, VOICE): ("", _REMIND_VOICE),
    (REMINDER, EMAIL): (
        "Your visit on {appointment_date}",
        "Dear {patient_first_name},\n\nThis is a reminder of your visit with {provider_name} "
        "on {appointment_date} at {appointment_time} at {practice_name}, {location_name}.\n\n"
        "To confirm, move or cancel it, please call us at {location_phone}.\n\n{practice_name}",
    ),
    (WAITLIST_OFFER, SMS): (
        "",
        "{practice_name}: an earlier visit with {provider_name} is open on {appointment_date} "
        "at {appointment_time}. Reply {offer_code} to take it; first to reply gets it.",
    ),
    (WAITLIST_OFFER, EMAIL): (
        "An earlier visit is open on {appointment_date}",
        "Dear {patient_first_name},\n\nAn earlier visit with {provider_name} is open on "
        "{appointment_date} at {appointment_time} at {location_name}. Reply to this email or text "
        "{offer_code}, or call {location_phone}; the first patient to answer gets it.\n\n"
        "{practice_name}",
    ),
    (WAITLIST_OFFER, VOICE): (
        "",
        "Hello {patient_first_name}, this is {practice_name}. An earlier visit with "
        "{provider_name} is open on {appointment_date} at {appointment_time}. "
        "Call {location_phone} to take it.",
    ),
    (WAITLIST_BOOKED, SMS): (
        "",
        "{practice_name}: you are booked with {provider_name} on {appointment_date} at "
        "{appointment_time} at {location_name}.",
    ),
    (WAITLIST_GONE, SMS): (
        "",
        "{practice_name}: sorry, the {appointment_date} {appointment_time} visit has been taken. "
        "You stay on our waitlist.",
    ),
    (RECALL, SMS): (
        "",
        "{practice_name}: Hi {patient_first_name}, you are due for a visit. Please call "
        "{location_phone} to book. Reply STOP to opt out.",
    ),
    (RECALL, EMAIL): (
        "Time to book your visit",
        "Dear {patient_first_name},\n\nOur records show you are due for a visit at "
        "{practice_name}. Please call {location_phone} to book a time that suits you.\n\n"
        "{practice_name}",
    ),
    (RECALL, VOICE): (
        "",
        "Hello {patient_first_name}, this is {practice_name}. You are due for a visit; please "
        "call {location_phone} to book.",
    ),
    (CONFIRMED_REPLY, SMS): (
        "",
        "{practice_name}: thank you, your visit on {appointment_date} at {appointment_time} is "
        "confirmed.",
    ),
    (CALLBACK_REPLY, SMS): (
        "",
        "{practice_name}: thank you, our front desk will call you to find a new time.",
    ),
    (STOP_REPLY, SMS): (
        "",
        "{practice_name}: you will get no more text messages from us. Call {location_phone} "
        "to opt back in.",
    ),
    (HELP_REPLY, SMS): (
        "",
        "{practice_name}: for help call {location_phone}. Reply C to confirm a visit, "
        "R to reschedule, STOP to opt out.",
    ),
    (PLAN_DUE, SMS): (
        "",
        "{practice_name}: Hi {patient_first_name}, a reminder that your payment plan "
        "installment of {amount_due} is due on {due_date}. Questions: {location_phone}. "
        "Reply STOP to opt out.",
    ),
    (PLAN_DUE, EMAIL): (
        "A payment reminder from {practice_name}",
        "Dear {patient_first_name},\n\nThis is a reminder that the next installment of your "
        "payment plan, {amount_due}, is due on {due_date}.\n\nIf you have already paid, thank "
        "you. For questions, please call us at {location_phone}.\n\n{practice_name}",
    ),
    (PLAN_DUE, VOICE): (
        "",
        "Hello {patient_first_name}, this is {practice_name} with a reminder that your payment "
        "plan installment of {amount_due} is due on {due_date}. For questions, please call "
        "{location_phone}.",
    ),
    (PLAN_MISSED, SMS): (
        "",
        "{practice_name}: Hi {patient_first_name}, we have not received your payment plan "
        "installment due on {due_date}; {amount_due} is past due. Please call {location_phone}. "
        "Reply STOP to opt out.",
    ),
    (PLAN_MISSED, EMAIL): (
        "Your payment plan is past due",
        "Dear {patient_first_name},\n\nWe have not received your payment plan installment due "
        "on {due_date}; {amount_due} is now past due. Please call us at {location_phone} to pay "
        "or to talk about your plan.\n\nIf you have paid in the last few days, thank you and "
        "please disregard this message.\n\n{practice_name}",
    ),
    (PLAN_MISSED, VOICE): (
        "",
        "Hello {patient_first_name}, this is {practice_name}. We have not received your payment "
        "plan installment due on {due_date}, and {amount_due} is past due. Please call "
        "{location_phone}.",
    ),
}


def placeholders_in(text: str, field: str, purpose: str | None = None) -> list[str]:
    """The placeholder names ``text`` uses, or a DomainError naming the field and the problem
    (with ``purpose``, a placeholder that purpose does not fill is a problem too)."""
    allowed = placeholders_for(purpose)
    names = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise errors.invalid(
            errors.BAD_TEMPLATE,
            f"The braces do not pair up ({exc}); write placeholders like {{patient_first_name}}, "
            "and a literal brace as {{ or }}.",
            field,
        ) from None
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in allowed:
            known = ", ".join("{" + p + "}" for p in allowed)
            shown = "{" + name + "}" if name else "{}"
            what = (
                f"{shown} is not filled in for {PURPOSE_LABELS[purpose].lower()}"
                if name in PLACEHOLDERS
                else f"Unknown placeholder {shown}"
            )
            raise errors.invalid(errors.UNKNOWN_PLACEHOLDER, f"{what}; use one of {known}.", field)
        if spec or conversion:
            raise errors.invalid(
                errors.BAD_TEMPLATE,
                f"Write the placeholder as {{{name}}}, without a format or conversion.",
                field,
            )
        names.append(name)
    return names


def check_template(*, subject: str, body: str, channel: str, purpose: str | None = None) -> None:
    """Refuse a template that cannot be sent as written, naming the field and the problem."""
    placeholders_in(subject, "subject", purpose)
    placeholders_in(body, "body", purpose)
    if not body.strip():
        raise errors.invalid(errors.BAD_TEMPLATE, "Write the message.", "body")
    if channel == EMAIL and not subject.strip():
        raise errors.invalid(errors.BAD_TEMPLATE, "An email needs a subject.", "subject")
    if channel == SMS and len(render(body, SAMPLE)) > 480:
        raise errors.invalid(
            errors.BAD_TEMPLATE,
            "A text message this long is split into more than three parts; shorten it "
            "to 480 characters or fewer (with the sample filled in).",
            "body",
        )


def render(text: str, values: dict[str, str]) -> str:
    """Fill in a checked template; a missing value reads as an empty string."""
    filled = {name: values.get(name, "") for name in PLACEHOLDERS}
    return text.format_map(filled)
