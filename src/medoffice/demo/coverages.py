"""Synthetic insurance: which payer covers whom, since when, and under which member id.

Medicare covers nearly everyone 65 and over (from the month they turned 65),
often with a Medigap or Medicaid secondary; children are on Medicaid/CHIP or a
parent's plan; working-age adults mostly hold commercial plans; about 8 % of
patients pay for themselves and have no coverage rows. Some commercial and
Medicaid patients changed plans, so their earlier coverage has ended.
"""

from __future__ import annotations

import datetime as dt
import random

from medoffice.demo.context import NAMES, SeedContext, weighted, years_before
from medoffice.demo.patients import DrawnPatient, Person
from medoffice.patients.models import MBI_LETTERS, Coverage, Payer

# Each commercial plan's share, and how its cards print member ids.
COMMERCIAL_SHARE = {"PCHTR": 0.45, "SMUTL": 0.35, "CVBLU": 0.20}
MEMBER_PREFIX = {"PCHTR": "PHP", "SMUTL": "SMI", "CVBLU": "CVB"}


def new_mbi(rng: random.Random) -> str:
    """A Medicare Beneficiary Identifier of the right shape (11 characters, no S L O I B Z)."""
    pick = {"1": "123456789", "N": "0123456789", "A": MBI_LETTERS, "X": MBI_LETTERS + "0123456789"}
    return "".join(rng.choice(pick[p]) for p in "1AXNAXNAANN")


def _member_id(rng: random.Random, payer: Payer) -> str:
    if payer.kind == Payer.MEDICARE:
        return new_mbi(rng)
    if payer.kind == Payer.MEDICAID:
        return f"{rng.randint(1, 9)}{rng.randint(0, 10**11 - 1):011d}"
    return f"{MEMBER_PREFIX.get(payer.payer_id, 'MBR')}{rng.randint(0, 10**9 - 1):09d}"


def _jan_first(today: dt.date, years_ago: int, *, not_before: dt.date) -> dt.date:
    return max(dt.date(today.year - years_ago, 1, 1), not_before)


class CoverageMaker:
    """Draws every patient's coverages from one random stream, member ids unique."""

    def __init__(self, *, ctx: SeedContext, payers: dict[str, Payer]) -> None:
        self.rng = ctx.rng("coverages")
        self.today = ctx.today
        self.payers = payers
        self.used_ids: set[str] = set()
        self.groups = {
            pid: [f"G{self.rng.randint(10000, 9999999)}" for _ in range(40)]
            for pid in COMMERCIAL_SHARE
        }

    def _coverage(
        self,
        drawn: DrawnPatient,
        payer: Payer,
        *,
        order: int,
        effective: dt.date,
        dependent: bool = False,
    ) -> Coverage:
        """One coverage; ``dependent`` plans may belong to a parent or spouse (the subscriber)."""
        rng = self.rng
        member_id = _member_id(rng, payer)
        while member_id in self.used_ids:
            member_id = _member_id(rng, payer)
        self.used_ids.add(member_id)
        groups = self.groups.get(payer.payer_id)
        coverage = Coverage(
            patient=drawn.patient,
            payer=payer,
            order=order,
            effective_date=effective,
            group_number=rng.choice(groups) if groups else "",
        )
        coverage.set_member_id(member_id)
        if dependent:
            self._name_subscriber(coverage, drawn)
        return coverage

    def _name_subscriber(self, coverage: Coverage, drawn: DrawnPatient) -> None:
        """A minor is on a parent's plan; some adults are on their spouse's."""
        patient, rng = drawn.patient, self.rng
        if drawn.guarantor is not None:
            person = drawn.guarantor
            relationship = "spouse" if patient.guarantor_relationship == "spouse" else "child"
        elif rng.random() < 0.22:
            sex = "M" if patient.sex_at_birth == "F" else "F"
            first = NAMES.first(rng, sex)
            born = years_before(patient.date_of_birth, rng.randint(-5, 5))
            person = Person(first, patient.last_name, born, sex)
            relationship = "spouse"
        else:
            return
        coverage.subscriber_relationship = relationship
        coverage.subscriber_first_name = person.first_name
        coverage.subscriber_last_name = person.last_name
        coverage.subscriber_date_of_birth = person.date_of_birth
        coverage.subscriber_sex = person.sex

    def _commercial(self, *, other_than: Payer | None = None) -> Payer:
        shares = [(pid, w) for pid, w in COMMERCIAL_SHARE.items() if self.payers[pid] != other_than]
        return self.payers[weighted(self.rng, shares)]

    def coverages_for(self, drawn: DrawnPatient) -> list[Coverage]:
        """The patient's coverages, current primary first; empty for self-pay."""
        rng, today, born = self.rng, self.today, drawn.patient.date_of_birth
        age = drawn.age
        medicare, medicaid = self.payers["MCRJJ"], self.payers["GAMCD"]
        if age >= 65:
            kind = weighted(rng, [("medicare", 0.95), ("commercial", 0.04), ("self", 0.01)])
        elif age >= 18:
            kind = weighted(
                rng,
                [("commercial", 0.71), ("medicaid", 0.16), ("medicare", 0.02), ("self", 0.11)],
            )
        else:
            kind = weighted(rng, [("commercial", 0.55), ("medicaid", 0.40), ("self", 0.05)])
        if kind == "self":
            return []
        years_ago = rng.randint(0, 4)
        changed_plans = rng.random() < 0.12
        secondary_roll = rng.random()
        if kind == "medicare":
            primary_payer = medicare
            turned_65 = years_before(born, -65).replace(day=1)
            disabled_since = _jan_first(today, years_ago + 2, not_before=born)
            effective = turned_65 if age >= 65 else disabled_since
        else:
            primary_payer = medicaid if kind == "medicaid" else self._commercial()
            effective = _jan_first(today, years_ago, not_before=born)
        made = [
            self._coverage(
                drawn,
                primary_payer,
                order=Coverage.PRIMARY,
                effective=effective,
                dependent=kind == "commercial",
            )
        ]

        if kind != "medicare" and changed_plans:
            earlier_payer = self._commercial() if kind == "medicaid" else medicaid
            earlier_start = _jan_first(today, years_ago + rng.randint(1, 3), not_before=born)
            earlier_end = effective - dt.timedelta(days=1)
            if earlier_start <= earlier_end:
                made.append(
                    self._coverage(
                        drawn, earlier_payer, order=Coverage.PRIMARY, effective=earlier_start
                    )
                )
                made[-1].end_date = earlier_end

        second: Payer | None = None
        if kind == "medicare" and secondary_roll < 0.35:
            second = self._commercial()  # a Medigap plan
        elif kind == "medicare" and secondary_roll < 0.47:
            second = medicaid  # dual eligible
        elif kind == "commercial" and secondary_roll < 0.05:
            second = self._commercial(other_than=primary_payer)  # a spouse's plan as well
        if second is not None:
            start = max(effective, _jan_first(today, rng.randint(0, 3), not_before=born))
            made.insert(
                1,
                self._coverage(
                    drawn,
                    second,
                    order=Coverage.SECONDARY,
                    effective=start,
                    dependent=kind == "commercial",
                ),
            )
        return made
