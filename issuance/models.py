"""Instruments (identifiers, terms, workflow status) and their documents."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from stdnum import cfi as stdnum_cfi
from stdnum import cusip as stdnum_cusip
from stdnum import isin as stdnum_isin
from stdnum.exceptions import ValidationError as StdnumValidationError

from common.models import BaseModel
from common.text import validate_name
from issuance.conventions import BusinessDayConvention, Calendar, CouponFrequency, DayCount


def _stdnum_check(module: object, label: str, code: str, value: str) -> None:
    try:
        module.validate(value)  # type: ignore[attr-defined]
    except StdnumValidationError as exc:
        raise ValidationError(
            "%(value)s is not a valid %(label)s: %(reason)s",
            code=code,
            params={"value": value, "label": label, "reason": str(exc)},
        ) from exc
    if module.compact(value) != value:  # type: ignore[attr-defined]
        raise ValidationError(
            "Write the %(label)s in its compact form: upper case, no spaces.",
            code=code,
            params={"label": label},
        )


def validate_isin(value: str) -> None:
    """ISO 6166: country code, 9 alphanumerics, Luhn check digit (python-stdnum)."""
    _stdnum_check(stdnum_isin, "ISIN (ISO 6166)", "invalid_isin", value)


def validate_cusip(value: str) -> None:
    """CUSIP: 8 characters and a check digit (python-stdnum)."""
    _stdnum_check(stdnum_cusip, "CUSIP", "invalid_cusip", value)


def validate_cfi(value: str) -> None:
    """ISO 10962 CFI code: 6 letters whose category and group exist (python-stdnum)."""
    _stdnum_check(stdnum_cfi, "CFI code (ISO 10962)", "invalid_cfi", value)


def validate_currency(value: str) -> None:
    """ISO 4217 alphabetic currency code (pycountry's ISO 4217 table)."""
    import pycountry

    if len(value) != 3 or not value.isupper() or pycountry.currencies.get(alpha_3=value) is None:
        raise ValidationError(
            "%(value)s is not an ISO 4217 currency code.", code="invalid_currency", params={"value": value}
        )


def compute_isin_from_cusip(cusip: str) -> str:
    """The ISIN of a US security: ``US`` + CUSIP + ISIN check digit (python-stdnum)."""
    return str(stdnum_cusip.to_isin(cusip))


class InstrumentKind(models.TextChoices):
    FIXED_RATE_BOND = "fixed_rate_bond", "Fixed-rate bond"
    ZERO_COUPON_BOND = "zero_coupon_bond", "Zero-coupon bond or bill"
    FLOATING_RATE_NOTE = "floating_rate_note", "Floating-rate note"
    EQUITY_SHARE = "equity_share", "Equity share"
    FUND_UNIT = "fund_unit", "Fund unit"


class IssuerSector(models.TextChoices):
    """Who issued (or guarantees) the instrument, as the CSDR penalty rates distinguish
    (Commission Delegated Regulation (EU) 2017/389, Annex)."""

    SOVEREIGN = "sovereign", "Sovereign issuer (issued or guaranteed)"
    OTHER = "other", "Other issuer"


#: Kinds with a maturity and a coupon schedule (conventions required).
DEBT_KINDS = frozenset(
    {InstrumentKind.FIXED_RATE_BOND, InstrumentKind.ZERO_COUPON_BOND, InstrumentKind.FLOATING_RATE_NOTE}
)
#: Kinds that pay periodic coupons (frequency, day count, business days, calendar required).
COUPON_KINDS = frozenset({InstrumentKind.FIXED_RATE_BOND, InstrumentKind.FLOATING_RATE_NOTE})


class InstrumentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    DEPLOYING = "deploying", "Deploying"
    LIVE = "live", "Live"
    MATURED = "matured", "Matured"
    REDEEMED = "redeemed", "Redeemed"


#: Statuses whose terms are final: the instrument is visible to every platform user.
PUBLISHED_STATUSES = frozenset(
    {
        InstrumentStatus.APPROVED,
        InstrumentStatus.DEPLOYING,
        InstrumentStatus.LIVE,
        InstrumentStatus.MATURED,
        InstrumentStatus.REDEEMED,
    }
)


class IssueSizeUnit(models.TextChoices):
    NOMINAL = "nominal", "Nominal amount (in the currency)"
    QUANTITY = "quantity", "Quantity (units)"


class KycMode(models.TextChoices):
    """How an instrument's transfer rules accept a holder's KYC (docs/kyc.md "Citadel"):
    ``claims`` (the identity registry's claims, today's conditions), ``citadel`` (a Citadel
    session of the holder for this token: a proof of a valid licence) or ``both`` (either)."""

    CLAIMS = "claims", "Registry claims"
    CITADEL = "citadel", "Citadel session"
    BOTH = "both", "Registry claims or a Citadel session"


class Instrument(BaseModel):
    """A security: identifiers, terms, and where it stands in the issuance workflow.

    Money and rates are ``Decimal``. ``coupon_rate`` and ``floating_spread`` are in percent
    per annum (3.125 means 3.125 %). ``face_value`` and ``minimum_denomination`` are in
    ``currency``. Coupon accrual starts on ``dated_date`` (the issue date when empty).
    """

    isin = models.CharField(
        "ISIN", max_length=12, unique=True, validators=[validate_isin], help_text="ISO 6166, 12 characters."
    )
    cusip = models.CharField(
        "CUSIP",
        max_length=9,
        blank=True,
        validators=[validate_cusip],
        help_text="US and Canadian securities; the ISIN is then US/CA + CUSIP + check digit.",
    )
    cfi_code = models.CharField(
        "CFI code", max_length=6, blank=True, validators=[validate_cfi], help_text="ISO 10962, 6 letters."
    )
    name = models.CharField(max_length=200, validators=[validate_name])
    issuer = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="instruments")
    kind = models.CharField(max_length=24, choices=InstrumentKind.choices)
    currency = models.CharField(max_length=3, validators=[validate_currency], help_text="ISO 4217.")
    face_value = models.DecimalField(
        max_digits=20, decimal_places=6, validators=[MinValueValidator(0)], help_text="Per unit, in currency."
    )
    minimum_denomination = models.DecimalField(
        max_digits=20, decimal_places=6, validators=[MinValueValidator(0)], help_text="In currency."
    )
    #: More than zero for every instrument issued here (``clean`` and the database's
    #: ``instrument_issue_size_positive``); imported reference data may hold 0 for "not given".
    issue_size = models.DecimalField(max_digits=24, decimal_places=6, validators=[MinValueValidator(0)])
    issue_size_unit = models.CharField(max_length=10, choices=IssueSizeUnit.choices)
    issue_date = models.DateField()
    dated_date = models.DateField(
        null=True, blank=True, help_text="Interest accrues from this date; the issue date when empty."
    )
    maturity_date = models.DateField(null=True, blank=True, help_text="Required for bonds and notes.")
    coupon_rate = models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Fixed-rate bonds: percent per annum.",
    )
    coupon_frequency = models.CharField(max_length=12, choices=CouponFrequency.choices, blank=True)
    day_count = models.CharField(max_length=16, choices=DayCount.choices, blank=True)
    business_day_convention = models.CharField(
        max_length=20,
        choices=BusinessDayConvention.choices,
        blank=True,
        help_text="Adjusts payment dates; accrual periods stay unadjusted.",
    )
    calendar = models.CharField(max_length=24, choices=Calendar.choices, blank=True)
    end_of_month = models.BooleanField(
        default=False, help_text="Coupon dates roll on the last day of the month."
    )
    floating_index = models.CharField(max_length=100, blank=True, help_text="Floating-rate notes.")
    floating_spread = models.DecimalField(
        max_digits=9, decimal_places=6, null=True, blank=True, help_text="Percent per annum over the index."
    )
    inflation_linked = models.BooleanField(
        default=False, help_text="Principal indexed to inflation (e.g. TIPS); the index is not modelled."
    )
    issuer_sector = models.CharField(
        max_length=10,
        choices=IssuerSector.choices,
        default=IssuerSector.OTHER,
        help_text="Sovereign debt pays the lower CSDR penalty rate (settlement.fails).",
    )
    liquid_market = models.BooleanField(
        default=False,
        help_text="Shares: a liquid market in the sense of MiFIR Art. 2(1)(17)(b) (ESMA's list).",
    )
    sme_growth_market = models.BooleanField(
        default=False, help_text="Traded on an SME growth market (MiFID II Art. 4(1)(12))."
    )
    status = models.CharField(
        max_length=12, choices=InstrumentStatus.choices, default=InstrumentStatus.DRAFT, db_index=True
    )
    is_reference_data = models.BooleanField(
        default=False,
        help_text="Imported market reference data (e.g. US Treasuries): read-only, never issued here.",
    )
    source = models.CharField(
        max_length=100, blank=True, help_text="Where imported reference data came from."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_comment = models.TextField(blank=True)
    kyc_mode = models.CharField(
        "KYC mode",
        max_length=8,
        choices=KycMode.choices,
        default=KycMode.CLAIMS,
        help_text="How the transfer rules accept a holder's KYC: claims, citadel or both.",
    )
    # -- on chain (issuance.chain) --
    contract_id = models.CharField(
        max_length=66, blank=True, help_text="The instrument's security-token contract (0x hex)."
    )
    terms_hash = models.CharField(
        max_length=64,
        blank=True,
        help_text="SHA-256 of terms_document, recorded in the security token at deployment.",
    )
    terms_document = models.TextField(
        blank=True, help_text="Canonical JSON of the terms and document hashes that terms_hash commits to."
    )
    deployed_height = models.PositiveBigIntegerField(null=True, blank=True)
    deployment_error = models.CharField(max_length=200, blank=True)
    # -- the corporate actions beat (corporate_actions.services.corporate_actions_tick) --
    beat_error = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the corporate actions beat last failed on this instrument; cleared on success.",
    )
    beat_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["maturity_date", "isin"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InstrumentStatus.values), name="instrument_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=InstrumentKind.values), name="instrument_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(maturity_date__isnull=True)
                | models.Q(maturity_date__gt=models.F("issue_date")),
                name="instrument_matures_after_issue",
            ),
            # An instrument issued on the platform issues something; a security imported as
            # reference data (a Treasury auction file without offering amounts) may not say.
            models.CheckConstraint(
                condition=models.Q(issue_size__gt=0) | models.Q(is_reference_data=True),
                name="instrument_issue_size_positive",
            ),
            models.UniqueConstraint(
                fields=["cusip"], condition=~models.Q(cusip=""), name="instrument_cusip_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.isin} {self.name}"

    @property
    def accrual_start(self) -> datetime.date:
        """The first day interest accrues: the dated date, else the issue date."""
        return self.dated_date or self.issue_date

    @property
    def token_unit(self) -> Decimal:
        """What one unit of the security token stands for, in the issue-size unit: the
        minimum denomination (in the currency) for an instrument sized in nominal, else one
        share or fund unit. The token has 0 decimals."""
        return self.minimum_denomination if self.issue_size_unit == IssueSizeUnit.NOMINAL else Decimal(1)

    def clean(self) -> None:
        """Cross-field rules; raises ``ValidationError`` keyed by field."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.cusip and self.isin and not self.errors_in("cusip", "isin"):
            expected = compute_isin_from_cusip(self.cusip)
            if self.isin != expected:
                add("isin", f"The ISIN of CUSIP {self.cusip} is {expected}, not {self.isin}.")
        if self.issue_date and self.maturity_date and self.maturity_date <= self.issue_date:
            add("maturity_date", "The maturity date must be after the issue date.")
        if self.dated_date and self.maturity_date and self.dated_date >= self.maturity_date:
            add("dated_date", "The dated date must be before the maturity date.")
        if not self.is_reference_data and self.issue_size is not None and self.issue_size <= 0:
            add("issue_size", "The issue size must be greater than zero.")
        if (
            self.minimum_denomination is not None
            and self.face_value is not None
            and self.face_value > 0
            and self.minimum_denomination < self.face_value
        ):
            add("minimum_denomination", "The minimum denomination cannot be less than the face value.")
        kind = self.kind
        if kind in DEBT_KINDS and not self.maturity_date:
            add("maturity_date", "A bond, note or bill needs a maturity date.")
        if kind not in DEBT_KINDS and kind and self.maturity_date:
            add("maturity_date", "Shares and fund units have no maturity date.")
        if kind == InstrumentKind.FIXED_RATE_BOND and self.coupon_rate is None:
            add("coupon_rate", "A fixed-rate bond needs a coupon rate.")
        if kind in COUPON_KINDS:
            for field in ("coupon_frequency", "day_count", "business_day_convention", "calendar"):
                if not getattr(self, field):
                    add(field, "Required for a bond that pays coupons.")
        elif kind:
            if self.coupon_rate:
                add("coupon_rate", "Only fixed-rate bonds have a coupon rate.")
            if self.coupon_frequency:
                add("coupon_frequency", "This kind of instrument pays no coupons.")
        if kind != InstrumentKind.FLOATING_RATE_NOTE and (
            self.floating_index or self.floating_spread is not None
        ):
            add("floating_index", "Only floating-rate notes have an index and a spread.")
        if errors:
            raise ValidationError(errors)

    def errors_in(self, *fields: str) -> bool:
        """Whether any of ``fields`` fails its own validators (checked before cross-field rules)."""
        for field in fields:
            try:
                self._meta.get_field(field).run_validators(getattr(self, field))  # type: ignore[union-attr]
            except ValidationError:
                return True
        return False


class DocumentKind(models.TextChoices):
    PROSPECTUS = "prospectus", "Prospectus"
    FINAL_TERMS = "final_terms", "Final terms"


class InstrumentDocument(BaseModel):
    """A PDF attached to an instrument, with the SHA-256 (hex) of its bytes.

    The hash is what the chain records with the instrument at deployment.
    """

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to="instrument-documents/%Y/%m/")
    filename = models.CharField(max_length=255, help_text="The name the file was uploaded with.")
    size = models.PositiveIntegerField(help_text="Bytes.")
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} ({self.sha256[:12]}…)"


class AllocationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    INSTRUCTED = "instructed", "DvP instructed"
    AFFIRMED = "affirmed", "Affirmed"
    SETTLED = "settled", "Settled"
    FAILED = "failed", "Failed"


#: Allocations still moving on chain (not yet settled or failed).
OPEN_ALLOCATION_STATUSES = (AllocationStatus.PENDING, AllocationStatus.INSTRUCTED, AllocationStatus.AFFIRMED)


class AllocationBatch(BaseModel):
    """One primary allocation of an instrument, submitted at once (several investors)."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="allocation_batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=20, default="form", help_text="form or csv")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"allocation of {self.instrument.isin} ({self.created_at:%Y-%m-%d %H:%M})"


class Allocation(BaseModel):
    """One investor's part of a primary allocation, settled delivery versus payment: the
    securities from the issuer's account to the investor's address against the cash token
    from the payer (the investor organisation, or the client account's broker) to the
    issuer, as one DvP instruction of the settlement contract (docs/contracts.md).

    ``quantity`` is nominal (in the currency) or units, as the instrument's issue size;
    ``price`` is percent of nominal for nominal-sized instruments, else per unit;
    ``settlement_amount`` is in the instrument's currency."""

    batch = models.ForeignKey(AllocationBatch, on_delete=models.CASCADE, related_name="allocations")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="allocations")
    investor = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_account = models.ForeignKey(
        "identity.ClientAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    quantity = models.DecimalField(max_digits=24, decimal_places=6)
    price = models.DecimalField(max_digits=20, decimal_places=6)
    settlement_amount = models.DecimalField(max_digits=24, decimal_places=2)
    status = models.CharField(
        max_length=12, choices=AllocationStatus.choices, default=AllocationStatus.PENDING, db_index=True
    )
    dvp_instruction_id = models.PositiveBigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=200, blank=True)
    settled_height = models.PositiveBigIntegerField(null=True, blank=True)
    plan = models.JSONField(
        default=dict, blank=True, help_text="The DvP batch's submissions and instruction id (ledger.dvp)."
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(investor__isnull=False, client_account__isnull=True)
                | models.Q(investor__isnull=True, client_account__isnull=False),
                name="allocation_one_investor",
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="allocation_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} {self.instrument.isin} to {self.investor or self.client_account}"

    @property
    def investor_name(self) -> str:
        if self.investor is not None:
            return self.investor.legal_name
        return (
            f"{self.client_account.name} ({self.client_account.broker.legal_name})"
            if self.client_account
            else ""
        )


class InstrumentCheckpoint(BaseModel):
    """A snapshot the security token took (``checkpoint``), recorded when its block is
    Final: ``balance_at`` and ``holders_at`` answer exactly for it ever after."""

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="checkpoints")
    number = models.PositiveIntegerField(help_text="The token's checkpoint id (1, 2, …).")
    height = models.PositiveBigIntegerField(help_text="The Final block that took it.")
    total_supply = models.PositiveBigIntegerField(help_text="Token units.")
    holder_count = models.PositiveIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="instrument_checkpoint_unique")
        ]

    def __str__(self) -> str:
        return f"{self.instrument.isin} checkpoint {self.number} at height {self.height}"
