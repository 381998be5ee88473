"""Billing's pages: fee schedule, charge entry, claims and the scrubber's rules."""
