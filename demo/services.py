"""Demo data for the embedded default: organisations with valid LEIs, one user per role, the
demo regulator's key pair (``demo_regulator_key_create``) and the cash float the demo's
brokers and custodians get (``demo_cash_float_enqueue``).

The LEIs (``identity.demo.compute_demo_lei``) are made up but carry correct check digits. All
demo users share one development password (``identity.demo.DEFAULT_DEMO_PASSWORD``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from nacl.public import PrivateKey

from chain.node.client import contract_abi
from common.services import audit_entry_create
from compliance.disclosure import regulator_key_register
from compliance.models import RegulatorKey
from identity.demo import DEFAULT_DEMO_PASSWORD, compute_demo_lei
from identity.models import Organisation, RoleAssignment, User
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create
from ledger.models import ChainSubmission
from ledger.outbox import chain_call_enqueue


@dataclass(frozen=True)
class DemoOrganisation:
    legal_name: str
    entity: str
    country: str
    kind: OrganisationKind
    users: tuple[tuple[str, str, str, Role], ...]  # (username, first, last, role)


DEMO_ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Aurora Capital Issuer plc",
        "AURORAISSUE1",
        "GB",
        OrganisationKind.ISSUER,
        (
            ("issuer.admin", "Isla", "Admin", Role.ISSUER_ADMIN),
            ("issuer.approver", "Ivan", "Approver", Role.ISSUER_APPROVER),
            ("compliance", "Clara", "Compliance", Role.COMPLIANCE_OFFICER),
        ),
    ),
    DemoOrganisation(
        "Borealis Securities AG",
        "BOREALISBRK1",
        "DE",
        OrganisationKind.BROKER,
        (
            ("broker.trader", "Tomas", "Trader", Role.BROKER_TRADER),
            ("broker.backoffice", "Berit", "Backoffice", Role.BROKER_BACK_OFFICE),
        ),
    ),
    DemoOrganisation(
        "Cirrus Markets SA",
        "CIRRUSBROKE2",
        "FR",
        OrganisationKind.BROKER,
        (("broker2.trader", "Camille", "Trader", Role.BROKER_TRADER),),
    ),
    DemoOrganisation("Dawn E-Money SA", "DAWNEMONEY01", "LU", OrganisationKind.CASH_ISSUER, ()),
    DemoOrganisation("Estuary Custody Ltd", "ESTUARYCUST1", "IE", OrganisationKind.CUSTODIAN, ()),
    DemoOrganisation(
        "Financial Conduct Demo Authority",
        "FCDEMOREGUL1",
        "GB",
        OrganisationKind.REGULATOR,
        (("regulator", "Rhea", "Regulator", Role.REGULATOR),),
    ),
    DemoOrganisation(
        "Gloam KYC Services Ltd",
        "GLOAMKYCSRV1",
        "IE",
        OrganisationKind.KYC_PROVIDER,
        (("kyc", "Kai", "Verifier", Role.COMPLIANCE_OFFICER),),
    ),
    DemoOrganisation(
        "Second Demo Supervisory Authority",
        "SECONDREGUL2",
        "FR",
        OrganisationKind.REGULATOR,
        (("regulator2", "Remy", "Regulator", Role.REGULATOR),),
    ),
    DemoOrganisation(
        "Gloam Operations Ltd",
        "GLOAMOPERAT1",
        "GB",
        OrganisationKind.OPERATOR,
        (("operator", "Otto", "Operator", Role.OPERATOR),),
    ),
)


@transaction.atomic
def demo_data_create(*, password: str = DEFAULT_DEMO_PASSWORD) -> list[User]:
    """Create (or refresh) the demo organisations and users; returns the users.

    Every organisation gets a chain account (the devnet funds them and makes the operator's
    and the cash issuer's the genesis contracts' roles). Idempotent: running it twice leaves
    one copy of everything and resets the passwords.
    """
    users: list[User] = []
    for demo in DEMO_ORGANISATIONS:
        organisation, created = Organisation.objects.get_or_create(
            lei=compute_demo_lei(demo.entity),
            defaults={"legal_name": demo.legal_name, "country": demo.country, "kind": demo.kind},
        )
        if created:
            organisation.full_clean()
            audit_entry_create(
                actor=None,
                action="organisation.create",
                obj=organisation,
                organisation=organisation,
                changes={"source": "demo"},
            )
        chain_account_create(organisation=organisation)  # idempotent; funded by devnet_init
        for username, first, last, role in demo.users:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "email": f"{username}@demo.gloam.invalid",
                    "first_name": first,
                    "last_name": last,
                    "organisation": organisation,
                    "is_staff": role == Role.OPERATOR,
                },
            )
            user.set_password(password)
            user.save(update_fields=["password"])
            RoleAssignment.objects.get_or_create(user=user, role=role)
            if created:
                audit_entry_create(
                    actor=None,
                    action="user.create",
                    obj=user,
                    organisation=organisation,
                    changes={"username": username, "roles": [role.value], "source": "demo"},
                )
            users.append(user)
    _demo_trusted_kyc_issuers()
    _demo_citadel_providers()
    return users


def _demo_trusted_kyc_issuers() -> None:
    """Queue the demo KYC providers' registration as trusted claim issuers (all topics) from
    the operator's account, once: the outbox sends it when the devnet runs."""
    from identity.kyc_services import ALL_TOPICS_MASK, trusted_kyc_issuer_enqueue
    from identity.models import TrustedKycIssuer

    for demo in DEMO_ORGANISATIONS:
        if demo.kind != OrganisationKind.KYC_PROVIDER:
            continue
        organisation = Organisation.objects.get(lei=compute_demo_lei(demo.entity))
        if TrustedKycIssuer.objects.filter(organisation=organisation).exclude(status="failed").exists():
            continue
        trusted_kyc_issuer_enqueue(organisation=organisation, topics_mask=ALL_TOPICS_MASK, actor=None)


def _demo_citadel_providers() -> None:
    """Queue the demo KYC providers' registration as Citadel licence providers
    (``citadel.add_provider`` from the operator's account), once: a provider already registered
    or pending is kept (``citadel_provider_enqueue`` is idempotent), a failed one (e.g. on a
    chain without the citadel contract) is not retried here."""
    from identity.citadel_services import citadel_provider_enqueue
    from identity.models import CitadelProvider

    for demo in DEMO_ORGANISATIONS:
        if demo.kind != OrganisationKind.KYC_PROVIDER:
            continue
        organisation = Organisation.objects.get(lei=compute_demo_lei(demo.entity))
        if CitadelProvider.objects.filter(organisation=organisation).exists():
            continue
        citadel_provider_enqueue(organisation=organisation, actor=None)


# -- the embedded demo's cash float ---------------------------------------------------------
DEMO_CASH_KIND = "demo.cash_float"


@transaction.atomic
def demo_cash_float_enqueue(*, euros: int) -> int:
    """Queue, once per organisation, a mint of ``euros`` EUR (the genesis cash token, 2
    decimals) from the cash issuer to each broker and custodian that has a chain account.
    Idempotent: an organisation with a ``demo.cash_float`` submission is skipped."""
    cash_issuer = (
        Organisation.objects.filter(kind=OrganisationKind.CASH_ISSUER, chain_account__isnull=False)
        .order_by("created_at")
        .first()
    )
    if cash_issuer is None:
        return 0
    done = set(ChainSubmission.objects.filter(kind=DEMO_CASH_KIND).values_list("subject_id", flat=True))
    queued = 0
    for organisation in Organisation.objects.filter(
        kind__in=[OrganisationKind.BROKER, OrganisationKind.CUSTODIAN], chain_account__isnull=False
    ).select_related("chain_account"):
        if str(organisation.pk) in done:
            continue
        chain_call_enqueue(
            organisation=cash_issuer,
            kind=DEMO_CASH_KIND,
            contract="genesis:cash_token",
            fn_name="mint",
            fn_args=contract_abi.encode_address_amount(organisation.chain_account.address, euros * 100),
            subject=organisation,
        )
        queued += 1
    return queued


# -- the demo regulator's key pair -----------------------------------------------------------
def demo_regulator_key_create(*, username: str, secret_path: Path) -> RegulatorKey | None:
    """Demo only (``manage.py seed_demo``): give the demo regulator ``username``'s
    organisation a key pair, the secret written to ``secret_path`` (mode 0600, base64) so that
    the demo's packages can be verified with the tool. A real regulator generates its key pair
    itself and registers only the public key. Nothing is done if the organisation already has
    an active key and the file exists; ``None`` if the user does not exist."""
    user = User.objects.filter(username=username).select_related("organisation").first()
    if user is None or user.organisation is None:
        return None
    active = RegulatorKey.objects.filter(organisation=user.organisation, active=True).first()
    if active is not None and secret_path.exists():
        return active
    secret = PrivateKey.generate()
    secret_path.parent.mkdir(parents=True, exist_ok=True)
    secret_path.write_text(base64.b64encode(bytes(secret)).decode("ascii") + "\n", encoding="ascii")
    secret_path.chmod(0o600)
    return regulator_key_register(actor=user, public_key=base64.b64encode(bytes(secret.public_key)).decode())
