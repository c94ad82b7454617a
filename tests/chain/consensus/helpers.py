"""Builders for consensus tests: deterministic provisioner keys and stake lists."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass

from chain.crypto import bls12_381 as bls
from chain.types.primitives import BlsPublicKey, BlsSecretKey, Lux

UNIT = 10**9


@dataclass(frozen=True)
class Provisioner:
    secret: BlsSecretKey
    public: BlsPublicKey


@functools.cache
def provisioner(index: int) -> Provisioner:
    """A deterministic key pair (the index seeds KeyGen), cached: SkToPk costs a scalar mul."""
    secret = bls.KeyGen(hashlib.sha256(f"consensus-test-{index}".encode()).digest())
    return Provisioner(secret, bls.SkToPk(secret))


def provisioners(count: int) -> list[Provisioner]:
    return [provisioner(i) for i in range(count)]


def fake_key(index: int) -> BlsPublicKey:
    """48 distinct bytes standing in for a key where no signature is checked (fast)."""
    return BlsPublicKey(hashlib.sha3_384(index.to_bytes(4, "little")).digest())


def stake_list(stakes: list[int], *, real_keys: bool = False) -> list[tuple[BlsPublicKey, Lux]]:
    """``(pk, stake in Lux)`` sorted ascending by raw pk bytes, one entry per stake (in units)."""
    keys = [provisioner(i).public if real_keys else fake_key(i) for i in range(len(stakes))]
    return sorted(((k, Lux(s * UNIT)) for k, s in zip(keys, stakes, strict=True)), key=lambda e: bytes(e[0]))


def secret_of(pk: BlsPublicKey, count: int = 64) -> BlsSecretKey:
    """The secret key of a test provisioner's public key (searched among the first ``count``)."""
    for i in range(count):
        if provisioner(i).public == pk:
            return provisioner(i).secret
    raise KeyError(pk)
