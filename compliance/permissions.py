"""The two checks every compliance write makes before anything else: the actor is a
compliance officer of the instrument's issuer, and the instrument is live on chain.

Compliance officers of an instrument's issuer act for it (the issuer's chain account is the
token's issuer agent and compliance agent, issuance/deployment.py). Rule sets
(``compliance.rulesets``), breaches (``compliance.breaches``) and actions on chain
(``compliance.enforcement``) all start with ``officer_instrument`` (404 if the instrument is
not visible, 403 otherwise), and the writes that reach the token with ``require_on_chain``;
so these live here, below all three, rather than in one of them.
"""

from __future__ import annotations

import uuid

from common.exceptions import InvalidInput, PermissionDeniedError
from identity.models import User
from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from issuance.selectors import instrument_get


def officer_instrument(
    *, actor: User, instrument_id: uuid.UUID, action: str, lock: bool = False
) -> Instrument:
    """The instrument, if ``actor`` is a compliance officer of its issuer (404 if not
    visible, 403 otherwise)."""
    instrument_get(user=actor, instrument_id=instrument_id)
    queryset = Instrument.objects.select_related("issuer")
    instrument = (queryset.select_for_update() if lock else queryset).get(pk=instrument_id)
    if actor.organisation_id != instrument.issuer_id or not actor.has_role(Role.COMPLIANCE_OFFICER):
        raise PermissionDeniedError(
            f"Only a compliance officer of {instrument.issuer.legal_name} may {action}.",
            details={"required_role": Role.COMPLIANCE_OFFICER.value},
        )
    return instrument


def require_on_chain(instrument: Instrument) -> None:
    """Raises ``InvalidInput`` (``not_live``) unless ``instrument`` is live with its security
    token deployed: rules, holders and flags are on the token."""
    if instrument.status != InstrumentStatus.LIVE or not instrument.contract_id:
        raise InvalidInput(
            f"{instrument.isin} is not live on chain: its rules and holders are on its security token.",
            code="not_live",
        )
