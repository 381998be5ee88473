"""Encryption at rest for sensitive identifiers (member ids, later SSNs), and their search hash.

- :func:`encrypt` / :func:`decrypt` use a ``MultiFernet`` built from
  ``settings.FIELD_ENCRYPTION_KEYS`` (newest first): new values are encrypted
  with the first key, and any listed key can read. To rotate, put a new key in
  front of ``MEDOFFICE_FIELD_KEYS``, re-encrypt stored values with
  :func:`reencrypt`, then drop the old key.
- :func:`keyed_hash` is an HMAC-SHA256 keyed with ``settings.SEARCH_HASH_KEY``,
  a secret of its own, so that an exact identifier can be found without
  decrypting every row, and so that rotating the encryption keys never
  invalidates the stored hashes. :func:`identifier_hash` normalises first
  (spaces, dashes and case do not matter when someone types the id).
- :class:`EncryptedTextField` stores ciphertext and hands model code plain text.
  It cannot be filtered on (the ciphertext differs on every save): search with
  the hash column kept beside it.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

_SEPARATORS = re.compile(r"[\s\-]+")


class DecryptionError(ValueError):
    """A stored value cannot be read with the keys in MEDOFFICE_FIELD_KEYS."""


@functools.lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("MEDOFFICE_FIELD_KEYS holds no key")
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "MEDOFFICE_FIELD_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma separated, newest first"
        ) from exc


def _fernet() -> MultiFernet:
    # Read the setting on every call (cheap; the cipher is cached per key list),
    # so a changed setting (tests, a rotated deployment) takes effect at once.
    keys = tuple(k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k and k.strip())
    return _multi_fernet(keys)


def encrypt(text: str) -> str:
    """The Fernet token (ASCII text) for ``text``, encrypted with the newest key."""
    return _fernet().encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text inside ``token``; any configured key may have encrypted it."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError):
        raise DecryptionError(
            "an encrypted value cannot be read with the keys in MEDOFFICE_FIELD_KEYS "
            "(was the key that wrote it removed?)"
        ) from None


def reencrypt(token: str) -> str:
    """``token`` re-encrypted with the newest key (for rotation; the plain text is unchanged)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken:
        raise DecryptionError(
            "an encrypted value cannot be read with the keys in MEDOFFICE_FIELD_KEYS"
        ) from None


def keyed_hash(text: str) -> str:
    """HMAC-SHA256 of ``text`` (hex, 64 characters) under the search-hash key."""
    key = settings.SEARCH_HASH_KEY.encode()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def normalise_identifier(text: str) -> str:
    """An identifier as typed, reduced to what matters: no spaces or dashes, upper case."""
    return _SEPARATORS.sub("", text).upper()


def identifier_hash(text: str) -> str:
    """The keyed hash of an identifier after :func:`normalise_identifier` (for exact search)."""
    return keyed_hash(normalise_identifier(text))


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; the model attribute is the plain text.

    ``None`` and the empty string are stored as they are (nothing to hide).
    Only ``isnull`` lookups are allowed: filtering on the value itself could
    never match, so it fails loudly instead of silently finding nothing.
    """

    description = "Text encrypted at rest (Fernet)"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def to_python(self, value):
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            return None
        return super().get_lookup(lookup_name)

    def get_transform(self, lookup_name):
        return None
