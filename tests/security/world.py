"""Two organisations of each kind, each with its own records, and one user per role in the
"A" organisations: the world of the read-scoping matrices (``test_read_scoping`` for the
API, ``test_page_scoping`` for the UI).

Every record has an "A" copy (belonging to, or concerning, the callers' organisations) and a
"B" copy (another organisation of the same kind). Records are made directly in the database:
what is tested is who may read them, not how they are made.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from common.models import AuditEntry
from common.services import audit_entry_create
from compliance.models import Breach, ComplianceAction, Disclosure, RegulatorKey, RuleSet
from corporate_actions.models import Ballot, CorporateAction, Entitlement, MarketClaim
from identity.models import ClientAccount, KycCredential, Organisation, TrustedKycIssuer, User
from identity.roles import OrganisationKind, Role
from issuance.models import (
    Allocation,
    AllocationBatch,
    Instrument,
    InstrumentCheckpoint,
    InstrumentDocument,
    InstrumentStatus,
)
from ledger.models import ChainAccount, PhoenixKey, ShieldedNote
from proving.models import ProofJob
from settlement.models import (
    InstructionEvent,
    NettingCycle,
    SettlementInstruction,
    ShieldedTransfer,
    WebhookEndpoint,
)
from tests.factories import OrganisationFactory, UserFactory
from tests.issuance.conftest import make_bond_terms

#: The callers: each role, held in an "A" organisation of its kind.
CALLERS: dict[str, tuple[str, Role]] = {
    "issuer_admin": ("issuer", Role.ISSUER_ADMIN),
    "issuer_approver": ("issuer", Role.ISSUER_APPROVER),
    "issuer_compliance": ("issuer", Role.COMPLIANCE_OFFICER),
    "broker_trader": ("broker", Role.BROKER_TRADER),
    "broker_back_office": ("broker", Role.BROKER_BACK_OFFICE),
    "broker_compliance": ("broker", Role.COMPLIANCE_OFFICER),
    "kyc_officer": ("kyc", Role.COMPLIANCE_OFFICER),
    "regulator": ("regulator", Role.REGULATOR),
    "operator": ("operator", Role.OPERATOR),
}

KINDS: dict[str, OrganisationKind] = {
    "issuer": OrganisationKind.ISSUER,
    "broker": OrganisationKind.BROKER,
    "kyc": OrganisationKind.KYC_PROVIDER,
    "regulator": OrganisationKind.REGULATOR,
    "operator": OrganisationKind.OPERATOR,
}

ISINS = {
    "live_a": "XS0000000801",
    "live_b": "XS0000000819",
    "draft_a": "XS0000000827",
    "draft_b": "XS0000000835",
}


@dataclass
class World:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    """``issuer_a``, ``issuer_b``, ``broker_a`` … ``operator_a``, ``operator_b``."""
    users: dict[str, User] = field(default_factory=dict)
    """The callers (``CALLERS``) and one ``member_<org>`` per organisation."""
    records: dict[str, Any] = field(default_factory=dict)
    """``<kind>_a`` / ``<kind>_b``: the records each matrix row reads."""

    def record(self, name: str, side: str) -> Any:
        return self.records[f"{name}_{side}"]


def _chain_account(seed: str, **owner: Any) -> ChainAccount:
    from cryptography.fernet import Fernet

    key = "0x" + hashlib.sha384(seed.encode()).hexdigest()
    secret = Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY).encrypt(b"k" * 32)
    return ChainAccount.objects.create(public_key=key, encrypted_secret_key=secret, **owner)


def _instrument(issuer: Organisation, isin: str, status: str, name: str) -> Instrument:
    live = status == InstrumentStatus.LIVE
    return Instrument.objects.create(
        **{**make_bond_terms(), "isin": isin, "name": name},
        issuer=issuer,
        status=status,
        contract_id=("0x" + hashlib.sha256(isin.encode()).hexdigest()) if live else "",
    )


def build_world() -> World:  # noqa: PLR0915 - one record of each kind, twice
    w = World()
    for key, kind in KINDS.items():
        for side in ("a", "b"):
            org = OrganisationFactory.create(kind=kind, legal_name=f"{key.title()} {side.upper()} Ltd")
            w.orgs[f"{key}_{side}"] = org
            w.users[f"member_{key}_{side}"] = UserFactory.create(
                organisation=org, username=f"member-{key}-{side}", roles=[]
            )
            _chain_account(f"{key}-{side}", organisation=org)
    for caller, (home, role) in CALLERS.items():
        w.users[caller] = UserFactory.create(
            organisation=w.orgs[f"{home}_a"], username=caller.replace("_", "-"), roles=[role]
        )
    now = timezone.now()
    today = datetime.date(2026, 9, 15)
    r = w.records
    for side in ("a", "b"):
        S = side.upper()
        issuer, broker = w.orgs[f"issuer_{side}"], w.orgs[f"broker_{side}"]
        kyc, regulator = w.orgs[f"kyc_{side}"], w.orgs[f"regulator_{side}"]
        maker = w.users[f"member_issuer_{side}"]
        trader = w.users[f"member_broker_{side}"]
        r[f"organisation_{side}"] = broker
        r[f"user_{side}"] = trader
        live = r[f"instrument_live_{side}"] = _instrument(
            issuer, ISINS[f"live_{side}"], InstrumentStatus.LIVE, f"Live bond {S}"
        )
        r[f"instrument_{side}"] = _instrument(
            issuer, ISINS[f"draft_{side}"], InstrumentStatus.DRAFT, f"Draft bond {S}"
        )
        client = r[f"client_account_{side}"] = ClientAccount.objects.create(
            broker=broker, account_reference=f"CLIENT-{S}", name=f"Client {S}", holder_type="natural_person"
        )
        subject = _chain_account(f"client-{side}", client_account=client)
        r[f"kyc_credential_{side}"] = KycCredential.objects.create(
            provider=kyc,
            subject=subject,
            holder_type="natural_person",
            evidence_hash="ab" * 32,
            expires_at=now + datetime.timedelta(days=365),
        )
        r[f"trusted_issuer_{side}"] = TrustedKycIssuer.objects.create(organisation=kyc, topics=1)
        common: dict[str, Any] = {
            "broker": broker,
            "client_account": client,
            "instrument": live,
            "quantity": Decimal(1000),
            "price": Decimal(100),
            "trade_date": today,
            "intended_settlement_date": today + datetime.timedelta(days=1),
            "counterparty": w.orgs["broker_a" if side == "b" else "broker_b"],
            "currency": "EUR",
            "accrued_interest": Decimal(0),
            "settlement_amount": Decimal(1000),
            "created_by": trader,
        }
        buy = r[f"instruction_{side}"] = SettlementInstruction.objects.create(
            side="buy", reference=f"BUY-{S}", **common
        )
        sell = SettlementInstruction.objects.create(
            side="sell", reference=f"FAILED-SELL-{S}", status="failed", **common
        )
        r[f"failed_instruction_{side}"] = sell
        r[f"instruction_event_{side}"] = InstructionEvent.objects.create(
            instruction=buy, broker=broker, status="received"
        )
        r[f"webhook_endpoint_{side}"] = WebhookEndpoint.objects.create(
            broker=broker, url=f"https://hooks-{side}.example.test/gloam", secret="s" * 32
        )
        r[f"breach_{side}"] = Breach.objects.create(
            instrument=live, code=7, source="scan", explanation=f"breach {S}", holder=subject.address.hex()
        )
        r[f"compliance_action_{side}"] = ComplianceAction.objects.create(
            instrument=live, kind="freeze", proposed_by=maker
        )
        r[f"rule_set_{side}"] = RuleSet.objects.create(instrument=live, version=1, created_by=maker)
        regulator_key = RegulatorKey.objects.create(
            organisation=regulator,
            public_key="A" * 43 + "=",
            fingerprint=hashlib.sha256(side.encode()).hexdigest(),
            registered_by=w.users[f"member_regulator_{side}"],
        )
        r[f"regulator_key_{side}"] = regulator_key
        disclosure = r[f"disclosure_{side}"] = Disclosure.objects.create(
            instrument=live,
            discloser=issuer,
            regulator=regulator,
            regulator_key=regulator_key,
            created_by=maker,
            window_start=now - datetime.timedelta(days=1),
            window_end=now,
        )
        action = r[f"corporate_action_{side}"] = CorporateAction.objects.create(
            instrument=live,
            kind="coupon",
            record_date=today,
            ex_date=today,
            payment_date=today + datetime.timedelta(days=1),
            amount_per_unit=Decimal(35),
        )
        r[f"entitlement_{side}"] = Entitlement.objects.create(
            action=action,
            holder=subject.address.hex(),
            holder_name=f"Client {S}",
            holder_kind="client account",
            client_account=client,
            units=1,
            position=Decimal(1000),
            gross=Decimal(35),
            net=Decimal(35),
        )
        r[f"market_claim_{side}"] = MarketClaim.objects.create(
            action=action,
            buy_instruction=buy,
            sell_instruction=sell,
            seller=subject.address.hex(),
            buyer=subject.address.hex(),
            units=1,
            amount=Decimal(35),
        )
        r[f"ballot_{side}"] = Ballot.objects.create(
            instrument=live,
            title=f"Ballot {S}",
            motions=[{"title": "Motion", "options": ["for", "against"]}],
            record_date=today,
            opens_at=now,
            closes_at=now + datetime.timedelta(days=7),
            proposed_by=maker,
        )
        r[f"document_{side}"] = InstrumentDocument.objects.create(
            instrument=r[f"instrument_{side}"],
            kind="prospectus",
            file=f"documents/{side}.pdf",
            filename=f"prospectus-{side}.pdf",
            size=1,
            sha256="cd" * 32,
            uploaded_by=maker,
        )
        batch = AllocationBatch.objects.create(instrument=live, created_by=maker)
        r[f"allocation_{side}"] = Allocation.objects.create(
            batch=batch,
            instrument=live,
            client_account=client,
            quantity=Decimal(1000),
            price=Decimal(100),
            settlement_amount=Decimal(1000),
        )
        r[f"checkpoint_{side}"] = InstrumentCheckpoint.objects.create(
            instrument=live, number=1, height=5, total_supply=1, holder_count=1
        )
    r["netting_cycle_a"] = NettingCycle.objects.create(cycle_date=today)
    r["netting_cycle_b"] = NettingCycle.objects.create(cycle_date=today + datetime.timedelta(days=1))
    # audit entries: one about each organisation, and the disclosures' (written under the issuer)
    for name, org in w.orgs.items():
        r[f"audit_{name}"] = _audit(action="test.seed", obj=org, organisation=org)
    for side in ("a", "b"):
        disclosure = r[f"disclosure_{side}"]
        r[f"audit_disclosure_{side}"] = _audit(
            action="disclosure.create", obj=disclosure, organisation=disclosure.discloser
        )
    # shielded cash: a Phoenix key, a note and a shield transfer of each broker
    for side in ("a", "b"):
        broker = w.orgs[f"broker_{side}"]
        phoenix_key = PhoenixKey.objects.create(
            organisation=broker,
            public_key="0x" + hashlib.sha512(f"phoenix-{side}".encode()).hexdigest(),
            encrypted_secret_key=b"-",
            encrypted_view_key=b"-",
        )
        r[f"shielded_note_{side}"] = ShieldedNote.objects.create(
            key=phoenix_key,
            position=ord(side),
            value=1_000,
            note=bytes(302),
            nullifier="0x" + hashlib.sha256(f"nullifier-{side}".encode()).hexdigest(),
            height=1,
            tx_id="0x" + "00" * 32,
        )
        r[f"shielded_transfer_{side}"] = ShieldedTransfer.objects.create(
            organisation=broker,
            requested_by=w.users[f"member_broker_{side}"],
            kind="shield",
            amount=10,
            status="final",
        )
        r[f"shielded_balance_{side}"] = broker
    # proof jobs are the requester's own: A is the broker trader's, B a broker B member's
    for side, requester in (("a", w.users["broker_trader"]), ("b", w.users["member_broker_b"])):
        r[f"proof_job_{side}"] = ProofJob.objects.create(
            requested_by=requester,
            circuit="range_product",
            idempotency_key=f"world-{side}",
            request_digest="0" * 64,
            witness='{"amount":"1","price":"2"}',
        )
    return w


def _audit(**fields: Any) -> AuditEntry:
    audit_entry_create(actor=None, changes={}, **fields)
    return AuditEntry.objects.filter(object_id=str(fields["obj"].pk)).latest("created_at")
