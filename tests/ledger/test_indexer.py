"""The chain indexer on a real devnet: a crash before a page commits loses and repeats
nothing; replaying the whole feed gives exactly the balances the chain holds; running again
changes nothing; and it says how far it is from the Final height."""

from __future__ import annotations

import pytest
from django.db import transaction

from chain.node.client import contract_abi as abi
from identity.roles import OrganisationKind
from ledger import indexer, outbox
from ledger.chain import get_cash_tokens
from ledger.models import HOLDINGS_CURSOR, ChainCursor, TokenHolding
from tests.factories import OrganisationFactory
from tests.platformchain import ChainPlatform


class Crash(Exception):
    pass


def test_the_indexer_resumes_exactly_after_a_crash(chain_platform: ChainPlatform, monkeypatch):
    chain = chain_platform
    bank = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain.attach(bank, role="cash_issuer")
    receivers = [OrganisationFactory.create(kind=OrganisationKind.BROKER) for _ in range(3)]
    mints = []
    for n, receiver in enumerate(receivers, start=1):
        account = chain.attach(receiver)
        mints.append(
            outbox.chain_call_enqueue(
                organisation=bank,
                kind="test.mint",
                contract="genesis:cash_token",
                fn_name="mint",
                fn_args=abi.encode_address_amount(account.address, 1_000 * n),
            )
        )
    chain.settle(mints)
    monkeypatch.setattr(indexer, "PAGE", 2)  # many pages: the crash falls between two

    real_apply = indexer.apply_events_page
    calls = {"n": 0}

    def crash_on_second_page(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            with transaction.atomic():  # the page is applied, then the process dies before commit
                real_apply(*args, **kwargs)
                raise Crash
        return real_apply(*args, **kwargs)

    monkeypatch.setattr(indexer, "apply_events_page", crash_on_second_page)
    with pytest.raises(Crash):
        indexer.index_final_events(max_pages=10)
    after_crash = ChainCursor.objects.get(name=HOLDINGS_CURSOR).sequence
    assert after_crash > 0  # the first page committed, the second did not
    monkeypatch.setattr(indexer, "apply_events_page", real_apply)

    while indexer.index_final_events(max_pages=50)["read"]:
        pass
    cursor = ChainCursor.objects.get(name=HOLDINGS_CURSOR)
    assert cursor.sequence > after_crash
    assert cursor.final_height >= cursor.height  # how far behind: final height vs applied height
    tokens = set(get_cash_tokens().values())
    holdings = list(TokenHolding.objects.filter(contract__in=tokens))
    assert holdings
    with chain.client as node:
        for holding in holdings:  # nothing doubled, nothing lost: the chain's own balances
            balance = abi.decode_u64(
                node.query_contract(holding.contract, "balance_of", bytes.fromhex(holding.holder))
            )
            assert int(holding.balance) == balance, holding
    snapshot = {(h.contract, h.holder): h.balance for h in TokenHolding.objects.all()}
    indexer.index_final_events()
    assert {(h.contract, h.holder): h.balance for h in TokenHolding.objects.all()} == snapshot
