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
"""

from __future__ import annotations

from chain.types.exceptions import ReasonError


class CryptoError(ReasonError):
    """Root of the ``chain.crypto`` errors. ``reason`` is a stable machine-readable code."""

    reason: str = "invalid"


class InvalidKey(CryptoError, ValueError):
    """A secret or public key that cannot be used: ``wrong_length``, ``not_bytes``,
    ``invalid_encoding``, ``not_in_subgroup``, ``infinity``, ``secret_key_out_of_range`` or
    ``ikm_too_short``."""

    reason = "invalid_key"


class InvalidSignature(CryptoError, ValueError):
    """A signature that does not decode to a point of G2: ``wrong_length``, ``not_bytes``,
    ``invalid_encoding`` or ``not_in_subgroup``."""

    reason = "invalid_signature"


class InvalidInput(CryptoError, ValueError):
    """Any other unusable argument: ``empty``, ``length_mismatch``, ``not_bytes``,
    ``entropy_too_short``, ``dst_too_long`` or ``unknown_backend``."""

    reason = "invalid_input"


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
    key needs a real point): :class:`InvalidPoint`;
    ``wrong_public_input_count``, ``public_input_out_of_range`` (a public input ≥ r):
    :class:`InvalidPublicInputs`;
    ``pairing_check_failed``: :class:`ProofCheckFailed`.
    """

    reason = "proof_refused"


class MalformedProofData(ProofRefused):
    """Bytes or JSON that do not have the layout of a key, a proof or public inputs."""

    reason = "malformed"


class InvalidPoint(ProofRefused):
    """A well-formed encoding of something that is not a usable point of G1 or G2."""

    reason = "invalid_point"


class InvalidPublicInputs(ProofRefused):
    """Public inputs that do not fit the verification key: too many, too few, or ≥ r."""

    reason = "invalid_public_inputs"


class ProofCheckFailed(ProofRefused):
    """Everything decoded, and the Groth16 pairing equation does not hold."""

    reason = "pairing_check_failed"
