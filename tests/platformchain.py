"""A real four-node devnet for the platform's tests, started once per test session and only
when a test asks for it (``chain_platform``).

Its genesis makes two keys known here the ``operator`` (identity registry admin) and the
``cash_issuer`` (EUR cash token issuer) and funds a pool of keys; ``chain_platform.attach``
gives an organisation of the test database a chain account with one of those keys, as
``devnet_init`` does for ``make run``. The database is emptied between tests but the chain
is not: the outbox takes each account's next nonce from the chain, so tests can share it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from chain.node.client import NodeClient, generate_keypair, sign_transfer
from identity.models import Organisation
from ledger import outbox
from ledger.models import ChainAccount, ChainSubmission
from tests.chain.devnetproc import Devnet

CHAIN_ID = 71
POOL_SIZE = 24


def _key(label: str) -> tuple[bytes, str]:
    seed = hashlib.sha256(label.encode()).digest()
    return generate_keypair(seed + seed)


ROLE_KEYS = {role: _key(f"platform-{role}") for role in ("operator", "cash_issuer")}
POOL = [_key(f"platform-account-{i}") for i in range(POOL_SIZE)]
FAUCET = POOL[-1]
"""Funds fresh keys (``attach(fresh=True)``); never attached itself."""


@pytest.fixture(scope="session")
def platform_devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Devnet]:
    directory: Path = tmp_path_factory.mktemp("platform-devnet")
    funds = {public: 10**16 for _, public in [*ROLE_KEYS.values(), *POOL]}
    net = Devnet(directory, funds=funds, roles={role: public for role, (_, public) in ROLE_KEYS.items()})
    for index in range(4):
        net.start(index)
    try:
        deadline = time.monotonic() + 90
        while not all((h := net.head(i)) and h[0] >= 1 for i in range(4)):
            if time.monotonic() > deadline:
                raise AssertionError("the platform devnet did not start")
            time.sleep(0.25)
        yield net
    finally:
        net.stop_all()


@dataclass
class ChainPlatform:
    """The devnet as the platform sees it, and helpers to drive the outbox in a test."""

    net: Devnet
    used: set[int] = field(default_factory=set)

    @property
    def client(self) -> NodeClient:
        return NodeClient(self.net.urls)

    def attach(
        self, organisation: Organisation, *, role: str | None = None, fresh: bool = False
    ) -> ChainAccount:
        """Give ``organisation`` a chain account with a funded key: the role's, if named; with
        ``fresh``, a new key no earlier test has used (the chain outlives each test, so a pool
        key may already be, say, a trusted claim issuer), funded from the faucet; else one
        of the pool's."""
        if role is not None:
            secret, public = ROLE_KEYS[role]
        elif fresh:
            secret, public = generate_keypair(os.urandom(64))
            self._fund(public)
        else:
            index = next(i for i in range(POOL_SIZE - 1) if i not in self.used)
            self.used.add(index)
            secret, public = POOL[index]
        return ChainAccount.objects.create(
            organisation=organisation,
            public_key=public,
            encrypted_secret_key=Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY).encrypt(secret),
        )

    def _fund(self, public: str, value: int = 10**15) -> None:
        faucet_secret, faucet_public = FAUCET
        with self.client as client:
            nonce = client.get_account(faucet_public).nonce + 1
            tx_id, raw = sign_transfer(
                secret_key=faucet_secret, chain_id=CHAIN_ID, receiver=public, value=value, nonce=nonce
            )
            client.submit_transaction(raw)
            deadline = time.monotonic() + 60
            while (info := client.get_transaction(tx_id)).finality != "Final":
                if time.monotonic() > deadline:
                    raise AssertionError(f"the faucet's transfer is not Final: {info}")
                time.sleep(0.3)

    def settle(
        self,
        submissions: Sequence[ChainSubmission],
        *,
        timeout: float = 90.0,
        between: Callable[[], None] | None = None,
    ) -> list[ChainSubmission]:
        """Run flush and confirm as the worker would until every submission is ``final`` or
        ``rejected``; returns them refreshed."""
        deadline = time.monotonic() + timeout
        accounts = {str(s.chain_account_id) for s in submissions}
        while True:
            for account in sorted(accounts):
                outbox.chain_outbox_flush(chain_account_id=account)
            outbox.chain_outbox_confirm()
            if between is not None:
                between()
            rows = [ChainSubmission.objects.get(id=s.id) for s in submissions]
            if all(r.status in (ChainSubmission.Status.FINAL, ChainSubmission.Status.REJECTED) for r in rows):
                return rows
            if time.monotonic() > deadline:
                raise AssertionError(f"not final in {timeout} s: {[(r.kind, r.status) for r in rows]}")
            time.sleep(0.3)


@pytest.fixture
def chain_platform(platform_devnet: Devnet, settings: pytest.FixtureRequest, db: None) -> ChainPlatform:
    settings.GLOAM_NODE_URLS = list(platform_devnet.urls)  # type: ignore[attr-defined]
    settings.GLOAM_CHAIN_ID = CHAIN_ID  # type: ignore[attr-defined]
    return ChainPlatform(platform_devnet)
