"""A real single-authority chain node in this process, serving its real JSON-RPC API
(``chain.node.rpc.RpcServer``) on loopback, with the EUR cash token and the ``phoenix`` contract
as note authority: the chain the shielded cash services talk to in tests that need no devnet.

Blocks are produced when the test says so (:meth:`PhoenixChain.produce`), not by a timer, so a
test is deterministic and never waits; a single authority's head is Final. The platform's side
is driven as its workers would drive it (:meth:`PhoenixChain.settle`: the outbox's flush and
confirm, the indexer and the Phoenix scanner), all real.

The ``phoenix`` contract accepts the committed Phoenix transfer keys when they exist
(``circuits/build/phoenix_transfer{,_2}.vk``, registered in the genesis as the devnet does);
otherwise it is initialised with placeholder key ids, enough for shielding and scanning, and a
proven transfer cannot be made.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from aiohttp import web
from django.test import override_settings

from chain.crypto import groth16
from chain.node.client import contract_abi
from chain.node.node import ChainNode
from chain.node.rpc import RpcServer
from chain.state.memory import MemoryStore
from chain.transition.genesis import CIRCUITS_DIR, parse_genesis_config
from chain.types.primitives import ContractId, Timestamp
from chain.vm.ids import compute_contract_id
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.keys import get_key_cipher
from ledger.models import ChainAccount, ChainSubmission, ShieldedNote, TokenHolding
from ledger.phoenix import scan_final_phoenix_events
from settlement.cash import cash_issue
from tests.chain.helpers import GENESIS_TIME, Keypair, keypair
from tests.chain.nodeproc import free_ports
from tests.factories import OrganisationFactory

CHAIN_ID = 71  # the test settings' GLOAM_CHAIN_ID
ISSUER = keypair("phoenix-platform-issuer")
OPERATOR = keypair("phoenix-platform-operator")
PHOENIX_KEYS = [CIRCUITS_DIR / "phoenix_transfer.vk", CIRCUITS_DIR / "phoenix_transfer_2.vk"]


@dataclass
class PhoenixChain:
    node: ChainNode
    url: str
    token: str
    phoenix: str
    now: int = GENESIS_TIME

    def produce(self) -> None:
        self.now = max(self.now + 1, int(time.time()))
        produced = self.node.produce_block(now=Timestamp(self.now), allow_empty=True)
        assert produced is not None
        assert not produced.rejected, produced.rejected

    def attach(self, organisation: Organisation, key: Keypair) -> ChainAccount:
        """Give ``organisation`` a chain account with ``key`` (funded in the genesis)."""
        return ChainAccount.objects.create(
            organisation=organisation,
            public_key="0x" + bytes(key.public).hex(),
            encrypted_secret_key=get_key_cipher().encrypt(bytes(key.secret)),
        )

    def settle(self, *, rounds: int = 8) -> None:
        """Run the platform's workers until nothing is open in the outbox: sign and submit,
        make a block, follow to Final (handlers run), then index and scan the Final events."""
        open_statuses = ChainSubmission.OPEN_STATUSES
        for _ in range(rounds):
            accounts = set(
                ChainSubmission.objects.filter(status__in=open_statuses).values_list(
                    "chain_account_id", flat=True
                )
            )
            if not accounts:
                break
            for account in accounts:
                outbox.chain_outbox_flush(chain_account_id=str(account))
            self.produce()
            outbox.chain_outbox_confirm()
        index_final_events()
        scan_final_phoenix_events()

    def cash(self, address: bytes) -> int:
        """The token's ``balance_of`` at the head, in cents."""
        raw = self.node.query_contract(ContractId.from_hex(self.token), "balance_of", address)
        return int.from_bytes(raw, "little")

    @property
    def pool(self) -> bytes:
        return contract_abi.contract_address(bytes.fromhex(self.phoenix[2:]))


def _genesis(funded: list[Keypair]) -> tuple[object, str, str]:
    cash_code = contract_abi.get_contract_code("cash_token")
    token = compute_contract_id(cash_code, 0, ISSUER.public)
    vk_ids = [
        bytes(groth16.compute_vk_id(groth16.decode_verifying_key(p.read_bytes()).encoded))
        for p in PHOENIX_KEYS
    ]
    config: dict[str, object] = {
        "chain_id": CHAIN_ID,
        "timestamp": GENESIS_TIME,
        "params": {"min_block_time": 1},
        "accounts": [
            {"public_key": "0x" + bytes(k.public).hex(), "balance": 10**16}
            for k in [ISSUER, OPERATOR, *funded]
        ],
        "contracts": [
            {
                "code": "cash_token",
                "owner": "0x" + bytes(ISSUER.public).hex(),
                "init_args": "0x" + (bytes(ISSUER.public) + b"EUR\x02").hex(),
            },
            {
                "code": "phoenix",
                "owner": "0x" + bytes(OPERATOR.public).hex(),
                "init_args": "0x"
                + contract_abi.encode_phoenix_init(cash_token=bytes(token), vk_ids=vk_ids).hex(),
            },
        ],
        "note_authority": "phoenix",
        "verifying_keys": [{"circuit": "phoenix_transfer"}, {"circuit": "phoenix_transfer_2"}],
    }
    genesis = parse_genesis_config(config)
    phoenix = compute_contract_id(contract_abi.get_contract_code("phoenix"), 0, OPERATOR.public)
    return genesis, "0x" + bytes(token).hex(), "0x" + bytes(phoenix).hex()


@contextlib.contextmanager
def phoenix_chain(funded: list[Keypair]) -> Iterator[PhoenixChain]:
    """Serve a fresh chain on a loopback port and point ``GLOAM_NODE_URLS`` at it."""
    genesis, token, phoenix = _genesis(funded)
    node = ChainNode(store=MemoryStore(), genesis=genesis, generator_key=OPERATOR.secret)  # type: ignore[arg-type]
    server = RpcServer(node, block_interval=3600)
    (port,) = free_ports(1)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    async def start() -> web.AppRunner:
        app = server.make_app()
        app.on_startup.clear()  # no timed block producer: the test produces blocks
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner

    runner = asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=30)
    url = f"http://127.0.0.1:{port}"
    try:
        with override_settings(GLOAM_NODE_URLS=[url], GLOAM_CHAIN_ID=CHAIN_ID):
            yield PhoenixChain(node, url, token, phoenix)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


A_KEY, B_KEY = keypair("phoenix-broker-a"), keypair("phoenix-broker-b")
MINTED = Decimal("1000.00")


@dataclass
class Platform:
    """Two brokers with chain accounts on a :func:`phoenix_chain`, A holding 1,000 EUR public
    cash (minted through the platform), a back-office user each, and the operator."""

    chain: PhoenixChain
    a: Organisation
    b: Organisation
    a_office: User
    b_office: User
    operator: User

    def public(self, organisation: Organisation) -> int:
        """The Final public EUR balance in cents (the indexer's holding)."""
        account = organisation.chain_account
        holding = TokenHolding.objects.filter(contract=self.chain.token, holder=account.address.hex()).first()
        return 0 if holding is None else int(holding.balance)

    def shielded(self, organisation: Organisation, status: str = ShieldedNote.Status.UNSPENT) -> int:
        return sum(
            ShieldedNote.objects.filter(key__organisation=organisation, status=status).values_list(
                "value", flat=True
            )
        )


@pytest.fixture
def shielded_platform(
    broker_a: Organisation, broker_b: Organisation, operator: User, make_user: Callable[..., User]
) -> Iterator[Platform]:
    issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER, legal_name="E-money issuer")
    with phoenix_chain([A_KEY, B_KEY]) as chain:
        chain.attach(issuer, ISSUER)
        chain.attach(broker_a, A_KEY)
        chain.attach(broker_b, B_KEY)
        platform = Platform(
            chain,
            broker_a,
            broker_b,
            make_user(broker_a, Role.BROKER_BACK_OFFICE),
            make_user(broker_b, Role.BROKER_BACK_OFFICE),
            operator,
        )
        cash_issue(actor=operator, lei=broker_a.lei, currency="EUR", amount=MINTED)
        chain.settle()
        assert platform.public(broker_a) == 100_000
        yield platform
