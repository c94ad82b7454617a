"""Model fields shared by the apps."""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from common.encryption import decrypt_text, encrypt_text


class EncryptedJSONField(models.TextField):
    """A JSON value stored as one Fernet token (``GLOAM_KYC_ENCRYPTION_KEYS``, the platform's
    personal-data keys, via ``common.encryption``): encoded with ``DjangoJSONEncoder``,
    read back as the decoded value. ``None`` is SQL NULL. Not searchable by value; raises
    ``InvalidToken`` on read if no configured key opens the stored token."""

    description = "JSON encrypted at rest (Fernet, GLOAM_KYC_ENCRYPTION_KEYS)"
    # django-stubs: TextField is typed str; this one sets and gets any JSON value.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None:
            return None
        return json.loads(decrypt_text(str(value)))

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> Any:
        """The decoded value, as ``JSONField`` gives it to serializers (``dumpdata``)."""
        return self.value_from_object(obj)

    def get_prep_value(self, value: Any) -> Any:
        value = models.Field.get_prep_value(self, value)
        if value is None:
            return None
        return encrypt_text(json.dumps(value, cls=DjangoJSONEncoder))
