"""Citadel sessions for instruments (docs/kyc.md "Citadel"): before an investor receives an
instrument whose KYC mode is ``citadel`` or ``both``, the investor's wallet proves its licence
against the instrument's policy, taken from the applied rule set: the allowed jurisdictions
(ISO 3166-1, as numeric codes) and whether accreditation is required; the adult cutoff is the
contract's (``citadel_adult_cutoff`` of the chain day). The service is the instrument's token
contract id, so the session counts for this instrument only.
"""

from __future__ import annotations

import uuid

from django.db import transaction

from common.exceptions import ConflictError, InvalidInput, NotFoundError
from compliance.models import RuleSet, RuleSetStatus
from identity import citadel_services
from identity.models import CitadelSession, ClientAccount, User
from issuance.models import Instrument, KycMode


@transaction.atomic
def instrument_citadel_session_open(
    *, actor: User, instrument_id: uuid.UUID, client_account_id: uuid.UUID
) -> tuple[CitadelSession, bool]:
    """Open (idempotently) the investor's Citadel session for the instrument; ``(session,
    created)``. Errors: 404 (instrument or client account); ``ConflictError``
    (``not_on_chain``, ``claims_mode``: the instrument does not accept Citadel sessions,
    ``no_applied_rules``); and those of ``identity.citadel_services.citadel_session_open``."""
    instrument = Instrument.objects.filter(pk=instrument_id).first()
    client_account = ClientAccount.objects.select_related("broker").filter(pk=client_account_id).first()
    if instrument is None or client_account is None:
        raise NotFoundError("Instrument or client account not found.")
    if instrument.kyc_mode == KycMode.CLAIMS:
        raise ConflictError(
            "The instrument accepts registry claims only (KYC mode claims).", code="claims_mode"
        )
    if not instrument.contract_id:
        raise ConflictError("The instrument is not on chain yet.", code="not_on_chain")
    rule_set = RuleSet.objects.filter(instrument=instrument, status=RuleSetStatus.APPLIED).first()
    if rule_set is None:
        raise ConflictError(
            "The instrument has no applied transfer rules, so no Citadel policy.", code="no_applied_rules"
        )
    jurisdictions = citadel_services.numeric_jurisdictions(list(rule_set.allowed_jurisdictions))
    if not jurisdictions:
        raise InvalidInput("The rules allow no jurisdiction list to prove.", code="citadel_policy")
    return citadel_services.citadel_session_open(
        actor=actor,
        client_account=client_account,
        service=instrument.contract_id,
        reference=instrument.isin,
        allowed_jurisdictions=jurisdictions,
        require_accredited=bool(rule_set.accreditation_required),
    )
