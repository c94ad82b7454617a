"""Phoenix keys, stealth addresses and notes (chain.crypto.phoenix) against dusk-network/phoenix.

Sources: dusk-network/phoenix at 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3 — ``core/src/keys/*.rs``,
``core/src/stealth_address.rs``, ``core/src/note.rs``, ``core/src/encryption/aes.rs``; its tests
draw every key from a seeded Rust ``StdRng``. ``core/tests/serde.rs`` (same commit) pins the
outputs of such draws: a secret, public and view key, a stealth address and, in
``core/tests/serde/note.json``, a whole obfuscated note. ``dusk_stdrng`` regenerates the
``StdRng`` stream, so those are checked here byte for byte (value encryption, HKDF, ElGamal sender
and stealth address included); the rest are properties of ``core/tests/keys.rs`` and
``core/tests/note_test.rs``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import itertools
import typing

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.crypto import phoenix
from chain.crypto.exceptions import (
    InvalidInput,
    InvalidKey,
    InvalidPoint,
    InvalidScalar,
    NoteDecryptionFailed,
)
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point, Q
from chain.crypto.pedersen import value_commitment
from chain.crypto.phoenix import (
    NOTE_SIZE,
    UNPLACED_POS,
    VALUE_ENC_SIZE,
    Note,
    NoteType,
    PublicKey,
    SecretKey,
    Sender,
    StealthAddress,
    ViewKey,
    hash_point,
    scan,
)
from chain.crypto.poseidon import Domain
from chain.crypto.poseidon import hash as poseidon_hash
from chain.crypto.schnorr import public_key_double
from tests.chain.crypto.dusk_stdrng import StdRng


def stream(label: str) -> typing.Callable[[int], bytes]:
    """A deterministic ``random_bytes``: BLAKE2b of ``label ‖ counter``."""
    counter = itertools.count()

    def random_bytes(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.blake2b(f"{label}/{next(counter)}".encode(), digest_size=64).digest()
        return out[:n]

    return random_bytes


SENDER = SecretKey.from_seed(bytes(32), 0)
ALICE = SecretKey.from_seed(bytes(range(32)), 0)
BOB = SecretKey.from_seed(bytes(range(32)), 1)


@pytest.fixture(scope="module")
def note_to_alice() -> Note:
    return Note.obfuscated(
        SENDER.public_key(), ALICE.public_key(), 1_000, 77, random_bytes=stream("alice")
    ).with_pos(5)


# -- keys ---------------------------------------------------------------------------------------


def test_key_relations() -> None:
    pk, vk = ALICE.public_key(), ALICE.view_key()
    assert GENERATOR * ALICE.a == pk.A
    assert GENERATOR * ALICE.b == pk.B
    assert vk.a == ALICE.a
    assert vk.B == pk.B
    assert vk.public_key() == pk
    assert "secret" in repr(ALICE)
    assert str(ALICE.a) not in repr(ALICE)
    assert str(ALICE.a) not in repr(vk)


def test_hash_point_is_blake2b_512_of_the_encoding_mod_r() -> None:
    # phoenix core/src/keys.rs: JubJubScalar::hash_to_scalar(&affine.to_bytes()), no domain.
    digest = hashlib.blake2b(GENERATOR.to_bytes(), digest_size=64).digest()
    assert hash_point(GENERATOR) == int.from_bytes(digest, "little") % R_J
    assert hash_point(GENERATOR) != hash_point(GENERATOR.double())
    assert 0 <= hash_point(GENERATOR_NUMS) < R_J


def test_seed_derivation_is_deterministic_and_indexed() -> None:
    seed = bytes(range(64))
    assert SecretKey.from_seed(seed, 3) == SecretKey.from_seed(seed, 3)
    assert SecretKey.from_seed(seed, 3) != SecretKey.from_seed(seed, 4)
    assert SecretKey.from_seed(seed[:32]) != SecretKey.from_seed(seed)
    key = SecretKey.from_seed(seed)
    assert key.a != key.b
    assert 0 < key.a < R_J
    assert 0 < key.b < R_J


@pytest.mark.parametrize(
    ("seed", "index", "error", "reason"),
    [
        (bytes(31), 0, InvalidInput, "seed_length"),
        (bytes(48), 0, InvalidInput, "seed_length"),
        ("x" * 32, 0, InvalidInput, "not_bytes"),
        (bytes(32), -1, InvalidScalar, "value_out_of_range"),
        (bytes(32), 1 << 64, InvalidScalar, "value_out_of_range"),
    ],
)
def test_seed_derivation_refuses(seed: object, index: int, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as info:
        SecretKey.from_seed(seed, index)  # type: ignore[arg-type]
    assert getattr(info.value, "reason", None) == reason


def test_key_encodings_round_trip() -> None:
    pk, vk = ALICE.public_key(), ALICE.view_key()
    assert len(ALICE.to_bytes()) == len(pk.to_bytes()) == len(vk.to_bytes()) == 64
    assert SecretKey.from_bytes(ALICE.to_bytes()) == ALICE
    assert PublicKey.from_bytes(pk.to_bytes()) == pk
    assert ViewKey.from_bytes(vk.to_bytes()) == vk
    # Dusk's layout: scalars little-endian, a before b; A before B; a before B.
    assert ALICE.to_bytes()[:32] == ALICE.a.to_bytes(32, "little")
    assert pk.to_bytes()[32:] == pk.B.to_bytes()
    assert vk.to_bytes() == ALICE.a.to_bytes(32, "little") + pk.B.to_bytes()


_IDENTITY = Point.identity().to_bytes()
_TORSION = (Q - 1).to_bytes(32, "little")  # (0, -1): on the curve, order 2
_NOT_CANONICAL = (Q + 1).to_bytes(32, "little")


@pytest.mark.parametrize(
    ("decoder", "data", "error", "reason"),
    [
        (SecretKey.from_bytes, bytes(63), InvalidKey, "wrong_length"),
        (SecretKey.from_bytes, "00" * 64, InvalidKey, "not_bytes"),
        (SecretKey.from_bytes, R_J.to_bytes(32, "little") + bytes(32), InvalidScalar, "scalar_out_of_range"),
        (ViewKey.from_bytes, (2**256 - 1).to_bytes(32, "little") + GENERATOR.to_bytes(), InvalidScalar,
         "scalar_out_of_range"),
        (ViewKey.from_bytes, bytes(32) + _TORSION, InvalidPoint, "not_in_subgroup"),
        (PublicKey.from_bytes, GENERATOR.to_bytes() + _NOT_CANONICAL, InvalidPoint, "non_canonical"),
        (PublicKey.from_bytes, _TORSION + GENERATOR.to_bytes(), InvalidPoint, "not_in_subgroup"),
        (PublicKey.from_bytes, bytes(65), InvalidKey, "wrong_length"),
        (StealthAddress.from_bytes, _IDENTITY + GENERATOR.to_bytes(), InvalidPoint, "identity"),
        (StealthAddress.from_bytes, GENERATOR.to_bytes() + _IDENTITY, InvalidPoint, "identity"),
        (StealthAddress.from_bytes, GENERATOR.to_bytes() + _TORSION, InvalidPoint, "not_in_subgroup"),
        (StealthAddress.from_bytes, bytes(10), InvalidPoint, "wrong_length"),
    ],
)  # fmt: skip
def test_decoders_refuse_with_reasons(
    decoder: typing.Callable[[object], object], data: object, error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as info:
        decoder(data)
    assert getattr(info.value, "reason", None) == reason


def test_key_constructors_refuse_bad_scalars() -> None:
    with pytest.raises(InvalidScalar) as info:
        SecretKey(R_J, 1)
    assert info.value.reason == "scalar_out_of_range"
    with pytest.raises(InvalidScalar):
        SecretKey(True, 1)
    with pytest.raises(InvalidScalar):
        ViewKey(-1, GENERATOR)


# -- stealth addresses --------------------------------------------------------------------------


@pytest.mark.parametrize("r", [1, 2, 12345, R_J - 1])
def test_note_sk_opens_note_pk(r: int) -> None:
    stealth = ALICE.public_key().stealth_address(r)
    assert GENERATOR * r == stealth.R
    assert GENERATOR * ALICE.note_secret_key(stealth) == stealth.note_pk
    assert ALICE.owns(stealth)
    assert ALICE.view_key().owns(stealth)
    assert not BOB.owns(stealth)
    assert not BOB.view_key().owns(stealth)
    assert GENERATOR * BOB.note_secret_key(stealth) != stealth.note_pk
    assert StealthAddress.from_bytes(stealth.to_bytes()) == stealth


def test_stealth_addresses_are_unlinkable_per_r() -> None:
    pk = ALICE.public_key()
    one, two = pk.stealth_address(10), pk.stealth_address(11)
    assert one.note_pk != two.note_pk
    assert one.note_pk != pk.B
    assert one.note_pk != pk.A


@pytest.mark.parametrize(
    ("r", "reason"), [(0, "scalar_out_of_range"), (R_J, "scalar_out_of_range"), (-3, "scalar_out_of_range")]
)
def test_stealth_address_refuses_bad_r(r: int, reason: str) -> None:
    with pytest.raises(InvalidScalar) as info:
        ALICE.public_key().stealth_address(r)
    assert info.value.reason == reason


# -- notes --------------------------------------------------------------------------------------


def test_obfuscated_note_opens_for_the_receiver_only(note_to_alice: Note) -> None:
    note = note_to_alice
    assert note.note_type is NoteType.OBFUSCATED
    assert note.value_commitment == value_commitment(1_000, 77)
    assert note.value_opening(ALICE.view_key()) == (1_000, 77)
    assert note.value(ALICE.view_key()) == 1_000
    assert len(note.value_enc) == VALUE_ENC_SIZE == 68
    assert ALICE.view_key().owns(note.stealth_address)
    assert not BOB.view_key().owns(note.stealth_address)
    with pytest.raises(NoteDecryptionFailed) as info:
        note.value_opening(BOB.view_key())
    assert info.value.reason == "decryption_failed"
    with pytest.raises(NoteDecryptionFailed) as info:
        note.value_opening(None)
    assert info.value.reason == "missing_view_key"


@pytest.mark.parametrize("index", [0, 11, 12, 30, 51, 52, 67])  # nonce, ciphertext, tag
def test_tampered_value_enc_is_refused(note_to_alice: Note, index: int) -> None:
    enc = bytearray(note_to_alice.value_enc)
    enc[index] ^= 0x01
    tampered = dataclasses.replace(note_to_alice, value_enc=bytes(enc))
    with pytest.raises(NoteDecryptionFailed) as info:
        tampered.value_opening(ALICE.view_key())
    assert info.value.reason == "decryption_failed"


def test_the_stealth_address_is_bound_as_the_hkdf_salt(note_to_alice: Note) -> None:
    # Same R (so the same DH secret), another note_pk: the key differs, GCM refuses.
    other = StealthAddress(note_to_alice.stealth_address.R, note_to_alice.stealth_address.note_pk.double())
    with pytest.raises(NoteDecryptionFailed) as info:
        dataclasses.replace(note_to_alice, stealth_address=other).value_opening(ALICE.view_key())
    assert info.value.reason == "decryption_failed"


def test_an_opening_that_does_not_match_the_commitment_is_refused(note_to_alice: Note) -> None:
    forged = dataclasses.replace(note_to_alice, value_commitment=value_commitment(1_001, 77))
    with pytest.raises(NoteDecryptionFailed) as info:
        forged.value_opening(ALICE.view_key())
    assert info.value.reason == "commitment_mismatch"


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, R_J - 1), st.binary(min_size=12, max_size=12))
def test_any_u64_value_and_blinder_round_trip(value: int, blinder: int, nonce: bytes) -> None:
    note = Note.obfuscated(
        SENDER.public_key(), ALICE.public_key(), value, blinder, r=7, sender_blinders=(1, 2), nonce=nonce
    )
    decoded = Note.from_bytes(note.to_bytes())
    assert decoded == note
    assert decoded.value_opening(ALICE.view_key()) == (value, blinder)


def test_bytearray_fields_are_stored_as_bytes(note_to_alice: Note) -> None:
    note = dataclasses.replace(note_to_alice, value_enc=bytearray(note_to_alice.value_enc))
    assert type(note.value_enc) is bytes
    assert note == note_to_alice
    assert type(Sender(contract_info=bytearray(128)).contract_info) is bytes


def test_transparent_note() -> None:
    note = Note.transparent(SENDER.public_key(), BOB.public_key(), 2**64 - 1, random_bytes=stream("t"))
    assert note.note_type is NoteType.TRANSPARENT
    assert note.pos == UNPLACED_POS
    assert note.value_commitment == GENERATOR * (2**64 - 1)
    assert note.value_enc == (2**64 - 1).to_bytes(8, "little") + bytes(60)
    assert note.value_opening() == (2**64 - 1, 0)
    assert BOB.owns(note.stealth_address)
    assert not ALICE.owns(note.stealth_address)
    lied = dataclasses.replace(note, value_enc=(5).to_bytes(8, "little") + bytes(60))
    with pytest.raises(NoteDecryptionFailed) as info:
        lied.value()
    assert info.value.reason == "commitment_mismatch"


def test_construction_is_deterministic_through_the_seam() -> None:
    make = lambda label: Note.obfuscated(  # noqa: E731
        SENDER.public_key(), ALICE.public_key(), 9, random_bytes=stream(label)
    )
    assert make("x").to_bytes() == make("x").to_bytes()
    assert make("x").to_bytes() != make("y").to_bytes()
    fresh = [Note.obfuscated(SENDER.public_key(), ALICE.public_key(), 9) for _ in range(2)]
    assert fresh[0].stealth_address != fresh[1].stealth_address
    assert all(n.value(ALICE.view_key()) == 9 for n in fresh)


def test_sender_is_elgamal_of_the_sender_key_under_note_pk(note_to_alice: Note) -> None:
    note_sk = ALICE.note_secret_key(note_to_alice.stealth_address)
    assert note_to_alice.sender.decrypt(note_sk) == SENDER.public_key()
    assert (
        note_to_alice.sender.decrypt(BOB.note_secret_key(note_to_alice.stealth_address))
        != SENDER.public_key()
    )
    sender = Sender.encrypt(GENERATOR * 5, SENDER.public_key(), (3, 4))
    assert sender.encryption == (
        (GENERATOR * 3, SENDER.public_key().A + GENERATOR * 15),
        (GENERATOR * 4, SENDER.public_key().B + GENERATOR * 20),
    )
    contract = Sender(contract_info=bytes(range(128)))
    assert Sender.from_bytes(contract.to_bytes()) == contract
    with pytest.raises(InvalidInput) as info:
        contract.decrypt(1)
    assert info.value.reason == "invalid_sender"


def test_note_hash_is_poseidon_other_of_the_six_inputs(note_to_alice: Note) -> None:
    note = note_to_alice
    vc, npk = note.value_commitment.affine(), note.stealth_address.note_pk.affine()
    assert note.hash_inputs() == [1, *vc, *npk, 5]
    assert note.hash() == poseidon_hash([1, *vc, *npk, 5], Domain.OTHER)
    assert note.hash() != note.with_pos(6).hash()
    as_transparent_type = dataclasses.replace(note, note_type=NoteType.TRANSPARENT)
    assert as_transparent_type.hash() != note.hash()


def test_nullifier_is_poseidon_of_note_sk_times_g_prime_and_pos(note_to_alice: Note) -> None:
    note = note_to_alice
    note_sk = ALICE.note_secret_key(note.stealth_address)
    # The double-Schnorr key pair of the note (chain.crypto.schnorr): (note_sk·G, note_sk·G').
    note_pk, note_pk_prime = public_key_double(note_sk)
    assert note_pk == note.stealth_address.note_pk
    assert note_pk_prime == GENERATOR_NUMS * note_sk
    expected = poseidon_hash([*note_pk_prime.affine(), 5], Domain.OTHER)
    assert note.nullifier(ALICE) == expected == note.nullifier(ALICE)
    assert note.with_pos(6).nullifier(ALICE) != expected
    assert note.nullifier(BOB) != expected


def test_two_equal_payments_have_different_nullifiers() -> None:
    pk = ALICE.public_key()
    one = Note.obfuscated(SENDER.public_key(), pk, 50, 1, random_bytes=stream("n1")).with_pos(7)
    two = Note.obfuscated(SENDER.public_key(), pk, 50, 1, random_bytes=stream("n2")).with_pos(7)
    assert one.value_commitment == two.value_commitment
    assert one.nullifier(ALICE) != two.nullifier(ALICE)


def test_no_function_takes_a_view_key_to_a_nullifier(note_to_alice: Note) -> None:
    with pytest.raises(InvalidKey):
        note_to_alice.nullifier(ALICE.view_key())  # type: ignore[arg-type]
    for owner in (phoenix, Note, ViewKey):
        for name, member in inspect.getmembers(owner, callable):
            if "nullifier" not in name:
                continue
            hints = typing.get_type_hints(member)
            assert ViewKey not in hints.values(), name
            assert all("ViewKey" not in str(h) for h in hints.values()), name


def test_note_encoding_round_trips(note_to_alice: Note) -> None:
    raw = note_to_alice.to_bytes()
    assert len(raw) == NOTE_SIZE == 302
    assert raw[0] == 1
    assert raw[97:105] == (5).to_bytes(8, "little")
    assert Note.from_bytes(raw) == note_to_alice
    assert Note.from_bytes(raw).value(ALICE.view_key()) == 1_000


def _b58decode(text: str) -> bytes:
    alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
    number = 0
    for char in text:
        number = number * 58 + alphabet.index(char)
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return bytes(len(text) - len(text.lstrip("1"))) + body


# dusk-network/phoenix core/tests/serde.rs at 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3 (base58 data).
_DUSK_SK = "4VWvwJK79fznAuRZm9qP6Eqv57hLuYGU2PkoJJxYii2C7kquTNQYAygrJuYVLY1vsmVHSLifNtCdcN6dHN69rJKC"
_DUSK_PK = "nrkRNs188TSAy7LdQcwDfbghZEk3agdT7b7h83ynP6KcFb8ExYvUyE6r3v2yrt2Tie8pybzobLGebF6LapsDnAa"
_DUSK_VK = "4VWvwJK79fznAuRZm9qP6Eqv57hLuYGU2PkoJJxYii2CB6ZEEiHSgjYzXkaiQaAq7TDr6zEyuqUgpzLRcXfq1pdU"
_DUSK_STEALTH = "nrkRNs188TSAy7LdQcwDfbghZEk3agdT7b7h83ynP6KU2WHtBFqNXSZt9qJwZDZmhWPakFuWRg4m5hRHH2kF5su"


def test_dusk_key_vectors() -> None:
    # serde_secret_key / serde_public_key / serde_view_key: SecretKey::random(StdRng(0xc0b)).
    rng = StdRng(0xC0B)
    sk = SecretKey(rng.scalar(), rng.scalar())
    assert sk.to_bytes() == _b58decode(_DUSK_SK)
    assert SecretKey.from_bytes(_b58decode(_DUSK_SK)) == sk
    assert sk.public_key().to_bytes() == _b58decode(_DUSK_PK)
    assert sk.view_key().to_bytes() == _b58decode(_DUSK_VK)


def test_dusk_stealth_address_vector() -> None:
    # serde_stealth_address: r, then SecretKey::random, all from StdRng(0xc0b).
    rng = StdRng(0xC0B)
    r = rng.scalar()
    receiver = SecretKey(rng.scalar(), rng.scalar())
    stealth = receiver.public_key().stealth_address(r)
    assert stealth.to_bytes() == _b58decode(_DUSK_STEALTH)
    assert receiver.owns(stealth)


def test_dusk_note_vector() -> None:
    # serde_note / create_note: sender and receiver keys from StdRng(0xc0b); value 25; the value
    # blinder is the first scalar of StdRng(0xc0b), the sender blinders the first of
    # StdRng(0xdead) and StdRng(0xbeef); Note::new then draws r and the 12-byte AES nonce.
    rng = StdRng(0xC0B)
    sender = SecretKey(rng.scalar(), rng.scalar())
    receiver = SecretKey(rng.scalar(), rng.scalar())
    blinder = StdRng(0xC0B).scalar()
    note = Note.obfuscated(
        sender.public_key(),
        receiver.public_key(),
        25,
        blinder,
        sender_blinders=(StdRng(0xDEAD).scalar(), StdRng(0xBEEF).scalar()),
        random_bytes=rng,
    )
    assert note.to_bytes() == _dusk_note_bytes()
    assert note.value_opening(receiver.view_key()) == (25, blinder)
    assert note.sender.decrypt(receiver.note_secret_key(note.stealth_address)) == sender.public_key()


def _dusk_note_bytes() -> bytes:
    # dusk-network/phoenix core/tests/serde/note.json at 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3
    # (data only; the field layout is Note::to_bytes of core/src/note.rs).
    stealth = _b58decode(
        "5xypMFFDSDtAeY7wJTfYc3UQkiHFAoYhWY6Ew2s5m43FfafM66zcsoxgBdLEYUki2KxbG9o4ikjzwzmxpeLfv8Po"
    )
    raw = (
        b"\x01"
        + bytes.fromhex("1b32e8cda88981d21c7fbfa0ce6827b1826c76d0266f7dff8617af9e43814919")
        + stealth
        + (18446744073709551615).to_bytes(8, "little")
        + bytes.fromhex(
            "0aa442f45be6ace8b98ce8eba1580f280a82dc8454bfa3166500ab9414d8ad0b6f43da0f1e7049f5dd71f9c013e2c6"
            "584286cc88858a3f38670768a1b223eaac405882a9"
        )
        + b"\x00"
        + bytes.fromhex(
            "391d595ec6366e6f7dfd01198b00d0c1811c6c826066cf88733e4ddfa8933b58"
            "00b9ab31d700846d06d07e2e2cac28a40d23fa156cc914dade7017e603ee7499"
            "8fae70481bf1c5e580c450e5a1483f4d7757d1c99dad3dd3adbbaf35ccf70ed7"
            "50ffc41e5d85fa70ec9d81907281fd41662d6b912563d64c91621ec162b1cb81"
        )
    )
    assert len(stealth) == 64
    return raw


def test_decodes_the_note_dusk_serialised() -> None:
    raw = _dusk_note_bytes()
    note = Note.from_bytes(raw)
    assert note.note_type is NoteType.OBFUSCATED
    assert note.pos == UNPLACED_POS
    assert note.to_bytes() == raw
    assert not ALICE.view_key().owns(note.stealth_address)
    with pytest.raises(NoteDecryptionFailed):
        note.value(ALICE.view_key())


@pytest.mark.parametrize(
    ("mutate", "error", "reason"),
    [
        (lambda b: b[:-1], InvalidInput, "wrong_length"),
        (lambda b: b"\x02" + b[1:], InvalidInput, "invalid_note_type"),
        (lambda b: b[:173] + b"\x02" + b[174:], InvalidInput, "invalid_sender"),
        (lambda b: b[:1] + _TORSION + b[33:], InvalidPoint, "not_in_subgroup"),
        (lambda b: b[:33] + Point.identity().to_bytes() + b[65:], InvalidPoint, "identity"),
        (lambda b: b[:174] + _NOT_CANONICAL + b[206:], InvalidPoint, "non_canonical"),
    ],
)
def test_note_decoder_refuses(
    note_to_alice: Note, mutate: typing.Callable[[bytes], bytes], error: type[Exception], reason: str
) -> None:
    with pytest.raises(error) as info:
        Note.from_bytes(mutate(note_to_alice.to_bytes()))
    assert getattr(info.value, "reason", None) == reason


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"value": 2**64}, "value_out_of_range"),
        ({"value": -1}, "value_out_of_range"),
        ({"value": 1.0}, "not_int"),
        ({"value": 1, "pos": 2**64}, "value_out_of_range"),
        ({"value": 1, "pos": -1}, "value_out_of_range"),
        ({"value": 1, "blinder": R_J}, "scalar_out_of_range"),
        ({"value": 1, "r": 0}, "scalar_out_of_range"),
    ],
)
def test_note_constructor_refuses_bad_numbers(kwargs: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidScalar) as info:
        Note.obfuscated(SENDER.public_key(), ALICE.public_key(), random_bytes=stream("bad"), **kwargs)  # type: ignore[arg-type]
    assert info.value.reason == reason


def test_note_refuses_bad_nonce_and_pos(note_to_alice: Note) -> None:
    with pytest.raises(InvalidInput) as info:
        Note.obfuscated(SENDER.public_key(), ALICE.public_key(), 1, nonce=bytes(11), random_bytes=stream("z"))
    assert info.value.reason == "wrong_length"
    with pytest.raises(InvalidScalar) as sinfo:
        note_to_alice.with_pos(2**64)
    assert sinfo.value.reason == "value_out_of_range"


# -- scanning -----------------------------------------------------------------------------------


def test_scan_finds_own_notes_and_skips_others_and_garbage(note_to_alice: Note) -> None:
    alice_pk, bob_pk, sender_pk = ALICE.public_key(), BOB.public_key(), SENDER.public_key()
    to_alice_transparent = Note.transparent(sender_pk, alice_pk, 3, random_bytes=stream("s1"))
    to_bob = Note.obfuscated(sender_pk, bob_pk, 4, random_bytes=stream("s2"))
    garbage = Note.obfuscated(sender_pk, alice_pk, 5, random_bytes=stream("s3"))
    garbage = dataclasses.replace(garbage, value_enc=bytes(VALUE_ENC_SIZE))
    chain = [(0, to_alice_transparent), (1, to_bob), (2, garbage), (5, note_to_alice)]

    found = list(scan(ALICE.view_key(), chain))
    assert [(o.pos, o.value, o.blinder) for o in found] == [(0, 3, 0), (5, 1_000, 77)]
    assert found[0].note.pos == 0
    assert found[0].note.hash() == to_alice_transparent.with_pos(0).hash()
    assert [(o.pos, o.value) for o in scan(BOB.view_key(), chain)] == [(1, 4)]
    # Resuming from a cursor is feeding the rest of the chain.
    assert [o.pos for o in scan(ALICE.view_key(), chain[2:])] == [5]


def test_scan_is_lazy_and_checks_positions(note_to_alice: Note) -> None:
    def chain() -> typing.Iterator[tuple[int, Note]]:
        yield 5, note_to_alice
        raise AssertionError("scan read past what was asked for")

    assert next(scan(ALICE.view_key(), chain())).pos == 5
    with pytest.raises(InvalidInput) as info:
        list(scan(ALICE.view_key(), [(6, note_to_alice)]))
    assert info.value.reason == "position_mismatch"
    with pytest.raises(InvalidKey):
        list(scan(ALICE, [(5, note_to_alice)]))  # type: ignore[arg-type]
