"""``medoffice seed``: fill an empty database with the synthetic demo practice."""

from __future__ import annotations

import argparse

from django.core.management.base import BaseCommand, CommandError

from medoffice.demo.practice import MAX_LOCATIONS
from medoffice.demo.seed import (
    DEFAULT_LOCATIONS,
    DEFAULT_PATIENTS,
    DEFAULT_PROVIDERS,
    DEFAULT_SEED,
    DEFAULT_YEARS,
    MAX_PATIENTS,
    MAX_PROVIDERS,
    MAX_YEARS,
    SeedError,
    seed_practice,
    summary_text,
)


def _whole_number(low: int, high: int | None = None):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"of at least {low}"
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, not {text!r}")
        return value

    return parse


class Command(BaseCommand):
    help = (
        "Create a synthetic practice (locations, providers, rooms, staff logins, payers, "
        "patients with coverages, appointment types, weekly templates, holidays and "
        "vacations, years of appointment history, the next 60 days partly booked, a "
        "waitlist) in an empty database. The same --seed on the same day gives the same data."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--providers",
            type=_whole_number(1, MAX_PROVIDERS),
            default=DEFAULT_PROVIDERS,
            help=f"how many providers (default {DEFAULT_PROVIDERS})",
        )
        parser.add_argument(
            "--patients",
            type=_whole_number(0, MAX_PATIENTS),
            default=DEFAULT_PATIENTS,
            help=f"how many patients (default {DEFAULT_PATIENTS})",
        )
        parser.add_argument(
            "--years",
            type=_whole_number(1, MAX_YEARS),
            default=DEFAULT_YEARS,
            help=f"years of history to generate (default {DEFAULT_YEARS})",
        )
        parser.add_argument(
            "--locations",
            type=_whole_number(1, MAX_LOCATIONS),
            default=DEFAULT_LOCATIONS,
            help=f"how many offices (default {DEFAULT_LOCATIONS}, at most {MAX_LOCATIONS})",
        )
        parser.add_argument(
            "--seed",
            type=_whole_number(0),
            default=DEFAULT_SEED,
            help=f"random seed; the same seed gives the same practice (default {DEFAULT_SEED})",
        )

    def handle(self, *args, providers, patients, years, locations, seed, **options) -> None:
        progress = self.stdout if options["verbosity"] >= 1 else None
        try:
            summary = seed_practice(
                providers=providers,
                patients=patients,
                years=years,
                locations=locations,
                seed=seed,
                stdout=progress,
            )
        except SeedError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] >= 1:
            self.stdout.write(summary_text(summary))
