"""Reading patient records: search, one patient's page, coverages, documents, merges.

Search (:func:`search_patients`) reads only indexed key columns kept beside
the names and phones (see ``search_keys.py``) and always stops at a LIMIT:

1. an MRN finds its record;
2. names: the last name as a prefix, then the first name as a prefix
   ("smi jo", "smith, j"), served in display order by one index, so the
   database stops after ``limit`` rows; without a comma also a compound last
   name ("de la cruz") and the other order ("john smith");
3. misspelt names: the distinct last names that sound alike (Soundex or
   Metaphone) or share the first two letters, read from indexes alone, within
   one or two slips of what was typed, closest first ("Smtih", "Jonson");
4. a date of birth or phone digits (full, last 7 or last 4) narrow any of
   these, or search alone.

Results rank MRN, then exact and prefix name matches, then the other readings;
misspellings are looked for only when the names as typed match nobody. Each
patient appears once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q, QuerySet
from django.utils import timezone

from medoffice.core.errors import PERMISSION_DENIED, DomainError
from medoffice.patients import errors
from medoffice.patients.models import Coverage, Patient, PatientDocument, PatientMerge, Payer
from medoffice.patients.search_keys import (
    MIN_FUZZY_LETTERS,
    ParsedQuery,
    edit_distance,
    fuzzy_allowance,
    name_key,
    next_key,
    parse_query,
    sound_keys,
)

SEARCH_ORDER = ("search_last", "search_first", "date_of_birth", "id")
# What a list of patients shows (fewer columns: less to build, send and read).
LIST_FIELDS = (
    "mrn",
    "first_name",
    "middle_name",
    "last_name",
    "name_suffix",
    "preferred_name",
    "date_of_birth",
    "phone_home",
    "phone_mobile",
    "active",
    "merged_into_id",
    "search_last",
    "search_first",
    "home_location__name",
)
MAX_LIMIT = 100
MAX_ID = 2**63 - 1

# How each result was found, best first.
MRN, EXACT, PREFIX, OTHER_READING, SOUNDS_LIKE = "mrn", "exact", "prefix", "reading", "fuzzy"


def _prefix(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, as a range an ordinary index serves (byte order)."""
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": next_key(prefix)})


def _phone(digits: str) -> Q:
    key = digits[::-1]  # keys are stored reversed: the last digits are the prefix
    return _prefix("phone_mobile_key", key) | _prefix("phone_home_key", key)


def _first_name(first: str) -> Q:
    """The first name starts with what was typed, or (3+ letters) sounds like it."""
    q = _prefix("search_first", first)
    if len(first) >= MIN_FUZZY_LETTERS:
        soundex, metaphone = sound_keys(first)
        q |= Q(first_soundex=soundex) | Q(first_metaphone=metaphone)
    return q


def base_patients(*, include_inactive: bool = False) -> QuerySet[Patient]:
    """Patients as lists show them (with their home office), active ones unless asked."""
    qs = Patient.objects.select_related("home_location").only(*LIST_FIELDS)
    return qs if include_inactive else qs.filter(active=True)


def browse_patients(*, include_inactive: bool = False) -> QuerySet[Patient]:
    """Every patient in name order (the list page before anything is typed)."""
    return base_patients(include_inactive=include_inactive).order_by(*SEARCH_ORDER)


def sounds_like(last: str) -> dict[int, list[str]]:
    """Last names on file within one or two slips of ``last``, grouped by distance.

    Candidates come from three small index reads: the same Soundex (forgives
    swapped letters and vowel slips), the same Metaphone (spelling by sound),
    or the same first two letters (a wrong consonant later in the name); the
    edit distance then decides. Together they find about 96 % of one-slip
    misspellings of US surnames (benchmarks/patient_search.py measures it).
    """
    soundex, metaphone = sound_keys(last)

    def names(condition: Q) -> QuerySet:
        return Patient.objects.filter(condition).order_by().values_list("search_last", flat=True)

    candidates = names(Q(last_soundex=soundex)).union(
        names(Q(last_metaphone=metaphone)), names(_prefix("search_last", last[:2]))
    )
    allowance = fuzzy_allowance(last)
    groups: dict[int, list[str]] = defaultdict(list)
    for name in candidates:
        if abs(len(name) - len(last)) > allowance + 1:
            continue
        distance = edit_distance(last, name)
        if distance <= allowance or (
            distance <= allowance + 1 and sound_keys(name)[1] == metaphone
        ):
            groups[distance].append(name)
    return dict(sorted(groups.items()))


class _Results:
    """Patients found so far, in rank order, each once; knows when there are enough."""

    def __init__(self, want: int):
        self.want = want
        self.found: dict[int, Patient] = {}

    @property
    def full(self) -> bool:
        return len(self.found) >= self.want

    def take(
        self, qs: QuerySet[Patient], match: str, *, exact_last: str = "", closest_to: str = ""
    ) -> None:
        if self.full:
            return
        rows = list(qs[: self.want + len(self.found)])
        if closest_to:  # misspelt first name: the closest spelling first
            rows.sort(key=lambda p: edit_distance(closest_to, p.search_first[: len(closest_to)]))
        for patient in rows:
            if patient.pk not in self.found:
                kind = EXACT if match == PREFIX and patient.search_last == exact_last else match
                patient.match = kind
                self.found[patient.pk] = patient


def _name_readings(parsed: ParsedQuery) -> list[tuple[Q, str]]:
    """(condition, how found) for each way the typed names can be read, best first."""
    q = _prefix("search_last", parsed.last)
    if parsed.first:
        q &= _prefix("search_first", parsed.first)
    readings = [(q, PREFIX)]
    tokens = parsed.tokens
    if not parsed.comma and len(tokens) >= 2:
        compound = _prefix("search_last", "".join(tokens))  # de la cruz
        swapped = _prefix("search_last", tokens[-1]) & _prefix("search_first", tokens[0])
        readings.append((compound | swapped, OTHER_READING))  # john smith
    return readings


def search_patients(
    *, query: str, limit: int = 25, offset: int = 0, include_inactive: bool = False
) -> list[Patient]:
    """Patients matching a name, date of birth, phone or MRN, best matches first.

    Each patient carries ``match``: "mrn", "exact", "prefix", "reading" (names
    read in another order) or "fuzzy" (sounds like / misspelt).
    """
    limit = max(1, min(int(limit), MAX_LIMIT))
    offset = max(0, int(offset))
    parsed = parse_query(query, today=timezone.localdate())
    if parsed.empty:
        return []
    results = _Results(offset + limit)
    base = base_patients(include_inactive=include_inactive).order_by(*SEARCH_ORDER)
    narrow = Q()
    if parsed.dob:
        narrow &= Q(date_of_birth=parsed.dob)
    if parsed.phone:
        narrow &= _phone(parsed.phone)
    if parsed.mrn:
        # A typed MRN finds its record even when inactive or merged (the page says so).
        results.take(base_patients(include_inactive=True).filter(mrn=parsed.mrn), MRN)
    if not parsed.last:
        if parsed.dob or parsed.phone:
            results.take(base.filter(narrow), PREFIX)
        return list(results.found.values())[offset:]
    for condition, match in _name_readings(parsed):
        results.take(base.filter(condition, narrow), match, exact_last=parsed.last)
    # Misspellings only when the name as typed matches nobody: a prefix that finds
    # patients is someone typing, and sound-alikes would only crowd the list.
    if not results.found and len(parsed.last) >= MIN_FUZZY_LETTERS:
        first = _first_name(parsed.first) if parsed.first else Q()
        for distance, names in sounds_like(parsed.last).items():
            if distance == 0 and not parsed.first:
                continue  # the name itself: already found as a prefix
            results.take(
                base.filter(first, narrow, search_last__in=names),
                SOUNDS_LIKE,
                closest_to=parsed.first,
            )
            if results.full:
                break
    return list(results.found.values())[offset:]


# --- one patient ----------------------------------------------------------------------


def access_patient(*, user, patient_id: int, perm: str = "patients.view_patient") -> Patient:
    """The patient, if ``user`` holds ``perm``: 403 first (no hint whether they exist), then 404."""
    if not user.has_perm(perm):
        raise DomainError(
            PERMISSION_DENIED, "Your role does not allow this for patient records.", status=403
        )
    if not isinstance(patient_id, int) or not 0 < patient_id <= MAX_ID:
        raise errors.not_found("patient", patient_id)
    try:
        return Patient.objects.select_related("home_location", "merged_into").get(pk=patient_id)
    except Patient.DoesNotExist:
        raise errors.not_found("patient", patient_id) from None


def access_coverage(*, user, coverage_id: int, perm: str = "patients.view_coverage") -> Coverage:
    if not user.has_perm(perm):
        raise DomainError(
            PERMISSION_DENIED, "Your role does not allow this for coverages.", status=403
        )
    if not isinstance(coverage_id, int) or not 0 < coverage_id <= MAX_ID:
        raise errors.not_found("coverage", coverage_id)
    try:
        return Coverage.objects.select_related("payer", "patient").get(pk=coverage_id)
    except Coverage.DoesNotExist:
        raise errors.not_found("coverage", coverage_id) from None


def may_view_documents(user) -> bool:
    """Scanned cards and IDs are part of the record: whoever may open the record may see them."""
    return user.has_perm("patients.view_patient")


def may_upload_documents(user) -> bool:
    return user.has_perm("patients.change_patient")


def access_document(*, user, document_id: int) -> PatientDocument:
    if not may_view_documents(user):
        raise DomainError(
            PERMISSION_DENIED, "Your role does not allow opening patient documents.", status=403
        )
    if not isinstance(document_id, int) or not 0 < document_id <= MAX_ID:
        raise errors.not_found("document", document_id)
    try:
        return PatientDocument.objects.get(pk=document_id)
    except PatientDocument.DoesNotExist:
        raise errors.not_found("document", document_id) from None


# --- coverages ------------------------------------------------------------------------


def coverage_status(coverage: Coverage, *, on: dt.date) -> str:
    """'active', 'ended' or 'future' on the given day."""
    if coverage.effective_date > on:
        return "future"
    if coverage.end_date is not None and coverage.end_date < on:
        return "ended"
    return "active"


def coverages_of(patient: Patient | int, *, on: dt.date | None = None) -> list[Coverage]:
    """The patient's coverages, active ones first (by order), each with ``status`` set."""
    on = on or timezone.localdate()
    patient_id = getattr(patient, "pk", patient)
    coverages = list(Coverage.objects.filter(patient_id=patient_id).select_related("payer"))
    for coverage in coverages:
        coverage.status = coverage_status(coverage, on=on)
    rank = {"active": 0, "future": 1, "ended": 2}
    return sorted(coverages, key=lambda c: (rank[c.status], c.order, -c.effective_date.toordinal()))


def coverage_for(patient: Patient | int, *, on: dt.date | None = None, order: int = 1):
    """The patient's coverage in ``order`` (1 primary) active on ``on`` (default today), or None.

    Booking and billing call this; ``None`` means the patient has no active
    coverage of that order that day (self-pay, or an inactive coverage).
    """
    on = on or timezone.localdate()
    patient_id = getattr(patient, "pk", patient)
    return (
        Coverage.objects.filter(patient_id=patient_id, order=order, effective_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("payer")
        .order_by("-effective_date")
        .first()
    )


def payers_for_coverage(*, keep: int | None = None) -> QuerySet[Payer]:
    """Payers a coverage may name: active ones, never self-pay (and ``keep``, its current one)."""
    allowed = Q(active=True) & ~Q(kind=Payer.SELF_PAY)
    if keep:
        allowed |= Q(pk=keep)
    return Payer.objects.filter(allowed).order_by("name")


def active_payers() -> QuerySet[Payer]:
    return Payer.objects.filter(active=True).order_by("name")


# --- documents and merges -------------------------------------------------------------


def documents_of(patient: Patient | int) -> list[PatientDocument]:
    patient_id = getattr(patient, "pk", patient)
    return list(PatientDocument.objects.filter(patient_id=patient_id).select_related("uploaded_by"))


def merges_of(patient: Patient | int) -> list[PatientMerge]:
    """Merges this record took part in, kept or folded, newest first."""
    patient_id = getattr(patient, "pk", patient)
    return list(
        PatientMerge.objects.filter(Q(survivor_id=patient_id) | Q(duplicate_id=patient_id))
        .select_related("survivor", "duplicate", "merged_by", "unmerged_by")
        .order_by("-merged_at", "-pk")
    )


def patient_by_mrn(mrn: str) -> Patient | None:
    return Patient.objects.filter(mrn=(mrn or "").strip()).first()


def possible_duplicates(
    *, first_name: str, last_name: str, date_of_birth: dt.date, exclude_id: int | None = None
) -> list[Patient]:
    """Records with the same name and date of birth (a registration may be a duplicate)."""
    qs = Patient.objects.filter(
        search_last=name_key(last_name),
        search_first=name_key(first_name),
        date_of_birth=date_of_birth,
        merged_into__isnull=True,
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs.order_by("pk")[:5])
