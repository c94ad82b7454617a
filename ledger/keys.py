"""Chain accounts' keys: a fresh BLS key pair per account, the secret key encrypted at rest
(Fernet, ``GLOAM_KEY_ENCRYPTION_KEY``) and decrypted only in :func:`sign_with_key`, to sign
one transaction, then dropped.

The owner of an account (an ``identity`` organisation or client account) is given by id:
``ledger`` imports no app above it. ``identity.services`` opens accounts through
:func:`chain_account_generate` and audits them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import TypeVar

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from chain.node.client import (
    ChainTypesError,
    generate_keypair,
    sign_contract_call,
    sign_contract_deploy,
    sign_proven_call,
    sign_transfer,
    validate_transfer,
)
from common.exceptions import InvalidInput
from ledger.models import ChainAccount

Signed = TypeVar("Signed")

#: Gas of a Moonlight transfer (reference §2.2).
TRANSFER_GAS = 50_000


def get_key_cipher() -> Fernet:
    """The ``Fernet`` of ``GLOAM_KEY_ENCRYPTION_KEY`` (32 url-safe base64-encoded bytes)."""
    return Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY)


def chain_account_generate(
    *, organisation_id: uuid.UUID | None = None, client_account_id: uuid.UUID | None = None
) -> ChainAccount:
    """Store a new chain account owned by exactly one of an organisation or a client account
    (their ids): a fresh BLS key pair whose secret key is stored encrypted. Not idempotent:
    the caller looks for an existing account first. Raises ``InvalidInput``
    (``chain_account_owner``) unless exactly one owner is given."""
    if (organisation_id is None) == (client_account_id is None):
        raise InvalidInput(
            "A chain account belongs to exactly one organisation or client account.",
            code="chain_account_owner",
        )
    secret_key, public_key = generate_keypair(os.urandom(64))
    return ChainAccount.objects.create(
        organisation_id=organisation_id,
        client_account_id=client_account_id,
        public_key=public_key,
        encrypted_secret_key=get_key_cipher().encrypt(secret_key),
    )


@sensitive_variables("secret_key")
def sign_with_key(account: ChainAccount, sign: Callable[[bytes], Signed]) -> Signed:
    """Decrypt ``account``'s secret key, pass it to ``sign`` and drop it: the key never
    leaves this function. ``InvalidInput`` (``key_decryption_failed``) if it cannot be
    decrypted with ``GLOAM_KEY_ENCRYPTION_KEY``; a ``ChainTypesError`` from ``sign`` becomes
    ``InvalidInput`` (``invalid_transaction``)."""
    try:
        secret_key = get_key_cipher().decrypt(bytes(account.encrypted_secret_key))
    except InvalidToken as exc:
        raise InvalidInput(
            "The chain key cannot be decrypted with GLOAM_KEY_ENCRYPTION_KEY.", code="key_decryption_failed"
        ) from exc
    try:
        return sign(secret_key)
    except ChainTypesError as exc:
        raise InvalidInput(f"Invalid transaction: {exc}", code="invalid_transaction") from exc


def chain_transfer_sign(
    *,
    account: ChainAccount,
    chain_id: int,
    receiver_public_key: str,
    value: int,
    nonce: int,
    gas_limit: int = TRANSFER_GAS,
    gas_price: int = 1,
    memo: bytes = b"",
) -> tuple[str, bytes]:
    """Sign a Moonlight transfer of ``value`` Lux from ``account`` (reference §2.2), with
    ``memo`` if not empty (at most 512 bytes, §2.4); ``gas_price`` in Lux. Returns
    ``(tx_id, encoded transaction)``.

    Raises ``InvalidInput``: ``invalid_transfer`` if a field is invalid (checked before the
    key is decrypted), else as :func:`sign_with_key`.
    """
    try:
        validate_transfer(
            chain_id=chain_id,
            receiver=receiver_public_key,
            value=value,
            nonce=nonce,
            gas_limit=gas_limit,
            gas_price=gas_price,
            memo=memo or None,
        )
    except ChainTypesError as exc:
        raise InvalidInput(f"Invalid transfer: {exc}", code="invalid_transfer") from exc
    return sign_with_key(
        account,
        lambda secret_key: sign_transfer(
            secret_key=secret_key,
            chain_id=chain_id,
            receiver=receiver_public_key,
            value=value,
            nonce=nonce,
            gas_limit=gas_limit,
            gas_price=gas_price,
            memo=memo or None,
        ),
    )


def chain_call_sign(
    *,
    account: ChainAccount,
    chain_id: int,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    nonce: int,
    gas_limit: int,
) -> tuple[str, bytes]:
    """Sign a call of ``fn_name`` of ``contract`` (0x hex id) from ``account``; returns
    ``(tx_id, encoded transaction)``. Errors as :func:`sign_with_key`."""
    return sign_with_key(
        account,
        lambda secret_key: sign_contract_call(
            secret_key=secret_key,
            chain_id=chain_id,
            contract=contract,
            fn_name=fn_name,
            fn_args=fn_args,
            nonce=nonce,
            gas_limit=gas_limit,
        ),
    )


def chain_deploy_sign(
    *,
    account: ChainAccount,
    chain_id: int,
    bytecode: bytes,
    init_args: bytes | None,
    deploy_nonce: int,
    nonce: int,
    gas_limit: int,
) -> tuple[str, bytes, str]:
    """Sign the deployment of ``bytecode`` owned by ``account``; returns ``(tx_id, encoded
    transaction, contract id)``. Errors as :func:`sign_with_key`."""
    return sign_with_key(
        account,
        lambda secret_key: sign_contract_deploy(
            secret_key=secret_key,
            chain_id=chain_id,
            bytecode=bytecode,
            init_args=init_args,
            deploy_nonce=deploy_nonce,
            nonce=nonce,
            gas_limit=gas_limit,
        ),
    )


def chain_proven_call_sign(
    *,
    account: ChainAccount,
    chain_id: int,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    vk_id: str,
    public_inputs: bytes,
    proof: bytes,
    nonce: int,
    gas_limit: int,
) -> tuple[str, bytes]:
    """Sign a proven call (transaction data tag 4, docs/zk.md "ProvenCall") of ``fn_name`` of
    ``contract`` carrying ``proof`` (192 bytes) for the key ``vk_id`` (0x hex) with
    ``public_inputs`` (32 bytes each); returns ``(tx_id, encoded transaction)``. Errors as
    :func:`sign_with_key`."""
    return sign_with_key(
        account,
        lambda secret_key: sign_proven_call(
            secret_key=secret_key,
            chain_id=chain_id,
            contract=contract,
            fn_name=fn_name,
            fn_args=fn_args,
            vk_id=vk_id,
            public_inputs=public_inputs,
            proof=proof,
            nonce=nonce,
            gas_limit=gas_limit,
        ),
    )
