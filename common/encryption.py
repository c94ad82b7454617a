"""Field-by-field encryption at rest (cryptography's Fernet): KYC attributes, webhook secrets
and idempotency replay bodies (``common.fields.EncryptedJSONField``).

Each encrypted column holds one Fernet token (AES-128-CBC + HMAC-SHA256, base64, with the
time it was written) or the empty string for "no value" (e.g. after an erasure). The keys
come from ``settings.GLOAM_KYC_ENCRYPTION_KEYS`` (comma-separated in the environment, newest
first): :class:`cryptography.fernet.MultiFernet` encrypts with the first and decrypts with
any of them, so a key is rotated by putting a new one in front (old rows stay readable;
``MultiFernet.rotate`` re-encrypts them). The key is kept apart from
``GLOAM_KEY_ENCRYPTION_KEY`` (chain secret keys): one purpose per key.
"""

from __future__ import annotations

from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def get_kyc_cipher() -> MultiFernet:
    """The ``MultiFernet`` of ``GLOAM_KYC_ENCRYPTION_KEYS``; ``ImproperlyConfigured`` if none
    is set or one is not a Fernet key (32 url-safe base64-encoded bytes)."""
    keys = [k for k in settings.GLOAM_KYC_ENCRYPTION_KEYS if k]
    if not keys:
        raise ImproperlyConfigured("GLOAM_KYC_ENCRYPTION_KEYS is not set (comma-separated Fernet keys)")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"GLOAM_KYC_ENCRYPTION_KEYS holds a key that is not a Fernet key: {exc}"
        ) from exc


def encrypt_text(value: str) -> str:
    """``value`` as a Fernet token (ASCII); ``""`` stays ``""``."""
    if value == "":
        return ""
    return get_kyc_cipher().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    """The plaintext of a Fernet token; ``""`` stays ``""``. Raises
    ``cryptography.fernet.InvalidToken`` if no configured key opens it (or it was altered)."""
    if token == "":
        return ""
    return get_kyc_cipher().decrypt(token.encode("ascii")).decode("utf-8")


class EncryptedTextField(models.TextField):
    """A text column stored as a Fernet token, read back as plaintext. Not searchable or
    orderable by value (the ciphertext is randomised); keep lookups to other columns.
    Raises ``InvalidToken`` on read if the keys do not open the stored token."""

    description = "Text encrypted at rest (Fernet, GLOAM_KYC_ENCRYPTION_KEYS)"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None:
            return None
        return decrypt_text(str(value))

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_text(str(value))


__all__ = ["EncryptedTextField", "InvalidToken", "decrypt_text", "encrypt_text", "get_kyc_cipher"]
