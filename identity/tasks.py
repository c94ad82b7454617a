"""Celery tasks of the identity app: KYC expiry."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="identity.tasks.kyc_credentials_expire")
def kyc_credentials_expire() -> int:
    """Beat (``GLOAM_KYC_EXPIRY_SECONDS``, 60 s): mark credentials past their expiry
    ``expired`` and send ``kyc_claims_lapsed``; returns how many."""
    from identity.kyc_services import kyc_credentials_expire as expire

    return expire()


@shared_task(name="identity.tasks.citadel_sessions_advance")
def citadel_sessions_advance() -> int:
    """Beat (10 s): queue the proven ``use_licence`` of Citadel sessions whose proof job is
    done, fail those whose job failed; returns how many moved."""
    from identity.citadel_services import citadel_sessions_advance as advance

    return advance()
