"""What patient search compares: names and phones reduced to keys, and a typed query taken apart.

Pure functions (no database): the model fills its key columns with them on
every save, the migration with them for existing rows, and the search
selector turns what the front desk typed into the same keys.

- :func:`name_key`: a name in capital letters A-Z only ("O'Brien-Núñez" →
  "OBRIENNUNEZ"), so a prefix typed any way matches.
- :func:`sound_keys`: Soundex and Metaphone of a name (jellyfish). Soundex
  forgives swapped letters and vowel slips ("Smtih", "Jhonson"); Metaphone
  forgives spelling by sound ("Catherine"/"Kathryn", "Phillips"/"Filips").
- :func:`phone_key`: the last 10 digits of a phone, reversed, so that "the
  last 4 digits" is a prefix search on an ordinary index.
- :func:`parse_query`: names, a date of birth, phone digits or an MRN.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

import jellyfish
from django.utils import timezone

_NOT_LETTER = re.compile(r"[^A-Z]")
_NOT_DIGIT = re.compile(r"\D")
_DIGITISH = re.compile(r"^[\d()+.\-]+$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_US_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")

PHONE_KEY_DIGITS = 10
MIN_PHONE_DIGITS = 4  # "the last four digits" is the shortest phone search
MIN_FUZZY_LETTERS = 3  # shorter names are prefixes being typed, not misspellings


def name_key(text: str) -> str:
    """``text`` in capital letters A-Z only: accents dropped, spaces and punctuation gone."""
    decomposed = unicodedata.normalize("NFKD", (text or "").upper())
    return _NOT_LETTER.sub("", decomposed.encode("ascii", "ignore").decode("ascii"))


def sound_keys(key: str) -> tuple[str, str]:
    """(Soundex, Metaphone) of a name key; empty strings for an empty key."""
    if not key:
        return "", ""
    return jellyfish.soundex(key), jellyfish.metaphone(key)[:60]


def phone_key(phone: str) -> str:
    """The last 10 digits of ``phone`` reversed ("" when it has fewer than 10 digits)."""
    digits = _NOT_DIGIT.sub("", phone or "")
    if len(digits) < PHONE_KEY_DIGITS:
        return ""
    return digits[-PHONE_KEY_DIGITS:][::-1]


def edit_distance(a: str, b: str) -> int:
    """Damerau-Levenshtein distance: a swapped pair of letters counts as one slip."""
    return jellyfish.damerau_levenshtein_distance(a, b)


def fuzzy_allowance(key: str) -> int:
    """How many slips a typed name may have: one up to 5 letters, two from 6 letters."""
    return 1 if len(key) <= 5 else 2


def next_key(prefix: str) -> str:
    """The smallest string after every string starting with ``prefix`` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@dataclass(frozen=True)
class ParsedQuery:
    """What a search box held, taken apart."""

    last: str = ""  # name key of the (first-typed) last name
    first: str = ""  # name key of the first name, if one was typed
    tokens: tuple[str, ...] = ()  # every name key, in typed order
    comma: bool = False  # "smith, j": the order is certain
    dob: dt.date | None = None
    phone: str = ""  # digits (4 to 10) the phone ends with
    mrn: str = ""

    @property
    def empty(self) -> bool:
        return not (self.last or self.dob or self.phone or self.mrn)


def parse_date(text: str, *, today: dt.date | None = None) -> dt.date | None:
    """A date typed as YYYY-MM-DD, MM/DD/YYYY (or M/D/YY, with - or . too); None otherwise."""
    text = text.strip()
    if m := _ISO_DATE.match(text):
        year, month, day = (int(g) for g in m.groups())
    elif m := _US_DATE.match(text):
        month, day, year = (int(g) for g in m.groups())
        if len(m.group(3)) == 2:
            today = today or timezone.localdate()  # only picks the century
            year += 2000 if year <= today.year % 100 else 1900
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _mrn_ok(digits: str) -> bool:
    from medoffice.patients.models import MRN_DIGITS, luhn_check_digit

    return len(digits) == MRN_DIGITS and luhn_check_digit(digits[:-1]) == int(digits[-1])


def parse_query(text: str, *, today: dt.date | None = None) -> ParsedQuery:
    """Take a search apart: "smith, j", "smi jo", "05/17/1980", "(706) 555-0142", "10000017"."""
    text = (text or "").strip()[:200]
    comma = "," in text
    dob = None
    digits = ""
    words: list[str] = []
    for raw in text.replace(",", " , ").split():
        if raw == ",":
            words.append(",")
        elif dob is None and (day := parse_date(raw, today=today)) is not None:
            dob = day
        elif _DIGITISH.match(raw):
            digits += _NOT_DIGIT.sub("", raw)
        elif key := name_key(raw):
            words.append(key)
    mrn = phone = ""
    if digits:
        if _mrn_ok(digits):
            mrn = digits
        elif len(digits) >= MIN_PHONE_DIGITS:
            phone = digits[-PHONE_KEY_DIGITS:]
    if comma:
        before, _, after = " ".join(words).partition(",")
        last = "".join(before.split())
        after_words = after.split()
        first = after_words[0] if after_words else ""
        tokens = tuple(t for t in (last, *after_words) if t)
    else:
        tokens = tuple(words)
        last = tokens[0] if tokens else ""
        first = tokens[1] if len(tokens) > 1 else ""
    return ParsedQuery(
        last=last, first=first, tokens=tokens, comma=comma, dob=dob, phone=phone, mrn=mrn
    )
