"""Patient search as the front desk types it: names, typos, dates of birth, phones, MRNs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from medoffice.patients.search_keys import name_key, parse_query, phone_key
from medoffice.patients.selectors import search_patients

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel(make_patient):
    """A small practice with names that look alike."""
    people = [
        ("Smith", "John", dt.date(1970, 1, 2), "7065550101"),
        ("Smith", "Joan", dt.date(1982, 3, 4), "7065550102"),
        ("Smith", "Anna", dt.date(1990, 5, 6), "7065550103"),
        ("Smithers", "Jonah", dt.date(1965, 7, 8), "7065550104"),
        ("Johnson", "Mary", dt.date(1980, 5, 17), "4045550142"),
        ("Jonsen", "Paul", dt.date(1955, 9, 10), "4045550143"),
        ("Lopez", "Maria", dt.date(1980, 5, 17), "3345550199"),
        ("de la Cruz", "Rosa", dt.date(2001, 11, 12), "7705550111"),
        ("O'Brien", "Katherine", dt.date(1975, 12, 1), "6785550122"),
        ("Nguyen", "Bao", dt.date(1988, 8, 8), "2055550133"),
    ]
    made = {}
    for last, first, born, phone in people:
        made[(last, first)] = make_patient(
            last_name=last, first_name=first, date_of_birth=born, phone_mobile=phone
        )
    return made


def names(results):
    return [f"{p.last_name}, {p.first_name}" for p in results]


def test_keys_drop_accents_case_and_punctuation():
    assert name_key("O'Brien-Núñez") == "OBRIENNUNEZ"
    assert name_key("  de la Cruz ") == "DELACRUZ"
    assert phone_key("+1 (706) 555-0142") == "2410555607"
    assert phone_key("555-0142") == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("smith, j", {"last": "SMITH", "first": "J"}),
        ("smi jo", {"last": "SMI", "first": "JO"}),
        ("05/17/1980", {"dob": dt.date(1980, 5, 17)}),
        ("1980-05-17", {"dob": dt.date(1980, 5, 17)}),
        ("5/17/80", {"dob": dt.date(1980, 5, 17)}),
        ("(706) 555-0142", {"phone": "7065550142"}),
        ("+1 706 555 0142", {"phone": "7065550142"}),
        ("0142", {"phone": "0142"}),
        ("10000016", {"mrn": "10000016"}),
        ("10000017", {"mrn": "", "phone": "10000017"}),  # wrong check digit
    ],
)
def test_queries_are_taken_apart(typed, expected):
    parsed = parse_query(typed, today=dt.date(2026, 1, 1))
    for key, value in expected.items():
        assert getattr(parsed, key) == value


def test_a_last_name_prefix_finds_every_match_in_name_order(panel):
    assert names(search_patients(query="smi")) == [
        "Smith, Anna",
        "Smith, Joan",
        "Smith, John",
        "Smithers, Jonah",
    ]


def test_last_and_first_prefixes(panel):
    assert names(search_patients(query="smi jo")) == [
        "Smith, Joan",
        "Smith, John",
        "Smithers, Jonah",
    ]
    assert names(search_patients(query="smith, j")) == [
        "Smith, Joan",
        "Smith, John",
        "Smithers, Jonah",
    ]
    assert names(search_patients(query="SMITH,JOH")) == ["Smith, John"]


def test_exact_last_name_ranks_before_longer_names(panel):
    found = search_patients(query="smith")
    assert [p.match for p in found] == ["exact", "exact", "exact", "prefix"]


def test_first_then_last_and_compound_names(panel):
    assert names(search_patients(query="john smith"))[0] == "Smith, John"
    assert names(search_patients(query="de la cruz")) == ["de la Cruz, Rosa"]
    assert names(search_patients(query="obrien")) == ["O'Brien, Katherine"]
    assert names(search_patients(query="o'bri")) == ["O'Brien, Katherine"]


@pytest.mark.parametrize(
    ("typed", "wanted"),
    [
        ("Smtih", "Smith, Anna"),
        ("Jonson", "Johnson, Mary"),
        ("Jhonson", "Johnson, Mary"),
        ("Lopes", "Lopez, Maria"),
        ("Nguen", "Nguyen, Bao"),
        ("OBrian", "O'Brien, Katherine"),
    ],
)
def test_misspelt_last_names_still_find_the_patient(panel, typed, wanted):
    found = search_patients(query=typed)
    assert wanted in names(found)
    assert all(p.match == "fuzzy" for p in found)


def test_typos_rank_closest_first_and_stay_within_reach(panel):
    found = names(search_patients(query="Jonson"))
    assert found[:2] == ["Johnson, Mary", "Jonsen, Paul"]  # both one slip away
    assert "Smith, John" not in found


def test_misspelt_first_name_with_the_last_name(panel):
    assert names(search_patients(query="smith, jhon"))[0] == "Smith, John"
    assert names(search_patients(query="smtih jhon"))[0] == "Smith, John"


def test_date_of_birth_either_way(panel):
    expected = ["Johnson, Mary", "Lopez, Maria"]
    assert names(search_patients(query="05/17/1980")) == expected
    assert names(search_patients(query="1980-05-17")) == expected
    assert names(search_patients(query="lopez 05/17/1980")) == ["Lopez, Maria"]
    assert search_patients(query="02/30/1980") == []


def test_phone_any_formatting_or_last_four(panel):
    assert names(search_patients(query="(404) 555-0142")) == ["Johnson, Mary"]
    assert names(search_patients(query="404.555.0142")) == ["Johnson, Mary"]
    assert names(search_patients(query="+14045550142")) == ["Johnson, Mary"]
    assert names(search_patients(query="0142")) == ["Johnson, Mary"]
    assert names(search_patients(query="555-0101")) == ["Smith, John"]


def test_home_phone_is_searched_too(make_patient):
    make_patient(last_name="Home", phone_home="2055550177", phone_mobile="2055550178")
    assert names(search_patients(query="0177")) == ["Home, Maria"]


def test_mrn_finds_the_record_even_when_inactive(panel):
    patient = panel[("Lopez", "Maria")]
    patient.active = False
    patient.save()
    assert search_patients(query=patient.mrn) == [patient]
    assert search_patients(query="lopez") == []
    assert search_patients(query="lopez", include_inactive=True) == [patient]


def test_limit_and_offset_page_through_results(make_patient):
    for i in range(30):
        make_patient(last_name="Garcia", first_name=f"Ana{chr(65 + i % 26)}{i:02d}")
    first = search_patients(query="garcia", limit=10)
    second = search_patients(query="garcia", limit=10, offset=10)
    assert len(first) == len(second) == 10
    assert not {p.pk for p in first} & {p.pk for p in second}
    assert len(search_patients(query="garcia", limit=1000)) == 30  # capped at 100, 30 exist
    assert len(search_patients(query="garcia", limit=0)) == 1  # at least one


def test_nothing_typed_or_nonsense_finds_nothing(panel):
    assert search_patients(query="") == []
    assert search_patients(query="   ,  ") == []
    assert search_patients(query="12") == []
    assert search_patients(query="zzzzqx") == []


def test_the_search_keys_follow_edits_and_bulk_inserts(make_patient):
    from medoffice.patients.models import Patient
    from tests.patients.conftest import build_patient

    patient = make_patient(last_name="Walker")
    patient.last_name = "Whitaker"
    patient.save(update_fields=["last_name"])
    assert names(search_patients(query="whit")) == ["Whitaker, Maria"]
    Patient.objects.bulk_create([build_patient(last_name="Bulkley", phone_mobile="2055550150")])
    assert names(search_patients(query="bulk")) == ["Bulkley, Maria"]
    assert names(search_patients(query="0150")) == ["Bulkley, Maria"]


def test_a_name_prefix_search_uses_the_name_index(panel):
    from medoffice.patients.models import Patient
    from medoffice.patients.selectors import SEARCH_ORDER, _prefix

    qs = Patient.objects.filter(_prefix("search_last", "SMI"), active=True).order_by(*SEARCH_ORDER)[
        :25
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # a few rows: make the planner show its choice
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = qs.explain()
    assert "patient_name_search_idx" in plan
