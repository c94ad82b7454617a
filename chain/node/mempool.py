"""The mempool: transactions waiting for a block (sans-I/O; time is an argument).

- **Entry.** A transaction enters only if it is stateless-valid (chain id, fee, signature:
  ``chain.transition.validate_transaction``), its nonce is above the sender's stored
  nonce with no more than ``max_nonce_gap`` missing in between, and the sender's balance
  covers its up-front cost plus that of the sender's other waiting transactions. A proven
  call's proof is then verified against the committed verifying-key registry
  (``check_proof``, :func:`chain.transition.process.validate_transaction_proof`): last, since
  it is the dearest check (milliseconds); an unknown key or a refused proof is rejected with
  ``unknown_verifying_key`` or ``proof_refused:<reason>``.
- **Ordering** for a block: highest gas price first; a sender's transactions always in
  nonce order (a transaction is offered only once its predecessor is).
- **Replacement.** Same sender and nonce with a gas price at least
  ``replacement_bump_percent`` higher replaces the waiting one; otherwise rejected.
- **Limits.** At most ``max_transactions`` in all, ``max_per_sender`` per sender and
  ``max_bytes`` of encoded transactions; when full, a transaction must pay more than each
  entry it evicts: cheapest first, only a sender's highest waiting nonce (no gaps), never
  the submitter's own. A rejected transaction leaves the pool unchanged.
- **Eviction.** Entries whose nonce is at or below the stored nonce (included or replayed)
  and entries older than ``ttl_seconds`` leave on ``evict_stale``.

Rejections raise :class:`MempoolRejected` with a stable ``reason``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from chain.node.exceptions import MempoolRejected
from chain.state.accounts import Account
from chain.transition.exceptions import InvalidTransaction
from chain.transition.params import ChainParams
from chain.transition.process import compute_upfront_cost, validate_transaction
from chain.transition.roots import compute_transaction_id
from chain.types.primitives import BlsPublicKey, Hash32
from chain.types.transactions import ProvenCall, Transaction, encode_transaction


@dataclass(frozen=True, slots=True)
class MempoolLimits:
    max_transactions: int = 20_000
    max_per_sender: int = 256
    max_bytes: int = 64 * 1024 * 1024
    max_nonce_gap: int = 64
    replacement_bump_percent: int = 10
    ttl_seconds: int = 3600


@dataclass(slots=True)
class _Entry:
    tx: Transaction
    tx_id: Hash32
    size: int
    added_at: float


@dataclass(slots=True)
class Mempool:
    """Waiting transactions, by sender and nonce. ``stored_nonce`` reads the chain state."""

    params: ChainParams
    account_of: Callable[[BlsPublicKey], Account]
    """The sender's committed account (nonce and balance)."""
    limits: MempoolLimits = field(default_factory=MempoolLimits)
    check_proof: Callable[[Transaction], None] | None = None
    """Verifies a proven call's proof against the committed state, raising
    ``InvalidTransaction``; ``None`` admits no proven call (``proof_unchecked``)."""
    _by_sender: dict[BlsPublicKey, dict[int, _Entry]] = field(default_factory=dict)
    _by_id: dict[Hash32, _Entry] = field(default_factory=dict)
    _bytes: int = 0

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, tx_id: object) -> bool:
        return tx_id in self._by_id

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def is_verified(self, tx: Transaction) -> bool:
        """Whether exactly ``tx`` (signature included) is waiting here, so its signature was
        verified on entry (the RPC batch check or :meth:`add`)."""
        entry = self._by_id.get(compute_transaction_id(tx))
        return entry is not None and entry.tx == tx

    def get(self, tx_id: Hash32) -> Transaction | None:
        entry = self._by_id.get(tx_id)
        return entry.tx if entry else None

    def add(self, tx: Transaction, *, now: float, check_signature: bool = True) -> Hash32:
        """Admit ``tx``; returns its id. Re-adding a waiting transaction (the same bytes,
        signature included) returns its id. ``check_signature=False`` only for a caller
        that verified the signature itself (the RPC's batch check): :meth:`is_verified`
        and block validation rely on it.

        Raises ``MempoolRejected`` (``wrong_chain_id``, ``bad_signature``,
        ``nonce_replay``, ``nonce_gap``, ``underpriced_replacement``, ``sender_full``,
        ``mempool_full``, ...).
        """
        tx_id = compute_transaction_id(tx)
        waiting_entry = self._by_id.get(tx_id)
        if waiting_entry is not None and waiting_entry.tx == tx:
            return tx_id
        try:
            validate_transaction(tx, params=self.params, check_signature=check_signature)
        except InvalidTransaction as exc:
            raise MempoolRejected(str(exc), reason=exc.reason) from exc
        if tx.fee.gas_price < self.params.min_gas_price:
            raise MempoolRejected(
                f"gas price below the minimum {self.params.min_gas_price}", reason="gas_price_too_low"
            )
        account = self.account_of(tx.sender)
        stored = int(account.nonce)
        if tx.nonce <= stored:
            raise MempoolRejected(f"nonce {tx.nonce} already used", reason="nonce_replay")
        if tx.nonce > stored + 1 + self.limits.max_nonce_gap:
            raise MempoolRejected(f"nonce {tx.nonce} is too far ahead of {stored}", reason="nonce_gap")
        queue = self._by_sender.get(tx.sender, {})
        size = len(encode_transaction(tx))
        existing = queue.get(int(tx.nonce))
        waiting = sum(compute_upfront_cost(e.tx) for n, e in queue.items() if n != int(tx.nonce))
        if waiting + compute_upfront_cost(tx) > account.balance:
            raise MempoolRejected(
                f"balance {account.balance} does not cover this and the waiting transactions",
                reason="insufficient_balance",
            )
        if existing is not None:
            bump = existing.tx.fee.gas_price * (100 + self.limits.replacement_bump_percent)
            if tx.fee.gas_price * 100 < bump:
                raise MempoolRejected(
                    "a transaction with this nonce is waiting; pay a higher gas price to replace it",
                    reason="underpriced_replacement",
                )
        elif len(queue) >= self.limits.max_per_sender:
            raise MempoolRejected("too many waiting transactions from this sender", reason="sender_full")
        if isinstance(tx.data, ProvenCall):
            if self.check_proof is None:
                raise MempoolRejected("this mempool cannot verify proofs", reason="proof_unchecked")
            try:
                self.check_proof(tx)
            except InvalidTransaction as exc:
                raise MempoolRejected(str(exc), reason=exc.reason) from exc
        evicted = self._eviction_set(tx, size, replaced=existing)
        # Nothing has changed so far: a rejection above leaves the pool as it was.
        for entry in ([existing] if existing is not None else []) + evicted:
            self._remove(entry)
        entry = _Entry(tx, tx_id, size, now)
        self._by_sender.setdefault(tx.sender, {})[int(tx.nonce)] = entry
        self._by_id[tx_id] = entry
        self._bytes += size
        return tx_id

    def _eviction_set(self, tx: Transaction, size: int, *, replaced: _Entry | None) -> list[_Entry]:
        """The entries to evict so that ``tx`` (``size`` bytes, replacing ``replaced``) fits;
        raises ``mempool_full`` if no such set exists. Does not change the pool.

        Cheapest first (most recent among equals); only a sender's highest waiting nonce is
        a candidate, its predecessor becoming one once it goes, so no queue gets a gap; the
        submitter's own transactions are never evicted; every evicted entry pays less.
        """
        count = len(self._by_id) - (replaced is not None)
        used = self._bytes - (replaced.size if replaced is not None else 0)

        def fits() -> bool:
            return count < self.limits.max_transactions and used + size <= self.limits.max_bytes

        if fits():
            return []

        def key(entry: _Entry) -> tuple[int, float, int]:
            return (int(entry.tx.fee.gas_price), -entry.added_at, int(entry.tx.nonce))

        tails: list[tuple[tuple[int, float, int], BlsPublicKey, list[_Entry]]] = []
        for sender, queue in self._by_sender.items():
            if sender == tx.sender or not queue:
                continue
            ordered = [queue[n] for n in sorted(queue)]
            tails.append((key(ordered[-1]), sender, ordered))
        heapq.heapify(tails)
        evicted: list[_Entry] = []
        while not fits():
            if not tails:
                raise MempoolRejected("the mempool is full at this gas price", reason="mempool_full")
            _, sender, ordered = heapq.heappop(tails)
            cheapest = ordered.pop()
            if cheapest.tx.fee.gas_price >= tx.fee.gas_price:
                raise MempoolRejected("the mempool is full at this gas price", reason="mempool_full")
            evicted.append(cheapest)
            count -= 1
            used -= cheapest.size
            if ordered:
                heapq.heappush(tails, (key(ordered[-1]), sender, ordered))
        return evicted

    def _remove(self, entry: _Entry) -> None:
        queue = self._by_sender.get(entry.tx.sender, {})
        if queue.get(int(entry.tx.nonce)) is entry:
            del queue[int(entry.tx.nonce)]
            if not queue:
                del self._by_sender[entry.tx.sender]
        if self._by_id.pop(entry.tx_id, None) is not None:
            self._bytes -= entry.size

    def remove(self, tx_ids: set[Hash32]) -> None:
        for tx_id in tx_ids:
            entry = self._by_id.get(tx_id)
            if entry is not None:
                self._remove(entry)

    def evict_stale(self, *, now: float) -> int:
        """Drop included/replayed nonces and entries older than the TTL; returns the count."""
        stale = [
            e
            for sender, queue in self._by_sender.items()
            for e in queue.values()
            if e.tx.nonce <= self.account_of(sender).nonce or now - e.added_at > self.limits.ttl_seconds
        ]
        for entry in stale:
            self._remove(entry)
        return len(stale)

    def iter_for_block(self) -> Iterator[Transaction]:
        """Executable transactions, highest gas price first, each sender in nonce order.

        A sender's next transaction is offered only after its predecessor (stored nonce + 1
        first); gaps stop that sender.
        """
        heads: list[tuple[int, float, int, BlsPublicKey]] = []
        for sender, queue in self._by_sender.items():
            nonce = int(self.account_of(sender).nonce) + 1
            entry = queue.get(nonce)
            if entry is not None:
                heads.append((-int(entry.tx.fee.gas_price), entry.added_at, nonce, sender))
        heapq.heapify(heads)
        while heads:
            _, _, nonce, sender = heapq.heappop(heads)
            queue = self._by_sender[sender]
            yield queue[nonce].tx
            successor = queue.get(nonce + 1)
            if successor is not None:
                heapq.heappush(
                    heads, (-int(successor.tx.fee.gas_price), successor.added_at, nonce + 1, sender)
                )
