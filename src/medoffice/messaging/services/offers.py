"""Waitlist offers: a freed time goes to the waitlisted patients it fits, on their channel; the
first to accept gets it, booked through scheduling's booking service; the others are told it
is gone. A slot is never filled twice: accepting locks the offer row (PostgreSQL row lock;
SQLite's write lock), and the booking service refuses a taken time in the database anyway.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from django.db import transaction
from django.utils import timezone

from medoffice.core.errors import DomainError
from medoffice.messaging import channels, errors
from medoffice.messaging.models import InboundMessage, OfferRecipient, WaitlistOffer
from medoffice.messaging.services.composing import values_for
from medoffice.messaging.services.messages import opted_out_channels, queue_message
from medoffice.messaging.templating import WAITLIST_BOOKED, WAITLIST_GONE, WAITLIST_OFFER
from medoffice.scheduling.models import Appointment
from medoffice.scheduling.slots import Slot
from medoffice.scheduling.waitlist_matching import (
    book_from_waitlist,
    freed_slots,
    matches_for_slots,
)

MAX_RECIPIENTS = 5
ANSWER_WINDOW = dt.timedelta(days=2)


def slot_of_offer(offer: WaitlistOffer) -> Slot:
    return Slot(
        provider=offer.provider,
        location=offer.location,
        room=None,
        start=offer.start,
        end=offer.end,
        appointment_type=offer.appointment_type,
    )


def _tell(patient, purpose, offer, *, appointment=None, now, immediate=True):
    routes = channels.routes_for(patient, opted_out=opted_out_channels(patient))
    if not routes:
        return None
    values = values_for(
        patient,
        appointment=appointment,
        location=offer.location,
        start=offer.start,
        provider=offer.provider,
        offer_code=f"YES {offer.code}",
    )
    return queue_message(
        patient=patient,
        route=routes[0],
        purpose=purpose,
        values=values,
        planned_for=now,
        appointment=appointment,
        now=now,
        immediate=immediate,
        note=f"waitlist offer {offer.code}",
    )


@transaction.atomic
def offer_slot(
    *,
    actor,
    slot: Slot,
    source_appointment: Appointment | None = None,
    limit: int = MAX_RECIPIENTS,
    now: dt.datetime | None = None,
) -> WaitlistOffer:
    """Offer ``slot`` to up to ``limit`` waitlisted patients it fits (oldest entry first)."""
    now = now or timezone.now()
    if slot.start <= now:
        raise errors.invalid(errors.INVALID, "That time has already passed.", "slot")
    if source_appointment is not None:
        existing = WaitlistOffer.objects.filter(source_appointment=source_appointment).first()
        if existing is not None:
            return existing
    skip = [source_appointment.patient_id] if source_appointment is not None else []
    matches = matches_for_slots([slot], not_for_patients=skip)[0]
    offer = WaitlistOffer.objects.create(
        source_appointment=source_appointment,
        provider=slot.provider,
        location=slot.location,
        appointment_type=slot.appointment_type,
        start=slot.start,
        end=slot.end,
        code=f"{secrets.randbelow(9000) + 1000}",
        created_at=now,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    asked = 0
    for entry in matches:
        if asked >= limit:
            break
        message = _tell(entry.patient, WAITLIST_OFFER, offer, now=now, immediate=False)
        if message is None:
            continue
        OfferRecipient.objects.create(
            offer=offer, entry=entry, patient=entry.patient, message=message
        )
        asked += 1
    if not asked:
        offer.status, offer.closed_at = WaitlistOffer.CLOSED, now
        offer.note = "nobody on the waitlist fits this time (or can be reached)"
        offer.save(update_fields=["status", "closed_at", "note"])
    return offer


def accept_offer(*, recipient: OfferRecipient | int, now: dt.datetime | None = None):
    """The patient takes the offered time: booked if it is still open, else told it is gone.

    Returns the appointment, or raises ``offer_taken`` (409).
    """
    now = now or timezone.now()
    pk = recipient.pk if isinstance(recipient, OfferRecipient) else recipient
    with transaction.atomic():
        mine = OfferRecipient.objects.select_related("offer").get(pk=pk)
        offer = (
            WaitlistOffer.objects.select_for_update()
            .select_related("provider", "location", "appointment_type")
            .get(pk=mine.offer_id)
        )
        mine = OfferRecipient.objects.select_related("patient", "entry").get(pk=pk)
        if mine.status == OfferRecipient.ACCEPTED:
            return offer.booked_appointment
        if offer.status == WaitlistOffer.OPEN and offer.start <= now:
            _close(offer, "the time has passed", now)
        appointment = None
        if offer.status == WaitlistOffer.OPEN:
            try:
                with transaction.atomic():
                    appointment = book_from_waitlist(
                        actor=None, entry=mine.entry, slot=slot_of_offer(offer), now=now
                    )
            except DomainError as exc:
                _close(offer, f"could not be booked: {exc.message}", now)
        if appointment is None:
            _too_late(mine, offer, now)
        else:
            _fill(offer, mine, appointment, now)
    if appointment is None:  # raised after the commit, so the closing and the telling stay
        _gone_error(offer)
    return appointment


def _fill(offer: WaitlistOffer, mine: OfferRecipient, appointment, now) -> None:
    offer.status, offer.closed_at = WaitlistOffer.FILLED, now
    offer.booked_appointment = appointment
    offer.save(update_fields=["status", "closed_at", "booked_appointment"])
    mine.status, mine.answered_at = OfferRecipient.ACCEPTED, now
    mine.save(update_fields=["status", "answered_at"])
    _tell(mine.patient, WAITLIST_BOOKED, offer, appointment=appointment, now=now)
    for other in offer.recipients.filter(status=OfferRecipient.OFFERED).select_related("patient"):
        other.status = OfferRecipient.TOLD_GONE
        other.save(update_fields=["status"])
        _tell(other.patient, WAITLIST_GONE, offer, now=now)


def _gone_error(offer: WaitlistOffer):
    raise errors.conflict(
        errors.OFFER_TAKEN, "Sorry, that time has been taken; you stay on the waitlist.", "offer"
    )


def _close(offer: WaitlistOffer, why: str, now) -> None:
    offer.status, offer.closed_at, offer.note = WaitlistOffer.CLOSED, now, why[:200]
    offer.save(update_fields=["status", "closed_at", "note"])


def _too_late(recipient: OfferRecipient, offer: WaitlistOffer, now) -> None:
    if recipient.status == OfferRecipient.OFFERED:
        recipient.status, recipient.answered_at = OfferRecipient.TOO_LATE, now
        recipient.save(update_fields=["status", "answered_at"])
        _tell(recipient.patient, WAITLIST_GONE, offer, now=now)


def take_offer_by_reply(*, patient, text: str, now) -> tuple[str, str] | None:
    """(action, detail) when ``text`` answers a slot offer made to ``patient``, else None.

    "YES 4821" names the offer; a bare "YES" counts only when one offer is waiting.
    """
    words = re.findall(r"[A-Za-z0-9]+", text or "")
    if not words or words[0].upper() not in {"YES", "Y"}:
        return None
    code = next((w for w in words[1:] if re.fullmatch(r"\d{4}", w)), None)
    recent = OfferRecipient.objects.filter(
        patient=patient, offer__created_at__gte=now - ANSWER_WINDOW
    ).select_related("offer")
    if code:
        recent = recent.filter(offer__code=code)
    candidates = list(recent.filter(status=OfferRecipient.OFFERED))
    if not candidates:
        gone = recent.filter(status=OfferRecipient.TOLD_GONE).order_by("-offer__created_at")
        told = gone.first()
        if told is None:
            return None
        told.answered_at = now
        told.save(update_fields=["answered_at"])
        return InboundMessage.OFFER_TOO_LATE, f"offer {told.offer.code} was already gone (told)"
    if len(candidates) != 1:
        return None
    try:
        appointment = accept_offer(recipient=candidates[0], now=now)
    except DomainError:
        return InboundMessage.OFFER_TOO_LATE, f"offer {candidates[0].offer.code} was already gone"
    return InboundMessage.OFFER_ACCEPTED, f"booked appointment {appointment.pk} from the waitlist"


def offer_freed_slots(*, now: dt.datetime | None = None) -> int:
    """Offer every recently freed time nobody has been offered yet; close offers whose time
    passed. (A round of the messaging clock.)"""
    now = now or timezone.now()
    for offer in WaitlistOffer.objects.filter(status=WaitlistOffer.OPEN, start__lte=now):
        _close(offer, "the time has passed", now)
    made = 0
    for freed in freed_slots(now=now):
        if WaitlistOffer.objects.filter(source_appointment=freed.appointment).exists():
            continue
        offer = offer_slot(
            actor=None, slot=freed.slot, source_appointment=freed.appointment, now=now
        )
        made += offer.status == WaitlistOffer.OPEN
    return made
