"""Waitlist offers (filled in by the waitlist slice)."""

from __future__ import annotations


def take_offer_by_reply(*, patient, text, now):
    """(action, detail) when ``text`` answers an open slot offer to ``patient``, else None."""
    return None
