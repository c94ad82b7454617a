"""Raw keys of the state: one 4-byte namespace prefix, then the identifier.

| namespace | key                          | value                                  |
|-----------|------------------------------|----------------------------------------|
| accounts  | ``b"acct" ‖ pk[48]``         | :func:`~chain.state.accounts.encode_account` (16 B) |
| stakes    | ``b"stak" ‖ pk[48]``         | :func:`~chain.state.stakes.encode_stake` (11 or 35 B) |
| stake owners | ``b"sown" ‖ pk[48]``      | the owner's account key (48 B)         |
| contracts | ``b"cmem" ‖ contract_id[32]``| the contract memory commitment (32 B)  |
| fault reports | ``b"rflt" ‖ digest[32]`` | the height of the block that carried the fault (u64 LE) |
| contract records | ``b"cmet" ‖ contract_id[32]`` | owner, code hash, page hashes (:mod:`.contracts`) |
| contract code | ``b"ccod" ‖ code_hash[32]`` | the WASM bytecode                          |
| contract pages | ``b"cpag" ‖ contract_id[32] ‖ page:u32BE`` | a 64 KiB memory page, absent if zero |
| note tree nodes | ``b"note" ‖ b"n" ‖ level:u8 ‖ index:u64BE`` | a node (level 0 = leaf), 32-byte scalar LE |
| note tree size | ``b"note" ‖ b"m"`` | ``size:u64LE ‖ height of the last append's block:u64LE`` |
| note authority | ``b"note" ‖ b"a"`` | the contract id (32 B) allowed to append notes and spend nullifiers |
| note root slots | ``b"note" ‖ b"h" ‖ slot:u16BE`` | ``height:u64LE ‖ root[32]``, slot = height mod 4,320 |
| known note roots | ``b"note" ‖ b"k" ‖ root[32]`` | the last height whose end-of-block root it was (u64LE) |
| licence tree rows | ``b"lict" ‖ …`` | as the note tree's (``n``, ``m``, ``a``, ``h``, ``k``) |
| last revocation | ``b"lict" ‖ b"r"`` | the height of the block of the last revocation (u64LE) |
| spent nullifiers | ``b"nulf" ‖ nullifier[32]`` | the height of the block that spent it (u64LE) |
| verifying keys | ``b"vkey" ‖ vk_id[32]``      | Groth16 verification key bytes (:mod:`.verifying_keys`) |

``pk`` is the 48-byte compressed G1 BLS public key (DESIGN.md, Chain decisions: Signatures);
the contract id is BLAKE2b-256 (reference/dusk-protocol.md §2.4).
"""

from __future__ import annotations

from typing import Final

from chain.state.exceptions import InvalidStateKey, InvalidStateValue
from chain.types.primitives import BlsPublicKey, ContractId, Hash32

ACCOUNT_PREFIX: Final = b"acct"
STAKE_PREFIX: Final = b"stak"
STAKE_OWNER_PREFIX: Final = b"sown"
CONTRACT_COMMITMENT_PREFIX: Final = b"cmem"
FAULT_REPORT_PREFIX: Final = b"rflt"
CONTRACT_RECORD_PREFIX: Final = b"cmet"
CONTRACT_CODE_PREFIX: Final = b"ccod"
CONTRACT_PAGE_PREFIX: Final = b"cpag"
NOTE_TREE_PREFIX: Final = b"note"
LICENCE_TREE_PREFIX: Final = b"lict"
NULLIFIER_PREFIX: Final = b"nulf"
VERIFYING_KEY_PREFIX: Final = b"vkey"

#: Longest raw key a store accepts: LMDB's key limit is 511 bytes and rows carry a 2-byte
#: bucket prefix; 256 leaves room for namespaces to come.
MAX_KEY_BYTES: Final = 256


def validate_key(key: bytes) -> None:
    """Check that ``key`` is a usable raw state key.

    Parameters
    ----------
    key
        ``bytes`` of length 1 to ``MAX_KEY_BYTES``.

    Raises
    ------
    InvalidStateKey
        ``reason="invalid_key"`` if ``key`` is not ``bytes`` or has a bad length.
    """
    if not isinstance(key, bytes):
        raise InvalidStateKey(f"state key must be bytes, not {type(key).__name__}")
    if not 0 < len(key) <= MAX_KEY_BYTES:
        raise InvalidStateKey(f"state key must be 1..{MAX_KEY_BYTES} bytes, got {len(key)}")


def compute_account_key(pk: BlsPublicKey) -> bytes:
    """``b"acct" ‖ pk`` (52 bytes): where the Moonlight account of ``pk`` lives (reference §2.2).

    Raises
    ------
    InvalidStateValue
        If ``pk`` is not a :class:`BlsPublicKey`.
    """
    return ACCOUNT_PREFIX + _require_pk(pk)


def compute_stake_key(pk: BlsPublicKey) -> bytes:
    """``b"stak" ‖ pk`` (52 bytes): where the stake of provisioner ``pk`` lives (reference §1.1).

    Raises
    ------
    InvalidStateValue
        If ``pk`` is not a :class:`BlsPublicKey`.
    """
    return STAKE_PREFIX + _require_pk(pk)


def compute_stake_owner_key(pk: BlsPublicKey) -> bytes:
    """``b"sown" ‖ pk`` (52 bytes): the account that owns the stake of provisioner ``pk``
    (reference §3, Stake: a stake has an account key and an owner key).

    Raises
    ------
    InvalidStateValue
        If ``pk`` is not a :class:`BlsPublicKey`.
    """
    return STAKE_OWNER_PREFIX + _require_pk(pk)


def compute_contract_commitment_key(contract_id: ContractId) -> bytes:
    """``b"cmem" ‖ contract_id`` (36 bytes): where a contract's memory commitment lives (§4).

    Raises
    ------
    InvalidStateValue
        If ``contract_id`` is not a :class:`ContractId`.
    """
    if not isinstance(contract_id, ContractId):
        raise InvalidStateValue(f"contract id must be a ContractId, not {type(contract_id).__name__}")
    return CONTRACT_COMMITMENT_PREFIX + contract_id


def compute_fault_report_key(digest: Hash32) -> bytes:
    """``b"rflt" ‖ digest`` (36 bytes): marks fault evidence (SHA3-256 digest, reference §1.8)
    as already carried by a block, so that no provisioner is slashed twice for one fault.

    Raises
    ------
    InvalidStateValue
        If ``digest`` is not a :class:`Hash32`.
    """
    if not isinstance(digest, Hash32):
        raise InvalidStateValue(f"fault digest must be a Hash32, not {type(digest).__name__}")
    return FAULT_REPORT_PREFIX + digest


def compute_contract_record_key(contract_id: ContractId) -> bytes:
    """``b"cmet" ‖ contract_id`` (36 bytes): the contract's record (owner, code, page hashes)."""
    return CONTRACT_RECORD_PREFIX + _require_contract_id(contract_id)


def compute_contract_code_key(code_hash: Hash32) -> bytes:
    """``b"ccod" ‖ code_hash`` (36 bytes): bytecode by its BLAKE3 hash."""
    if not isinstance(code_hash, Hash32):
        raise InvalidStateValue(f"code hash must be a Hash32, not {type(code_hash).__name__}")
    return CONTRACT_CODE_PREFIX + code_hash


def compute_contract_page_key(contract_id: ContractId, page: int) -> bytes:
    """``b"cpag" ‖ contract_id ‖ page:u32BE`` (40 bytes): one 64 KiB memory page."""
    if not 0 <= page < 2**32:
        raise InvalidStateValue(f"page index {page} is outside u32")
    return CONTRACT_PAGE_PREFIX + _require_contract_id(contract_id) + page.to_bytes(4, "big")


def compute_verifying_key_key(vk_id: Hash32) -> bytes:
    """``b"vkey" ‖ vk_id`` (36 bytes): a registered Groth16 verification key
    (:func:`chain.state.verifying_keys.compute_vk_id`; docs/zk.md, "Verification in the chain").

    Raises
    ------
    InvalidStateValue
        If ``vk_id`` is not a :class:`Hash32`.
    """
    if not isinstance(vk_id, Hash32):
        raise InvalidStateValue(f"vk_id must be a Hash32, not {type(vk_id).__name__}")
    return VERIFYING_KEY_PREFIX + vk_id


def _require_contract_id(contract_id: ContractId) -> bytes:
    if not isinstance(contract_id, ContractId):
        raise InvalidStateValue(f"contract id must be a ContractId, not {type(contract_id).__name__}")
    return bytes(contract_id)


def _require_pk(pk: BlsPublicKey) -> bytes:
    if not isinstance(pk, BlsPublicKey):
        raise InvalidStateValue(f"public key must be a BlsPublicKey, not {type(pk).__name__}")
    return bytes(pk)


# -- Poseidon trees (chain/state/poseidon_tree.py): the note tree and the licence tree ------------
#
# Both trees use the same row layout under their own namespace ``prefix`` (``b"note"``,
# ``b"lict"``): ``n`` nodes, ``m`` size and height, ``a`` authority, ``h`` root slots, ``k``
# known roots; the licence tree adds ``r``, the height of its last revocation.

TREE_PREFIXES: Final = (NOTE_TREE_PREFIX, LICENCE_TREE_PREFIX)


def _require_tree_prefix(prefix: bytes) -> bytes:
    if prefix not in TREE_PREFIXES:
        raise InvalidStateValue(f"{prefix!r} is not the namespace of a Poseidon tree")
    return prefix


def compute_tree_meta_key(prefix: bytes) -> bytes:
    """``prefix ‖ b"m"``: the tree's size and the height of the block of its last change."""
    return _require_tree_prefix(prefix) + b"m"


def compute_tree_authority_key(prefix: bytes) -> bytes:
    """``prefix ‖ b"a"``: the id of the one contract allowed to change the tree (genesis)."""
    return _require_tree_prefix(prefix) + b"a"


def compute_tree_node_key(prefix: bytes, level: int, index: int) -> bytes:
    """``prefix ‖ b"n" ‖ level:u8 ‖ index:u64BE`` (14 bytes): node ``index`` of ``level``
    (level 0 holds the leaves, the root is the only node of the top level).

    Raises
    ------
    InvalidStateValue
        ``prefix`` is not a tree's namespace, ``level`` outside u8 or ``index`` outside u64.
    """
    if not 0 <= level < 2**8 or not 0 <= index < 2**64:
        raise InvalidStateValue(f"tree node ({level}, {index}) is out of range")
    return _require_tree_prefix(prefix) + b"n" + level.to_bytes(1, "big") + index.to_bytes(8, "big")


def compute_tree_root_slot_key(prefix: bytes, slot: int) -> bytes:
    """``prefix ‖ b"h" ‖ slot:u16BE`` (7 bytes): one slot of the ring of recent roots.

    Raises
    ------
    InvalidStateValue
        ``prefix`` is not a tree's namespace, or ``slot`` outside u16.
    """
    if not 0 <= slot < 2**16:
        raise InvalidStateValue(f"root slot {slot} is outside u16")
    return _require_tree_prefix(prefix) + b"h" + slot.to_bytes(2, "big")


def compute_tree_known_root_key(prefix: bytes, root: bytes) -> bytes:
    """``prefix ‖ b"k" ‖ root[32]`` (37 bytes): marks ``root`` (32-byte scalar LE) as a recent
    end-of-block root of the tree.

    Raises
    ------
    InvalidStateValue
        ``prefix`` is not a tree's namespace, or ``root`` is not 32 bytes.
    """
    if not isinstance(root, bytes) or len(root) != 32:
        raise InvalidStateValue("a tree root is 32 bytes")
    return _require_tree_prefix(prefix) + b"k" + root


# -- the note tree (chain/state/note_tree.py, docs/zk.md "Note tree") -----------------------------

#: ``b"note" ‖ b"m"``: the tree's size and the height of the block of its last append.
NOTE_TREE_META_KEY: Final = NOTE_TREE_PREFIX + b"m"
#: ``b"note" ‖ b"a"``: the id of the one contract allowed to append notes and spend nullifiers
#: (the Phoenix transfer contract), written once at genesis (docs/zk.md "Note authority").
NOTE_AUTHORITY_KEY: Final = NOTE_TREE_PREFIX + b"a"


def compute_note_node_key(level: int, index: int) -> bytes:
    """``b"note" ‖ b"n" ‖ level:u8 ‖ index:u64BE``: :func:`compute_tree_node_key` of the note
    tree. Raises :class:`InvalidStateValue` for ``level`` outside u8 or ``index`` outside u64."""
    return compute_tree_node_key(NOTE_TREE_PREFIX, level, index)


def compute_note_root_slot_key(slot: int) -> bytes:
    """``b"note" ‖ b"h" ‖ slot:u16BE``: :func:`compute_tree_root_slot_key` of the note tree."""
    return compute_tree_root_slot_key(NOTE_TREE_PREFIX, slot)


def compute_note_known_root_key(root: bytes) -> bytes:
    """``b"note" ‖ b"k" ‖ root[32]``: :func:`compute_tree_known_root_key` of the note tree."""
    return compute_tree_known_root_key(NOTE_TREE_PREFIX, root)


# -- the licence tree (chain/state/licence_tree.py, docs/zk.md "Citadel on chain") -----------------

#: ``b"lict" ‖ b"r"``: the height of the block of the licence tree's last revocation (u64LE);
#: roots that ended a block before it are no longer known (docs/zk.md "Citadel on chain").
LICENCE_REVOCATION_KEY: Final = LICENCE_TREE_PREFIX + b"r"


# -- the nullifier set (chain/state/nullifiers.py, docs/zk.md "Nullifier set") -------------------


def compute_nullifier_key(nullifier: bytes) -> bytes:
    """``b"nulf" ‖ nullifier[32]`` (36 bytes): marks ``nullifier`` (32-byte scalar LE, the
    caller checked it is canonical) as spent; the row holds the spending block's height.

    Raises
    ------
    InvalidStateValue
        ``nullifier`` is not 32 bytes.
    """
    if not isinstance(nullifier, bytes) or len(nullifier) != 32:
        raise InvalidStateValue("a nullifier is 32 bytes")
    return NULLIFIER_PREFIX + nullifier
