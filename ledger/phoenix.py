"""Phoenix key custody and the note scanner: the platform's shielded cash read model.

Keys (``reference/dusk-protocol.md`` §2.3; ``chain.node.phoenix_wallet``): one per organisation,
made from 64 random bytes (Gloam's ``SecretKey.from_seed``), secret and view key stored
encrypted with ``GLOAM_KEY_ENCRYPTION_KEY`` (Fernet) as ``ledger.keys`` stores BLS keys.

The scanner follows the nodes' event feed after its own cursor (``ChainCursor`` named
``phoenix``, the indexer's mechanism, ``ledger.indexer``), reads only events of **Final** blocks,
and applies a page and the cursor in one database transaction, so a crash mid-page repeats
nothing and loses nothing and a run never rescans from genesis:

- ``note`` (``pos:u64 ‖ note[302]``) of the genesis ``phoenix`` contract: every organisation's
  view key is tried (``phoenix_wallet.scan_notes``); an owned note is stored with its position,
  value (minor units) and its nullifier, computed with the owner's secret key. The blinder is
  not stored: it is re-derived from the note with the view key when the note is spent.
- ``spend`` (``I:u8 ‖ nullifiers ‖ fee ‖ deposit``): notes with those nullifiers become
  ``spent``, with the height and transaction.

Sources: chain/contracts/phoenix/phoenix.c (events), docs/contracts.md "phoenix".
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Callable, Iterable
from typing import TypeVar

from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from chain.node.client import ChainEvent, RpcError, contract_abi, phoenix_wallet
from common.exceptions import ChainUnavailable, InvalidInput
from ledger.chain import get_cash_tokens, get_genesis_contracts, get_node_client
from ledger.indexer import PAGE, get_final_height
from ledger.keys import get_key_cipher
from ledger.models import PHOENIX_CURSOR, ChainCursor, PhoenixKey, ShieldedNote

T = TypeVar("T")

#: The genesis name of the Phoenix transfer contract (docs/contracts.md "phoenix").
PHOENIX_CONTRACT = "phoenix"


def phoenix_key_get_or_create(*, organisation_id: uuid.UUID) -> PhoenixKey:
    """The organisation's Phoenix key, made on first use from 64 bytes of ``os.urandom``; the
    secret and view keys are stored encrypted. Safe under concurrency (one key per
    organisation: the loser of a race reads the winner's)."""
    existing = PhoenixKey.objects.filter(organisation_id=organisation_id).first()
    if existing is not None:
        return existing
    keys = phoenix_wallet.generate_keys(os.urandom(64))
    cipher = get_key_cipher()
    try:
        with transaction.atomic():
            return PhoenixKey.objects.create(
                organisation_id=organisation_id,
                public_key="0x" + keys.public_key.hex(),
                encrypted_secret_key=cipher.encrypt(keys.secret_key),
                encrypted_view_key=cipher.encrypt(keys.view_key),
            )
    except IntegrityError:
        return PhoenixKey.objects.get(organisation_id=organisation_id)


def _decrypt(token: bytes) -> bytes:
    try:
        return get_key_cipher().decrypt(bytes(token))
    except InvalidToken as exc:
        raise InvalidInput(
            "The Phoenix key cannot be decrypted with GLOAM_KEY_ENCRYPTION_KEY.", code="key_decryption_failed"
        ) from exc


@sensitive_variables("secret_key")
def with_phoenix_secret_key(key: PhoenixKey, use: Callable[[bytes], T]) -> T:
    """Decrypt ``key``'s 64-byte secret key, pass it to ``use`` and drop it. Raises
    ``InvalidInput`` (``key_decryption_failed``)."""
    secret_key = _decrypt(key.encrypted_secret_key)
    return use(secret_key)


def phoenix_view_key(key: PhoenixKey) -> bytes:
    """The 64-byte view key of ``key`` (decrypted). Raises ``InvalidInput``
    (``key_decryption_failed``)."""
    return _decrypt(key.encrypted_view_key)


def phoenix_contract_id() -> str | None:
    """The genesis ``phoenix`` contract's 0x id, or ``None`` when the chain has none (the devnet
    deploys it only with the transfer circuits' keys). Raises ``ChainUnavailable``."""
    return get_genesis_contracts().get(PHOENIX_CONTRACT)


_phoenix_cash: dict[tuple[str, ...], tuple[str, str]] = {}


def phoenix_cash_token() -> tuple[str, str]:
    """(ISO 4217 currency, 0x id) of the cash token the ``phoenix`` contract holds for its
    notes (its ``info``; the genesis chooses it, ``GLOAM_SHIELDED_CURRENCY`` on a devnet):
    shielded cash is in that currency. Asked once per process. Raises ``InvalidInput``
    (``no_phoenix_contract``) on a chain without phoenix, ``ChainUnavailable`` if no node
    answers."""
    urls = tuple(settings.GLOAM_NODE_URLS)
    if urls not in _phoenix_cash:
        contract = phoenix_contract_id()
        if contract is None:
            raise InvalidInput(
                "The chain has no phoenix contract (the Phoenix transfer keys are not set up).",
                code="no_phoenix_contract",
            )
        try:
            with get_node_client() as client:
                info = contract_abi.decode_phoenix_info(client.query_contract(contract, "info"))
        except (RpcError, contract_abi.AbiError) as exc:
            raise ChainUnavailable(f"The phoenix contract cannot be read: {exc}") from exc
        token = "0x" + info.cash_token.hex()
        currency = next((c for c, t in get_cash_tokens().items() if t.lower() == token), None)
        if currency is None:
            raise ChainUnavailable(f"The phoenix contract holds {token}, which is no genesis cash token.")
        _phoenix_cash[urls] = (currency, token)
    return _phoenix_cash[urls]


def scan_final_phoenix_events(*, max_pages: int = 20) -> dict[str, int]:
    """Apply the Final events after the scanner's cursor, a page (``PAGE`` events) at a time;
    returns how many events were read, notes found and spent, and the heights reached. Does
    nothing (and moves no cursor) when the chain has no ``phoenix`` contract."""
    contract = phoenix_contract_id()
    counts = {"read": 0, "found": 0, "spent": 0, "height": 0, "final_height": 0}
    if contract is None:
        return counts
    with get_node_client() as client:
        final_height = get_final_height(client)
        counts["final_height"] = final_height
        for _ in range(max_pages):
            cursor, _ = ChainCursor.objects.get_or_create(name=PHOENIX_CURSOR)
            page = client.get_events(after=cursor.sequence, limit=PAGE)
            events = [e for e in page.events if e.height <= final_height]
            if not events:
                ChainCursor.objects.filter(name=PHOENIX_CURSOR).update(final_height=final_height)
                break
            found, spent = apply_phoenix_page(events, contract=contract, final_height=final_height)
            counts["read"] += len(events)
            counts["found"] += found
            counts["spent"] += spent
            if len(events) < len(page.events) or len(page.events) < PAGE:
                break
    counts["height"] = ChainCursor.objects.get(name=PHOENIX_CURSOR).height
    return counts


@transaction.atomic
def apply_phoenix_page(events: Iterable[ChainEvent], *, contract: str, final_height: int) -> tuple[int, int]:
    """Apply one page of Final events (in sequence order) and move the cursor past it, in one
    transaction; events at or before the cursor are skipped (another scanner applied them).
    Returns ``(notes found, notes marked spent)``. A ``note`` or ``spend`` event that does not
    decode is skipped: the contract emits only well-formed ones, and a scanner must not stop."""
    cursor, _ = ChainCursor.objects.select_for_update().get_or_create(name=PHOENIX_CURSOR)
    keys: list[tuple[PhoenixKey, bytes]] | None = None
    found = spent = 0
    last: ChainEvent | None = None
    for event in events:
        last = event
        if event.sequence <= cursor.sequence or event.source != contract:
            continue
        data = bytes.fromhex(event.data.removeprefix("0x"))
        if event.topic == "note":
            try:
                placed = contract_abi.decode_phoenix_note_event(data)
            except contract_abi.AbiError:
                continue
            if keys is None:
                keys = [(key, phoenix_view_key(key)) for key in PhoenixKey.objects.order_by("created_at")]
            found += _store_owned(event, placed.position, placed.note, keys)
        elif event.topic == "spend":
            try:
                spend = contract_abi.decode_phoenix_transfer_event(data)
            except contract_abi.AbiError:
                continue
            spent += ShieldedNote.objects.filter(
                nullifier__in=["0x" + n.hex() for n in spend.nullifiers]
            ).update(
                status=ShieldedNote.Status.SPENT,
                reserved_for="",
                spent_height=event.height,
                spent_tx_id=event.tx_id,
            )
    if last is not None and last.sequence > cursor.sequence:
        cursor.sequence, cursor.height, cursor.final_height = last.sequence, last.height, final_height
        cursor.save()
    return found, spent


def _nullifier(found: phoenix_wallet.FoundNote, secret_key: bytes) -> bytes:
    return phoenix_wallet.compute_nullifier(secret_key, found.note, found.position)


def _store_owned(event: ChainEvent, position: int, note: bytes, keys: list[tuple[PhoenixKey, bytes]]) -> int:
    for key, view_key in keys:
        owned = phoenix_wallet.scan_notes(view_key, [(position, note)])
        if not owned:
            continue
        [mine] = owned
        nullifier = with_phoenix_secret_key(key, functools.partial(_nullifier, mine))
        _, created = ShieldedNote.objects.get_or_create(
            position=position,
            defaults={
                "key": key,
                "value": mine.value,
                "note": mine.note,
                "nullifier": "0x" + nullifier.hex(),
                "height": event.height,
                "tx_id": event.tx_id,
            },
        )
        return int(created)
    return 0
