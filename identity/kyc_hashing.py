"""The KYC attribute hashing scheme (docs/kyc.md), kept compatible with a later Citadel
licence: each attribute becomes one element of the BLS12-381 scalar field, and the evidence
hash put on chain commits to a per-credential random salt and those elements in order.

- ``attribute_field_element(name, value)``: RFC 9380 §5.2 ``hash_to_field`` with ``m = 1``,
  ``count = 1``, ``L = 48`` over the scalar field ``r`` of BLS12-381, using §5.3.1
  ``expand_message_xmd`` with SHA-256 (py_ecc's implementation) and the domain separation tag
  :data:`KYC_ATTRIBUTE_DST`; the message is ``name ‖ "=" ‖ value`` in UTF-8.
- ``compute_evidence_hash(salt, elements)``: ``SHA-256(salt[32] ‖ I2OSP(e_1, 32) ‖ … ‖
  I2OSP(e_n, 32))``, elements in :data:`ATTRIBUTE_ORDER`.

No zero-knowledge proof exists yet: a Citadel circuit would later commit to the same field
elements with Poseidon; today only this SHA-256 digest is on chain.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, cast

from py_ecc.bls.hash import expand_message_xmd, os2ip
from py_ecc.optimized_bls12_381 import curve_order

#: Domain separation tag of the attribute hash-to-field (RFC 9380 §3.1).
KYC_ATTRIBUTE_DST = b"GLOAM-KYC-ATTRIBUTES-V1_BLS12381FR_XMD:SHA-256_"
#: Bytes expanded per element: ceil((ceil(log2(r)) + k) / 8) with k = 128 (RFC 9380 §5).
FIELD_ELEMENT_EXPAND_BYTES = 48
#: The BLS12-381 scalar field's order r (Citadel's and Poseidon's field).
SCALAR_FIELD_ORDER: int = int(curve_order)
SALT_BYTES = 32

#: The attributes hashed, in this order (docs/kyc.md gives each canonical form).
ATTRIBUTE_ORDER: tuple[str, ...] = (
    "subject",
    "holder_type",
    "legal_name",
    "date",
    "country",
    "investor_category",
    "category_evidence",
    "accredited",
)


class KycHashingError(ValueError):
    """An attribute set that cannot be hashed (missing or unknown attribute, bad salt)."""


def canonical_legal_name(value: str) -> str:
    """Unicode NFC, surrounding white space removed and inner runs of white space as one
    space; letter case is kept."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def compute_evidence_text_digest(text: str) -> str:
    """The category evidence's canonical value: lower-case hex SHA-256 of its UTF-8 (NFC)."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def attribute_field_element(name: str, value: str) -> int:
    """The scalar-field element of one attribute (RFC 9380 §5.2, see the module docstring):
    an integer in ``[0, r)``."""
    message = name.encode("utf-8") + b"=" + value.encode("utf-8")
    uniform = expand_message_xmd(
        message, KYC_ATTRIBUTE_DST, FIELD_ELEMENT_EXPAND_BYTES, cast(Any, hashlib.sha256)
    )
    return int(os2ip(uniform)) % SCALAR_FIELD_ORDER


def compute_attribute_elements(attributes: Mapping[str, str]) -> list[int]:
    """The field elements of ``attributes`` (canonical strings keyed by the names of
    :data:`ATTRIBUTE_ORDER`), in that order. ``KycHashingError`` if one is missing or
    unknown."""
    missing = [n for n in ATTRIBUTE_ORDER if n not in attributes]
    unknown = sorted(set(attributes) - set(ATTRIBUTE_ORDER))
    if missing or unknown:
        raise KycHashingError(f"attributes missing {missing} or unknown {unknown}")
    return [attribute_field_element(name, attributes[name]) for name in ATTRIBUTE_ORDER]


def compute_evidence_hash(salt: bytes, elements: Sequence[int]) -> bytes:
    """``SHA-256(salt ‖ I2OSP(e_1, 32) ‖ … ‖ I2OSP(e_n, 32))``: the 32-byte evidence hash of
    the claims. ``KycHashingError`` for a salt that is not 32 bytes or an element outside
    ``[0, r)``."""
    if len(salt) != SALT_BYTES:
        raise KycHashingError(f"the salt must be {SALT_BYTES} bytes")
    digest = hashlib.sha256(salt)
    for element in elements:
        if not 0 <= element < SCALAR_FIELD_ORDER:
            raise KycHashingError("a field element is outside the scalar field")
        digest.update(element.to_bytes(32, "big"))
    return digest.digest()
