"""Organisations (with their LEI), users, role assignments and brokers' client accounts."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django_countries.fields import CountryField
from stdnum import lei as stdnum_lei
from stdnum.exceptions import ValidationError as StdnumValidationError

from common.encryption import EncryptedTextField
from common.models import BaseModel
from identity.roles import OrganisationKind, Role


def validate_lei(value: str) -> None:
    """Check an LEI: 20 characters, ISO 17442 mod-97 check digits (python-stdnum).

    Raises ``django.core.exceptions.ValidationError`` naming what is wrong.
    """
    try:
        stdnum_lei.validate(value)
    except StdnumValidationError as exc:
        raise ValidationError(
            "%(value)s is not a valid LEI (ISO 17442): %(reason)s",
            code="invalid_lei",
            params={"value": value, "reason": str(exc)},
        ) from exc
    if stdnum_lei.compact(value) != value:
        raise ValidationError(
            "Write the LEI in its compact form: 20 upper-case characters, no spaces.",
            code="invalid_lei",
        )


class Organisation(BaseModel):
    """A legal entity on the platform, identified by its LEI."""

    legal_name = models.CharField(max_length=200)
    lei = models.CharField(
        "LEI",
        max_length=20,
        unique=True,
        validators=[validate_lei],
        help_text="Legal Entity Identifier, ISO 17442 (20 characters).",
    )
    country = CountryField(help_text="Country of incorporation, ISO 3166-1 alpha-2.")
    kind = models.CharField(max_length=20, choices=OrganisationKind.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["legal_name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=OrganisationKind.values), name="organisation_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.lei})"


class User(AbstractUser):
    """A person or machine account; belongs to exactly one organisation.

    Only a platform superuser (created with ``createsuperuser``) may have no organisation.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )

    class Meta:
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False) | models.Q(is_superuser=True),
                name="user_has_organisation_unless_superuser",
            )
        ]

    @property
    def roles(self) -> frozenset[str]:
        """The user's role codes (cached on the instance for the request)."""
        cached: frozenset[str] | None = getattr(self, "_roles_cache", None)
        if cached is None:
            cached = frozenset(self.role_assignments.values_list("role", flat=True))
            self._roles_cache = cached
        return cached

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


class RoleAssignment(BaseModel):
    """One role held by one user."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=32, choices=Role.choices)
    granted_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="role_assignment_unique"),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="role_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.user} : {self.role}"


class ClientAccount(BaseModel):
    """An account a broker keeps for one of its clients (a beneficial owner).

    ``account_reference`` is the broker's own identifier (ISO 20022 Max35Text).
    """

    class HolderType(models.TextChoices):
        NATURAL_PERSON = "natural_person", "Natural person"
        LEGAL_ENTITY = "legal_entity", "Legal entity"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        CLOSED = "closed", "Closed"

    broker = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="client_accounts")
    account_reference = models.CharField(max_length=35)
    name = models.CharField(max_length=200)
    holder_type = models.CharField(max_length=20, choices=HolderType.choices)
    holder_lei = models.CharField(
        "holder LEI",
        max_length=20,
        blank=True,
        validators=[validate_lei],
        help_text="Required for legal entities.",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["broker", "account_reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["broker", "account_reference"], name="client_account_reference_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_reference} ({self.name})"


class TrustedKycIssuer(BaseModel):
    """A KYC provider organisation registered by the operator as a trusted claim issuer of
    the genesis identity registry (``add_trusted_issuer``) for the claim topics in
    ``topics`` (bit ``t`` set: may issue topic ``t``, ``contract_abi.ClaimTopic``).

    ``pending`` until the registration's block is Final, then ``trusted``; ``removing`` /
    ``removed`` for ``remove_trusted_issuer``; ``failed`` if the chain refused it (``error``).
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        TRUSTED = "trusted", "Trusted"
        REMOVING = "removing", "Removal pending"
        REMOVED = "removed", "Removed"
        FAILED = "failed", "Failed"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="kyc_trust")
    topics = models.PositiveIntegerField(help_text="Bitmask of claim topics (bit t: topic t).")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=200, blank=True)
    registered_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status__in=["pending", "trusted", "removing"]),
                name="trusted_kyc_issuer_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation.legal_name}: {self.status}"

    @property
    def topic_names(self) -> list[str]:
        """The claim topics' names (``kyc_verified``, ``jurisdiction``, …), ascending."""
        from chain.node.client import contract_abi

        return [
            contract_abi.ClaimTopic(t).name.lower() for t in contract_abi.ClaimTopic if self.topics & (1 << t)
        ]


class KycCredential(BaseModel):
    """A KYC provider's verification of one chain account's holder (an organisation's
    account or a broker's client account), and the claims it put on chain.

    The attributes are encrypted at rest field by field (``common.encryption``) and emptied
    by an erasure; ``evidence_hash`` (docs/kyc.md) and the claim values are what the chain
    holds. Status: ``pending`` (claims queued) → ``active`` (Final) → ``renewing`` /
    ``expired`` / ``revoked`` / ``erased``; ``failed`` if the chain refused the first claims.
    """

    class HolderType(models.TextChoices):
        NATURAL_PERSON = "natural_person", "Natural person"
        LEGAL_ENTITY = "legal_entity", "Legal entity"

    class InvestorCategory(models.TextChoices):
        """MiFID II client categories (Directive 2014/65/EU, Annex II; Art. 30)."""

        RETAIL = "retail", "Retail client"
        PROFESSIONAL = "professional", "Professional client"
        ELIGIBLE_COUNTERPARTY = "eligible_counterparty", "Eligible counterparty"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        RENEWING = "renewing", "Renewal pending"
        EXPIRED = "expired", "Expired"
        REVOKED = "revoked", "Revoked"
        ERASED = "erased", "Erased"
        FAILED = "failed", "Failed"

    #: Statuses whose claims count (or are about to) on chain.
    LIVE_STATUSES = (Status.PENDING, Status.ACTIVE, Status.RENEWING)

    provider = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="kyc_credentials_issued"
    )
    subject = models.ForeignKey(
        "ledger.ChainAccount", on_delete=models.PROTECT, related_name="kyc_credentials"
    )
    holder_type = models.CharField(max_length=20, choices=HolderType.choices)
    # -- attributes, encrypted field by field; "" once erased --
    legal_name = EncryptedTextField(blank=True)
    date_of_birth_or_incorporation = EncryptedTextField(blank=True, help_text="ISO 8601 date.")
    country = EncryptedTextField(blank=True, help_text="Nationality or country, ISO 3166-1 alpha-2.")
    investor_category = EncryptedTextField(blank=True, help_text="MiFID II category.")
    category_evidence = EncryptedTextField(blank=True, help_text="The assessment's evidence (text).")
    accredited = EncryptedTextField(blank=True, help_text='"true" or "false".')
    salt = EncryptedTextField(blank=True, help_text="Hex of the 32-byte blinding salt.")
    # -- what stays after an erasure --
    topics = models.PositiveIntegerField(default=0, help_text="Bitmask of the claim topics put on chain.")
    evidence_hash = models.CharField(max_length=64, help_text="Hex SHA-256 on chain (docs/kyc.md).")
    expires_at = models.DateTimeField(help_text="Expiry of the claims (whole seconds).")
    pending_expires_at = models.DateTimeField(null=True, blank=True, help_text="A renewal's new expiry.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    erasure_reference = models.CharField(
        max_length=100, blank=True, help_text="The data subject's request id."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"],
                condition=models.Q(status__in=["pending", "active", "renewing"]),
                name="kyc_credential_one_live_per_provider_subject",
            )
        ]

    def __str__(self) -> str:
        return f"KYC {self.pk} ({self.status})"

    @property
    def claim_topics(self) -> list[int]:
        """The claim topics (``ClaimTopic`` values) of this credential, ascending."""
        return [t for t in range(1, 32) if self.topics & (1 << t)]


class CitadelProvider(BaseModel):
    """A KYC provider organisation as a Citadel licence provider (docs/kyc.md "Citadel"): a
    Phoenix key pair whose secret key is stored encrypted (Fernet, ``GLOAM_KEY_ENCRYPTION_KEY``,
    ``ledger.keys.get_key_cipher``), registered in the ``citadel`` contract by the operator
    (``add_provider``: ``pk_lp.A`` and the organisation's chain account, which issues and
    revokes). ``pending`` until Final, then ``registered``; ``failed`` with the chain's reason."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        REGISTERED = "registered", "Registered"
        FAILED = "failed", "Failed"

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="citadel_providers")
    public_key = models.CharField(max_length=128, unique=True, help_text="Phoenix public key A ‖ B, hex.")
    encrypted_secret_key = models.BinaryField(editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status__in=["pending", "registered"]),
                name="citadel_provider_one_live",
            )
        ]

    def __str__(self) -> str:
        return f"Citadel provider {self.organisation.legal_name}: {self.status}"


class CitadelWallet(BaseModel):
    """An investor's (a broker's client account's) Phoenix key, held for the investor by the
    platform on the broker's behalf (custody: docs/kyc.md "Citadel"): the secret key is stored
    encrypted and used only to open the investor's licence and prove its sessions."""

    client_account = models.OneToOneField(
        ClientAccount, on_delete=models.PROTECT, related_name="citadel_wallet"
    )
    public_key = models.CharField(max_length=128, unique=True, help_text="Phoenix public key A ‖ B, hex.")
    encrypted_secret_key = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return f"Citadel wallet of {self.client_account}"


class CitadelLicence(BaseModel):
    """A Citadel licence issued by a provider to an investor's wallet. The platform keeps only
    what it needs to operate it: the provider, the wallet, the tree leaf and position, the
    issue and expiry dates and the status. The licence itself and its attribute opening
    (jurisdiction, accreditation, birth date) are stored only as the blobs sealed to the
    investor's key (``chain.node.citadel_wallet``); no attribute is kept in clear.

    ``pending`` (``issue`` queued) → ``active`` (Final, position known) → ``revoking`` →
    ``revoked``; ``failed`` if the chain refused the issue."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        REVOKING = "revoking", "Revocation pending"
        REVOKED = "revoked", "Revoked"
        FAILED = "failed", "Failed"

    provider = models.ForeignKey(CitadelProvider, on_delete=models.PROTECT, related_name="licences")
    wallet = models.ForeignKey(CitadelWallet, on_delete=models.PROTECT, related_name="licences")
    leaf = models.CharField(max_length=66, unique=True, help_text="The tree leaf, 0x hex LE.")
    licence = models.BinaryField(editable=False, help_text="The licence; opens only with the investor's key.")
    attributes_envelope = models.BinaryField(
        editable=False, help_text="Attributes sealed to the investor's key."
    )
    position = models.PositiveBigIntegerField(null=True, blank=True)
    issued_on = models.DateField()
    expires_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.CharField(max_length=200, blank=True)
    issued_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["wallet"],
                condition=models.Q(status__in=["pending", "active"]),
                name="citadel_licence_one_live_per_wallet",
            )
        ]

    def __str__(self) -> str:
        return f"Citadel licence {self.pk} ({self.status})"


class CitadelSession(BaseModel):
    """A Citadel session an investor's wallet opens for a service (an instrument's security
    token): a ``citadel_license`` proof job, then the proven ``use_licence(holder, service)``.
    ``proving`` → ``submitted`` → ``active`` (Final: the token accepts the holder); ``failed``
    with the reason (the policy refused the licence in clear, the proof failed, or the chain
    refused the call). The policy is the instrument's (jurisdictions ISO 3166-1 numeric,
    accreditation); ``day`` the chain day it was proved for."""

    class Status(models.TextChoices):
        PROVING = "proving", "Proving"
        SUBMITTED = "submitted", "Submitted"
        ACTIVE = "active", "Active"
        FAILED = "failed", "Failed"

    LIVE_STATUSES = (Status.PROVING, Status.SUBMITTED, Status.ACTIVE)

    licence = models.ForeignKey(CitadelLicence, on_delete=models.PROTECT, related_name="sessions")
    holder = models.CharField(max_length=98, help_text="The holder's chain account public key.")
    service = models.CharField(max_length=66, help_text="The service (security token contract id), 0x hex.")
    reference = models.CharField(max_length=100, blank=True, help_text="What the service is, e.g. an ISIN.")
    allowed_jurisdictions = models.JSONField(default=list)
    require_accredited = models.BooleanField(default=False)
    day = models.IntegerField(help_text="Chain day (days since 1970-01-01) the proof is for.")
    session_id = models.CharField(max_length=66, blank=True)
    proof_job = models.ForeignKey(
        "proving.ProofJob", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROVING, db_index=True)
    error = models.CharField(max_length=200, blank=True)
    tx_id = models.CharField(max_length=66, blank=True)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["holder", "service"],
                condition=models.Q(status__in=["proving", "submitted", "active"]),
                name="citadel_session_one_live_per_holder_service",
            )
        ]

    def __str__(self) -> str:
        return f"Citadel session {self.pk} ({self.status})"
