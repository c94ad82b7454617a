"""Errors of ``chain.crypto``: one tree, each with a stable ``reason`` code.

Only functions that *produce* something (``KeyGen``, ``SkToPk``, ``Sign``, ``Aggregate``,
``AggregatePKs``, the ``bytes_to_*`` decoders) raise. Verification functions never raise on
bad data: they return ``False`` (draft-irtf-cfrg-bls-signature-05 §2.7: "INVALID").

Reason codes (stable, machine-readable; tests and callers may match on them):

``wrong_length``
    bytes of the wrong size for the object (48 for a key, 96 for a signature, 32 for a secret).
``not_bytes``
    a value that is not a byte string where one is required.
``invalid_encoding``
    not a canonical ZCash-style compressed point: bad flag bits, x ≥ p, x not on the curve,
    or bits set after the infinity flag.
``not_in_subgroup``
    a point on the curve but outside the prime-order subgroup G1 or G2.
``infinity``
    the identity point where a public key is required (KeyValidate, §2.5).
``secret_key_out_of_range``
    a secret key outside ``[1, r)``.
``ikm_too_short``
    input keying material shorter than 32 bytes (§2.3).
``empty``
    an empty list where at least one item is required (§2.8).
``length_mismatch``
    parallel lists of different lengths.
``entropy_too_short``
    fewer entropy bytes than a batch verification needs.
``dst_too_long``
    a domain separation tag longer than 255 bytes (RFC 9380 §5.3.1).
``unknown_backend``
    a BLS backend name that does not exist.
``library_mismatch``
    raised at import if a library's curve parameters are not the ciphersuite's.
``out_of_range`` / ``not_int``
    a BLS12-381 scalar field element (Poseidon input) that is not in ``[0, p)`` or not an ``int``.
``wrong_width`` / ``invalid_io_pattern`` / ``io_pattern_violation``
    a Poseidon state of the wrong width; a sponge pattern that is not sensible (dusk-safe
    ``InvalidIOPattern``); a sponge call off its pattern or a Merkle domain with the wrong arity
    (dusk-safe / dusk-poseidon ``IOPatternViolation``).

Jubjub (``chain.crypto.jubjub``, ``chain.crypto.pedersen``):

``non_canonical``
    a point encoding whose ``y`` is not below the field modulus, or with ``x = 0`` and the sign
    bit set (ZIP 216); or an affine coordinate outside ``[0, q)``.
``not_on_curve``
    coordinates, or a ``y``, of no point of Jubjub.
``not_in_subgroup``
    (as above) a Jubjub point outside the prime-order subgroup where one is required.
``not_int``
    a scalar or value that is not an ``int`` (``bool`` refused).
``scalar_out_of_range``
    a Jubjub scalar outside ``[0, r_J)``.
``value_out_of_range``
    a committed value outside ``[0, 2^64)``.

Schnorr (``chain.crypto.schnorr``): decoding a signature raises ``InvalidSignature`` and decoding
a key ``InvalidKey``, each with the Jubjub reason underneath (``scalar_out_of_range``,
``non_canonical``, ``not_on_curve``, ``not_in_subgroup``) or ``wrong_length`` / ``not_bytes``;
a secret key that is not an int in ``[1, r_J)`` is ``InvalidKey`` (``not_int``,
``secret_key_out_of_range``); 64 nonce bytes of the wrong shape are ``InvalidInput``
(``wrong_length``, ``not_bytes``), an unknown nonce tag ``InvalidInput`` (``invalid_tag``).

Phoenix (``chain.crypto.phoenix``): keys and notes that do not decode raise ``InvalidKey``,
``InvalidPoint`` or ``InvalidScalar`` with the reasons above, plus ``identity`` (a stealth
address point that is the identity), ``invalid_note_type``, ``invalid_sender``, ``seed_length``
and ``position_mismatch`` (``InvalidInput``), and a wrong argument type ``not_point``
(``InvalidPoint``), ``not_stealth_address`` (``InvalidInput``), ``not_secret_key`` /
``not_view_key`` (``InvalidKey``); a note whose value cannot be recovered raises
``NoteDecryptionFailed``: ``decryption_failed`` (wrong view key or altered ciphertext; AES-GCM
cannot tell them apart), ``blinder_out_of_range``, ``commitment_mismatch``, ``missing_view_key``.

Citadel (``chain.crypto.citadel``): a request, licence, cookie or licence statement refused
raises ``CitadelRefused`` (reasons listed on the class); wrong argument shapes raise the classes
above (``InvalidInput`` ``wrong_public_input_count`` / ``missing_position`` / ``not_request``,
``InvalidScalar``, ``InvalidFieldElement``, ``InvalidPoint``).
"""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class CryptoError(ReasonError):
    """Root of the ``chain.crypto`` errors. ``reason`` is a stable machine-readable code."""

    reason: str = "invalid"


class InvalidKey(CryptoError, ValueError):
    """A secret or public key that cannot be used: ``wrong_length``, ``not_bytes``,
    ``invalid_encoding``, ``not_in_subgroup``, ``infinity``, ``secret_key_out_of_range`` or
    ``ikm_too_short``; for Schnorr's Jubjub keys also ``not_int``, ``scalar_out_of_range``,
    ``non_canonical`` and ``not_on_curve``."""

    reason = "invalid_key"


class InvalidSignature(CryptoError, ValueError):
    """A signature that does not decode: for BLS (a point of G2) ``wrong_length``,
    ``not_bytes``, ``invalid_encoding`` or ``not_in_subgroup``; for Schnorr (``u ‖ R``) also
    ``scalar_out_of_range``, ``non_canonical`` and ``not_on_curve``."""

    reason = "invalid_signature"


class InvalidInput(CryptoError, ValueError):
    """Any other unusable argument: ``empty``, ``length_mismatch``, ``not_bytes``,
    ``entropy_too_short``, ``dst_too_long``, ``unknown_backend``, ``wrong_width``,
    ``invalid_io_pattern``, ``io_pattern_violation`` or ``invalid_tag``."""

    reason = "invalid_input"


class InvalidFieldElement(CryptoError, ValueError):
    """Not an element of the BLS12-381 scalar field as Poseidon takes it: ``out_of_range``
    (an ``int`` outside ``[0, p)``, or 32 bytes encoding a value ``>= p``), ``not_int``,
    ``not_bytes`` or ``wrong_length`` (an encoding that is not exactly 32 bytes)."""

    reason = "invalid_field_element"


class InvalidPoint(CryptoError, ValueError):
    """Bytes or coordinates that are not a usable Jubjub point: ``not_bytes``, ``wrong_length``,
    ``non_canonical``, ``not_on_curve`` or ``not_in_subgroup``."""


# Proofs (chain.crypto.groth16). Unlike signature verification, proof verification refuses
# with a typed error so that a caller (transaction validation, the VM host function) can
# report *why*; it never raises anything outside this tree, whatever the input.


class ProofRefused(CryptoError, ValueError):
    """Root of every refusal of :mod:`chain.crypto.groth16`: a verification key, public
    inputs or a proof that cannot be used, or a proof that does not verify.

    Reason codes of the subclasses (stable):

    ``not_bytes``, ``wrong_length``, ``invalid_encoding`` (bad flag bits of a compressed
    point), ``coordinate_out_of_range`` (a coordinate ≥ p), ``invalid_json`` (a snarkjs JSON
    object of the wrong shape, protocol or curve): :class:`MalformedProofData`;
    ``not_on_curve``, ``not_in_subgroup``, ``infinity`` (the identity where a verification
    key needs a real point): :class:`InvalidProofPoint`;
    ``wrong_public_input_count``, ``public_input_out_of_range`` (a public input ≥ r):
    :class:`InvalidPublicInputs`;
    ``pairing_check_failed``: :class:`ProofCheckFailed`.
    """

    reason = "proof_refused"


class MalformedProofData(ProofRefused):
    """Bytes or JSON that do not have the layout of a key, a proof or public inputs."""

    reason = "malformed"


class InvalidProofPoint(ProofRefused):
    """A well-formed encoding of something that is not a usable point of G1 or G2."""

    reason = "invalid_point"


class InvalidScalar(CryptoError, ValueError):
    """A Jubjub scalar or committed value that cannot be used: ``not_int``, ``not_bytes``,
    ``wrong_length``, ``scalar_out_of_range`` or ``value_out_of_range``."""

    reason = "invalid_scalar"


class InvalidPublicInputs(ProofRefused):
    """Public inputs that do not fit the verification key: too many, too few, or ≥ r."""

    reason = "invalid_public_inputs"


class ProofCheckFailed(ProofRefused):
    """Everything decoded, and the Groth16 pairing equation does not hold."""

    reason = "pairing_check_failed"


class NoteDecryptionFailed(CryptoError, ValueError):
    """A Phoenix note whose value and blinder cannot be recovered (``chain.crypto.phoenix``):
    ``decryption_failed`` (the AES-GCM tag does not verify: a view key that does not own the
    note, or altered bytes), ``blinder_out_of_range`` (plaintext blinder not a Jubjub scalar),
    ``commitment_mismatch`` (the opening does not reproduce the value commitment) or
    ``missing_view_key`` (an obfuscated note opened without a view key)."""

    reason = "decryption_failed"


class CitadelRefused(CryptoError, ValueError):
    """A Citadel request, licence, session cookie or licence statement refused
    (``chain.crypto.citadel``). Reasons: ``wrong_version``, ``wrong_deployment``,
    ``decryption_failed``, ``wrong_license_provider``, ``invalid_license_provider``,
    ``bad_license_signature``, ``invalid_public_key``, ``invalid_commitment``, ``wrong_cookie_version``,
    ``wrong_cookie_mode``, ``wrong_policy_id``, ``wrong_session_id``, ``wrong_service_provider``,
    ``wrong_challenge``, ``wrong_attribute_data``, ``wrong_root``, ``missing_attribute_opening``,
    ``wrong_attribute_opening``, ``wrong_session_hash``, ``wrong_license_provider_comm``,
    ``wrong_attribute_data_comm``, ``wrong_challenge_comm``, ``invalid_witness_point``,
    ``bad_session_signature``, ``not_a_member``; Gloam's attribute predicates:
    ``jurisdiction_not_allowed``, ``not_accredited``, ``under_age``, ``license_expired``."""

    reason = "citadel_refused"
