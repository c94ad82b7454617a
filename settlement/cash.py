"""Cash on chain: the genesis e-money tokens (EUR, USD) issued by the licensed cash issuer.

The operator asks the cash issuer's account to mint to a participant (``cash_issue``, through
the outbox; in production this is the e-money issuer's own act against funds received).
Balances are read from the indexer's holdings of the cash tokens, as of the Final height.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from chain.node.client import contract_abi
from common.exceptions import InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from identity.selectors import user_sees_all_organisations
from ledger.chain import get_cash_tokens
from ledger.models import ChainAccount, ChainSubmission, TokenHolding
from ledger.outbox import chain_call_enqueue

CASH_KIND = "cash.issue"
MINOR_UNITS = 100


@transaction.atomic
def cash_issue(*, actor: User, lei: str, currency: str, amount: Decimal) -> ChainSubmission:
    """Mint ``amount`` (in the currency, whole cents) of the cash token in ``currency`` to the
    organisation with ``lei``. Operator only; ``InvalidInput`` for an unknown LEI or currency,
    an organisation without a chain account, a non-positive amount."""
    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator asks the cash issuer for cash.")
    tokens = get_cash_tokens()
    if currency not in tokens:
        raise InvalidInput(
            f"No cash token in {currency}.", code="no_cash_token", details={"field": "currency"}
        )
    receiver = (
        ChainAccount.objects.filter(organisation__lei=lei.upper()).select_related("organisation").first()
    )
    if receiver is None:
        raise InvalidInput(f"No organisation with LEI {lei} and a chain account.", code="unknown_lei")
    cents = amount * MINOR_UNITS
    if amount <= 0 or cents != cents.to_integral_value():
        raise InvalidInput("The amount must be positive, in whole cents.", code="invalid_amount")
    issuer = (
        Organisation.objects.filter(kind=OrganisationKind.CASH_ISSUER, chain_account__isnull=False)
        .order_by("created_at")
        .first()
    )
    if issuer is None:
        raise InvalidInput("There is no cash issuer with a chain account.", code="no_cash_issuer")
    submission = chain_call_enqueue(
        organisation=issuer,
        kind=CASH_KIND,
        contract=tokens[currency],
        fn_name="mint",
        fn_args=contract_abi.encode_address_amount(receiver.address, int(cents)),
        subject=receiver.organisation,
    )
    audit_entry_create(
        actor=actor,
        action="cash.issue",
        obj=submission,
        organisation=receiver.organisation,
        changes={
            "currency": currency,
            "amount": str(amount),
            "lei": receiver.organisation.lei if receiver.organisation else "",
        },
    )
    return submission


@dataclass(frozen=True)
class CashBalance:
    lei: str
    name: str
    currency: str
    amount: Decimal
    height: int


def cash_balance_list(*, user: User) -> list[CashBalance]:
    """Cash token balances of organisations (the caller's own, or all for operators and
    regulators), from the indexer's Final holdings."""
    tokens = {token: currency for currency, token in get_cash_tokens().items()}
    accounts = ChainAccount.objects.filter(organisation__isnull=False).select_related("organisation")
    if not user_sees_all_organisations(user=user):
        if user.organisation_id is None:
            return []
        accounts = accounts.filter(organisation__pk=user.organisation_id)
    by_address = {account.address.hex(): account for account in accounts}
    balances = []
    for holding in TokenHolding.objects.filter(contract__in=tokens, holder__in=by_address).order_by("holder"):
        organisation = by_address[holding.holder].organisation
        assert organisation is not None  # noqa: S101 - filtered above
        balances.append(
            CashBalance(
                organisation.lei,
                organisation.legal_name,
                tokens[holding.contract],
                holding.balance / MINOR_UNITS,
                holding.last_height,
            )
        )
    return balances
